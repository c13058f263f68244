"""A known data set for the statistics tests, and the figures counted from it independently:
plain Python over the rows as stored, with no SQL beyond reading them."""

import math
import random
import unicodedata
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from school_report.db import transaction
from school_report.migrations import AGENCIES, OUTCOMES, RECIPIENTS, SCHOOL_KINDS, STATUSES
from tests.support import unique

ZONE = ZoneInfo("Asia/Tokyo")
# Rows on either side of the city's midnights that open and close fiscal year 2025.
EDGES = (
    "2025-03-31T14:59:59+00:00",
    "2025-03-31T15:00:00+00:00",
    "2026-03-31T14:59:59+00:00",
    "2026-03-31T15:00:00+00:00",
)
GRADES = (None, None, "1", "2", "３", " 3", "5年")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def generate(db: Database, *, seed: int = 6, schools: int = 9, reports: int = 700) -> list[int]:
    """Schools of every kind with reports over ~14 months around fiscal year 2025, their
    messages, replies, closes, watch flags, coordination contacts and hand-overs. Returns the
    new schools' ids."""
    with transaction(db):
        return _generate(db, random.Random(seed), schools, reports)


def _generate(db: Database, rng: random.Random, schools: int, reports: int) -> list[int]:
    now = _iso(datetime(2025, 1, 1, tzinfo=UTC))
    school_ids = []
    for index in range(schools):
        cursor = db.execute(
            "INSERT INTO schools (name, kind, created_at) VALUES (?, ?, ?)",
            [unique("Stats school "), SCHOOL_KINDS[index % 3], now],
        )
        school_ids.append(cursor.lastrowid)
    staff_id = db.execute(
        "INSERT INTO staff (login, display_name, password_hash, role, created_at) "
        "VALUES (?, 'counsellor', 'not a hash', 'centre', ?)",
        [unique("stats-centre"), now],
    ).lastrowid
    topic_ids = [row[0] for row in db.execute("SELECT id FROM topics")]
    first = datetime(2025, 2, 20, tzinfo=UTC)
    times = [_iso(first + timedelta(seconds=rng.randrange(420 * 86400))) for _ in range(reports)]
    for number, created_at in enumerate([*EDGES, *times]):
        _report(
            db, rng, number, rng.choice(school_ids), rng.choice(topic_ids), created_at, staff_id
        )
    return school_ids


def _report(db, rng, number, school_id, topic_id, created_at, staff_id) -> None:
    created = datetime.fromisoformat(created_at)
    first_reply = (
        created + timedelta(seconds=rng.randrange(5 * 86400)) if rng.random() < 0.8 else None
    )
    status = rng.choice(STATUSES)
    recipient = rng.choice(RECIPIENTS)
    closed = created + timedelta(seconds=rng.randrange(60 * 86400)) if status == "closed" else None
    report_id = db.execute(
        "INSERT INTO reports (school_id, topic_id, recipient, answered_by, grade, pupil_name, "
        "language, urgency, status, code_hash, submission_key, created_at, "
        "last_pupil_message_at, first_reply_at, closed_at, outcome, watch_case) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            school_id,
            topic_id,
            recipient,
            recipient,
            rng.choice(GRADES),
            "ゆい" if rng.random() < 0.2 else None,
            "en" if rng.random() < 0.1 else "ja",
            rng.choice(("urgent", "high", "normal", "normal", "low")),
            status,
            f"stats-code-{school_id}-{number}-{rng.random()}",
            f"stats-key-{school_id}-{number}-{rng.random()}",
            created_at,
            created_at,
            first_reply and _iso(first_reply),
            closed and _iso(closed),
            rng.choice(OUTCOMES) if closed else None,
            int(rng.random() < 0.07),
        ],
    ).lastrowid
    messages = [("pupil", created)]
    if first_reply:
        messages.append(("staff", first_reply))
        messages += [
            (rng.choice(("pupil", "staff")), first_reply + timedelta(hours=hour))
            for hour in range(rng.randrange(4))
        ]
    for author, at in messages:
        db.execute(
            "INSERT INTO messages (report_id, author, staff_id, body, created_at) "
            "VALUES (?, ?, ?, 'x', ?)",
            [report_id, author, staff_id if author == "staff" else None, _iso(at)],
        )
    for _ in range(rng.choice((0, 0, 0, 1, 2))):
        at = created + timedelta(hours=rng.randrange(1, 400))
        # Written as the case pages write it: in the city's zone, not UTC.
        db.execute(
            "INSERT INTO coordination (report_id, staff_id, agency, summary, pupil_consent, "
            "abuse_notification, contacted_at, created_at) "
            "VALUES (?, ?, ?, 'called', 'agreed', ?, ?, ?)",
            [
                report_id,
                staff_id,
                rng.choice(AGENCIES),
                int(rng.random() < 0.2),
                _iso(at),
                _iso(at),
            ],
        )
    if rng.random() < 0.15:
        direction = rng.choice(("school_to_centre", "centre_to_school"))
        db.execute(
            "INSERT INTO hand_overs (report_id, direction, to_recipient, staff_id, "
            "pupil_consent, reason, created_at) VALUES (?, ?, ?, ?, 'agreed', 'why', ?)",
            [
                report_id,
                direction,
                "centre" if direction == "school_to_centre" else "school_team",
                staff_id,
                _iso(created + timedelta(hours=rng.randrange(1, 200))),
            ],
        )


# ---------------------------------------------------------------------------------------------
# Counting it again, independently


def _local_day(text: str) -> date:
    return datetime.fromisoformat(text).astimezone(ZONE).date()


def _rows(db: Database, sql: str) -> list[dict]:
    cursor = db.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _step(seconds: int) -> int:
    step = 900 if seconds < 2 * 86400 else 3600 if seconds < 30 * 86400 else 86400
    return seconds // step * step


def _nearest_rank(values: list[int], share: float) -> float | None:
    if not values:
        return None
    return round(sorted(values)[math.ceil(share * len(values)) - 1] / 3600, 2)


def expected(db: Database, start: date, end: date, school_id: int | None = None) -> dict:
    """{table name: {row key: {column key: value}}} as `Table.as_dict` gives it."""
    topics = {row["id"]: row for row in _rows(db, "SELECT * FROM topics")}
    schools = {row["id"]: row for row in _rows(db, "SELECT * FROM schools")}
    reports = [
        report
        for report in _rows(db, "SELECT * FROM reports")
        if start <= _local_day(report["created_at"]) <= end
        and school_id in (None, report["school_id"])
    ]
    ids = {report["id"] for report in reports}
    messages = Counter()
    for message in _rows(db, "SELECT report_id, author FROM messages"):
        if message["report_id"] in ids:
            messages[message["report_id"], message["author"]] += 1

    def contacts(report):
        return messages[report["id"], "pupil"] + messages[report["id"], "staff"]

    def by(key_of, with_contacts=True):
        table = defaultdict(
            lambda: {"reports": 0, "contacts": 0} if with_contacts else {"reports": 0}
        )
        for report in reports:
            key = key_of(report)
            if key is None:
                continue
            table[key]["reports"] += 1
            if with_contacts:
                table[key]["contacts"] += contacts(report)
        return table

    def local(report):
        return datetime.fromisoformat(report["created_at"]).astimezone(ZONE)

    kind = lambda report: schools[report["school_id"]]["kind"]  # noqa: E731
    level = defaultdict(Counter)
    level_contacts = defaultdict(Counter)
    for report in reports:
        category = topics[report["topic_id"]]["category"]
        level[category][kind(report)] += 1
        level_contacts[category][kind(report)] += contacts(report)

    def in_period(text):
        return start <= _local_day(text) <= end

    school_of = {row["id"]: row["school_id"] for row in _rows(db, "SELECT * FROM reports")}

    def of_school(report_id):
        return school_id in (None, school_of[report_id])

    coordination = defaultdict(lambda: {"contacts": 0, "abuse_notifications": 0})
    for row in _rows(db, "SELECT * FROM coordination"):
        if in_period(row["contacted_at"]) and of_school(row["report_id"]):
            coordination[row["agency"]]["contacts"] += 1
            coordination[row["agency"]]["abuse_notifications"] += row["abuse_notification"]
    hand_overs = Counter(
        row["direction"]
        for row in _rows(db, "SELECT * FROM hand_overs")
        if in_period(row["created_at"]) and of_school(row["report_id"])
    )

    def seconds(report, column):
        if report[column] is None:
            return None
        delta = datetime.fromisoformat(report[column]) - datetime.fromisoformat(
            report["created_at"]
        )
        return _step(int(delta.total_seconds()))

    durations = {
        name: [value for value in (seconds(r, column) for r in reports) if value is not None]
        for name, column in (("first_reply", "first_reply_at"), ("close", "closed_at"))
    }
    by_sub_item = by(lambda report: topics[report["topic_id"]]["sub_item"])
    top = sorted(by_sub_item, key=lambda key: (-by_sub_item[key]["contacts"], key))[:5]
    return {
        "overview": {
            "reports": {"count": len(reports)},
            "watch_cases": {"count": sum(report["watch_case"] for report in reports)},
            "abuse_notifications": {
                "count": sum(row["abuse_notifications"] for row in coordination.values())
            },
        },
        "contacts": {
            "pupil": {"count": sum(messages[r["id"], "pupil"] for r in reports)},
            "staff": {"count": sum(messages[r["id"], "staff"] for r in reports)},
        },
        "by_channel": by(lambda report: report["recipient"]),
        "by_level": {category: dict(kinds) for category, kinds in level.items()},
        "by_level_contacts": {category: dict(kinds) for category, kinds in level_contacts.items()},
        "top_sub_items": {key: by_sub_item[key] for key in top},
        "by_sub_item": by_sub_item,
        "by_topic": by(lambda report: topics[report["topic_id"]]["label_ja"]),
        "by_school": by(lambda report: schools[report["school_id"]]["name"]),
        "by_grade": by(
            lambda report: (
                report["grade"]
                and f"{kind(report)}|{unicodedata.normalize('NFKC', report['grade']).strip()}"
            ),
            with_contacts=False,
        ),
        "by_month": by(lambda report: local(report).strftime("%Y-%m"), False),
        "by_weekday": by(lambda report: str(local(report).weekday()), False),
        "by_hour": by(lambda report: str(local(report).hour), False),
        "by_identity": by(lambda report: "1" if report["pupil_name"] else "0", False),
        "by_urgency": by(lambda report: report["urgency"], False),
        "by_status": by(lambda report: report["status"], False),
        "by_outcome": by(lambda report: report["outcome"], False),
        "by_language": by(lambda report: report["language"], False),
        "response_times": {
            name: {
                "reports": len(values),
                "median_hours": _nearest_rank(values, 0.5),
                "p90_hours": _nearest_rank(values, 0.9),
            }
            for name, values in durations.items()
        },
        "hand_overs": {direction: {"reports": count} for direction, count in hand_overs.items()},
        "coordination": coordination,
    }
