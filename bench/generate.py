"""A city's worth of reports, made quickly and the same every time from a seed.

The schema comes from `school_report.migrations.migrate`; schools and entry links are made by the
domain functions, and the bulk (staff, reports, threads, coordination) by plain inserts in one
transaction with durability off while loading. Generated reports carry placeholder code hashes
(hashing a million codes with argon2 would take hours), so only the `known_codes` reports, sent
through `submit_report` at the end, can be opened with a return code.

    python -m bench.generate --db /tmp/city.db --schools 100 --reports 1000000 --seed 1
"""

import argparse
import random
import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import NamedTuple

from sqlite_utils import Database

from school_report.db import connect
from school_report.migrations import (
    AGENCIES,
    CONSENTS,
    OUTCOMES,
    SCHOOL_KINDS,
    migrate,
    migrations,
)
from school_report.reports import add_staff_reply, pupil_report, submit_report
from school_report.schools import School, issue_entry_link, list_schools
from school_report.staff import PASSWORD_HASHER, find_staff
from school_report.topics import active_topics

PASSWORD = "bench-password-2026"
# The newest migration whose tables and columns the bulk load fills. The data is loaded at that
# point and every later migration upgrades it: their triggers (statistics counts) would make a
# million single inserts take half an hour, their backfills do the same work in one pass.
BULK_SCHEMA = "m002_case_records"
CENTRE_STAFF = 5
BATCH = 50_000
# A school year as Japanese schools count it: April to March.
FISCAL_YEAR_START = (4, 1)
# Roughly what pupils write about (Yokkaichi's first years: feelings and friends first).
TOPIC_WEIGHTS = {
    "bullying": 14,
    "friends": 16,
    "teacher": 5,
    "study": 8,
    "online": 7,
    "not_going_to_school": 7,
    "body": 8,
    "feelings": 14,
    "home": 8,
    "hurt_at_home": 2,
    "food_money": 2,
    "young_carer": 2,
    "other": 7,
}
PUPIL_WORDS = (
    "クラスの子に むしされています。",
    "ともだちと けんかしました。どうしたら いいですか。",
    "いえに かえりたくない ときが あります。",
    "べんきょうが わからなくて つらいです。",
    "SNSで わるぐちを かかれました。",
    "よる ねむれません。",
)
STAFF_WORDS = (
    "おしえてくれて ありがとう。はなしを きかせてね。",
    "だいじょうぶだよ。いっしょに かんがえよう。",
)


@dataclass(frozen=True)
class GeneratedCity:
    """What a benchmark or test needs to reach the generated city."""

    schools: list[School]
    entry_tokens: dict[int, str]  # by school id
    known_codes: list[str] = field(default_factory=list)  # reports at schools[0], as typed
    reports: int = 0

    @staticmethod
    def nurse(school_number: int) -> str:
        """The login of the nurse of the n-th school (1-based); the team is `team(n)`."""
        return f"nurse{school_number:03d}"

    @staticmethod
    def team(school_number: int) -> str:
        return f"team{school_number:03d}"

    centre = "centre01"
    password = PASSWORD


def fiscal_year_bounds(fiscal_year: int) -> tuple[datetime, datetime]:
    """The first instant of the fiscal year and of the next one (UTC, Japan at +9)."""
    month, day = FISCAL_YEAR_START
    start = datetime(fiscal_year, month, day, tzinfo=UTC) - timedelta(hours=9)
    end = datetime(fiscal_year + 1, month, day, tzinfo=UTC) - timedelta(hours=9)
    return start, end


def generate_city(
    db: Database,
    *,
    secret: str,
    schools: int = 100,
    reports: int = 1_000_000,
    seed: int = 1,
    fiscal_year: int = 2025,
    known_codes: int = 0,
) -> GeneratedCity:
    """Fill a new database with `schools` schools (entry links issued under `secret`), a nurse
    and a team login per school, centre staff, and `reports` reports spread over the fiscal year
    with their threads; then `known_codes` real reports at the first school."""
    rng = random.Random(seed)
    migrations.apply(db, stop_before=_first_migration_after(db, BULK_SCHEMA))
    _bulk_load(db, rng, schools, reports, fiscal_year)
    made = list_schools(db)
    tokens = {school.id: issue_entry_link(db, school, secret) for school in made}
    codes = [_known_report(db, made[0], n) for n in range(known_codes)]
    return GeneratedCity(made, tokens, codes, reports)


def _first_migration_after(db: Database, name: str) -> str | None:
    pending = [migration.name for migration in migrations.pending(db)]
    return pending[pending.index(name) + 1] if pending.index(name) + 1 < len(pending) else None


def _bulk_load(db: Database, rng: random.Random, schools: int, count: int, fiscal_year: int):
    """Schools, staff, reports and their threads, inserted with durability off (a generator
    that dies half-way is simply run again); then every later migration, with its backfills
    and indexes, as a city's database is upgraded."""
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.conn.execute("BEGIN")
    school_ids = _insert_schools(db, schools)
    staff = _insert_staff(db, school_ids)
    topics = [_Topic(*row) for row in db.execute(_Topic.SELECT)]
    start, end = fiscal_year_bounds(fiscal_year)
    rows = _report_rows(rng, school_ids, topics, staff, count, start, end)
    for batch in _batches(rows, BATCH):
        _insert_reports(db, batch)
    db.conn.execute("COMMIT")
    migrate(db)
    # No ANALYZE: the service never runs it, so a city's planner works without statistics too.
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")


class _Topic(NamedTuple):
    id: int
    slug: str
    default_recipient: str | None
    urgency: str

    SELECT = "SELECT id, slug, default_recipient, urgency FROM topics WHERE active = 1"


def _insert_schools(db: Database, count: int) -> list[int]:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return [
        db.execute(
            "INSERT INTO schools (name, kind, created_at) VALUES (?, ?, ?)",
            [f"ベンチ{n:03d}学校", SCHOOL_KINDS[n % len(SCHOOL_KINDS)], now],
        ).lastrowid
        for n in range(1, count + 1)
    ]


def _insert_staff(db: Database, school_ids: list[int]) -> dict[tuple[str, int | None], list[int]]:
    """One password hash for every generated account (argon2 per account would be slow)."""
    password_hash = PASSWORD_HASHER.hash(PASSWORD)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    accounts = [(f"centre{n:02d}", "centre", None) for n in range(1, CENTRE_STAFF + 1)]
    for number, school_id in enumerate(school_ids, start=1):
        accounts.append((GeneratedCity.nurse(number), "nurse", school_id))
        accounts.append((GeneratedCity.team(number), "school_team", school_id))
    staff: dict[tuple[str, int | None], list[int]] = {}
    for login, role, school_id in accounts:
        cursor = db.execute(
            "INSERT INTO staff (login, display_name, password_hash, role, school_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [login, login, password_hash, role, school_id, now],
        )
        staff.setdefault((role, school_id), []).append(cursor.lastrowid)
    return staff


def _report_rows(rng, school_ids, topics: list[_Topic], staff, count, start, end) -> Iterator[dict]:
    """Reports in time order, so ids grow with time as they do in service."""
    span = int((end - start).total_seconds())
    weights = list(accumulate(TOPIC_WEIGHTS.get(topic.slug, 5) for topic in topics))
    recent = span - 14 * 24 * 3600  # the last two weeks are still being worked on
    for offset in sorted(rng.randrange(span) for _ in range(count)):
        topic = rng.choices(topics, cum_weights=weights)[0]
        school_id = rng.choice(school_ids)
        recipient = topic.default_recipient
        if recipient is None or rng.random() < 0.15:
            recipient = rng.choice(("nurse", "school_team", "centre"))
        status = _status(rng, offset >= recent)
        created = start + timedelta(seconds=offset)
        replied = None if status == "new" else created + timedelta(minutes=rng.randrange(10, 2880))
        responder = rng.choice(
            staff[("centre", None) if recipient == "centre" else (recipient, school_id)]
        )
        yield {
            "school_id": school_id,
            "topic": topic,
            "recipient": recipient,
            "grade": str(rng.randrange(1, 7)) if rng.random() < 0.4 else None,
            "language": "en" if rng.random() < 0.03 else "ja",
            "status": status,
            "unread": status == "new" or (status != "closed" and rng.random() < 0.1),
            "created": created,
            "replied": replied,
            "responder": responder,
            "watch_case": recipient == "centre" and rng.random() < 0.02,
            "coordination": recipient == "centre" and status != "new" and rng.random() < 0.05,
            "agency": rng.choice(AGENCIES),
            "consent": rng.choice(CONSENTS),
            "outcome": rng.choice(OUTCOMES) if status == "closed" else None,
            "closed": replied + timedelta(days=rng.randrange(1, 30))
            if status == "closed"
            else None,
            "pupil_words": rng.choice(PUPIL_WORDS),
            "staff_words": rng.choice(STAFF_WORDS),
        }


def _status(rng: random.Random, recent: bool) -> str:
    if recent:
        return rng.choices(("new", "in_progress"), cum_weights=(3, 5))[0]
    statuses = ("closed", "monitoring", "in_progress", "coordinating")
    return rng.choices(statuses, cum_weights=(80, 90, 97, 100))[0]


def _batches(rows: Iterator[dict], size: int) -> Iterator[list[dict]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _insert_reports(db: Database, batch: list[dict]) -> None:
    (first_id,) = db.execute("SELECT coalesce(max(id), 0) + 1 FROM reports").fetchone()
    ids = range(first_id, first_id + len(batch))
    db.conn.executemany(
        "INSERT INTO reports (id, school_id, topic_id, recipient, grade, language, urgency, "
        "status, staff_unread, code_hash, submission_key, created_at, last_pupil_message_at, "
        "first_reply_at, assigned_to, watch_case, outcome, closed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                report_id,
                row["school_id"],
                row["topic"].id,
                row["recipient"],
                row["grade"],
                row["language"],
                row["topic"].urgency,
                row["status"],
                int(row["unread"]),
                # Never a real argon2 hash (64 hex digits): no typed code opens these.
                f"generated-{report_id}",
                f"generated-{report_id}",
                _iso(row["created"]),
                _iso(row["created"]),
                _iso(row["replied"]),
                row["responder"] if row["replied"] and row["recipient"] == "centre" else None,
                int(row["watch_case"]),
                row["outcome"],
                _iso(row["closed"]),
            )
            for report_id, row in zip(ids, batch, strict=True)
        ],
    )
    db.conn.executemany(
        "INSERT INTO messages (report_id, author, staff_id, body, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            message
            for report_id, row in zip(ids, batch, strict=True)
            for message in _thread(report_id, row)
        ],
    )
    db.conn.executemany(
        "INSERT INTO coordination (report_id, staff_id, agency, summary, pupil_consent, "
        "contacted_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                report_id,
                row["responder"],
                row["agency"],
                "学校と情報共有",
                row["consent"],
                _iso(row["replied"]),
                _iso(row["replied"]),
            )
            for report_id, row in zip(ids, batch, strict=True)
            if row["coordination"]
        ],
    )


def _thread(report_id: int, row: dict) -> list[tuple]:
    messages = [(report_id, "pupil", None, row["pupil_words"], _iso(row["created"]))]
    if row["replied"]:
        staff_reply = (
            report_id,
            "staff",
            row["responder"],
            row["staff_words"],
            _iso(row["replied"]),
        )
        messages.append(staff_reply)
    return messages


def _known_report(db: Database, school: School, number: int) -> str:
    """A report sent as a pupil sends one, with a nurse's reply: its code opens a real thread."""
    topic = next(t for t in active_topics(db) if t.default_recipient == "nurse")
    code = submit_report(
        db,
        school,
        topic.id,
        "nurse",
        PUPIL_WORDS[number % len(PUPIL_WORDS)],
        submission_key=f"known-{number}",
    )
    (report_id,) = db.execute(
        "SELECT id FROM reports WHERE submission_key = ?", [f"known-{number}"]
    ).fetchone()
    report = pupil_report(db, report_id)
    nurse = find_staff(db, GeneratedCity.nurse(1))
    assert report is not None and nurse is not None
    add_staff_reply(db, nurse, report, STAFF_WORDS[number % len(STAFF_WORDS)])
    return code.display("ja")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("--db", type=Path, required=True, help="a new database file")
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fiscal-year", type=int, default=2025)
    parser.add_argument("--known-codes", type=int, default=0)
    parser.add_argument("--secret", help="entry links' secret (default: a new random one)")
    args = parser.parse_args(argv)
    if args.db.exists():
        parser.error(f"{args.db} exists; the generator fills a new database")
    began = time.monotonic()
    city = generate_city(
        connect(args.db),
        secret=args.secret or secrets.token_urlsafe(32),
        schools=args.schools,
        reports=args.reports,
        seed=args.seed,
        fiscal_year=args.fiscal_year,
        known_codes=args.known_codes,
    )
    print(
        f"{city.reports:,} reports in {len(city.schools)} schools: {time.monotonic() - began:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
