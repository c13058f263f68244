"""A known data set for the statistics tests, and the figures counted from it independently:
plain Python over the rows as stored, with no SQL beyond reading them."""

import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
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
# What pupils write as their grade, and the grade each means at each kind of school (none:
# not a grade there). The tables never show what was written.
GRADES = {
    None: {},
    "": {},
    "1": {"elementary": 1, "junior_high": 1, "high": 1},
    "2": {"elementary": 2, "junior_high": 2, "high": 2},
    "３": {"elementary": 3, "junior_high": 3, "high": 3},
    " 3": {"elementary": 3, "junior_high": 3, "high": 3},
    "5年": {"elementary": 5},
    "小3": {"elementary": 3},
    "三年生": {"elementary": 3, "junior_high": 3, "high": 3},
    "ごねん": {"elementary": 5},
    "中2": {"junior_high": 2},
    "高1": {"high": 1},
    "すごく": {},
}
MAX_GRADE = {"elementary": 6, "junior_high": 3, "high": 3}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def generate(db: Database, *, seed: int = 6, schools: int = 9, reports: int = 700) -> list[int]:
    """Schools of every kind with reports over ~14 months around fiscal year 2025, their
    messages (some replies still waiting for a supervisor), replies, closes, watch flags,
    coordination contacts and hand-overs. Returns the new schools' ids."""
    with transaction(db):
        return _generate(db, random.Random(seed), schools, reports)


def _generate(db: Database, rng: random.Random, schools: int, reports: int) -> list[int]:
    now = _iso(datetime(2025, 1, 1, tzinfo=UTC))
    school_ids = [
        db.execute(
            "INSERT INTO schools (name, kind, created_at) VALUES (?, ?, ?)",
            [unique("Stats school "), SCHOOL_KINDS[index % 3], now],
        ).lastrowid
        for index in range(schools)
    ]
    staff_id = db.execute(
        "INSERT INTO staff (login, display_name, password_hash, role, created_at) "
        "VALUES (?, 'counsellor', 'not a hash', 'centre', ?)",
        [unique("stats-centre"), now],
    ).lastrowid
    topic_ids = [row[0] for row in db.execute("SELECT id FROM topics")]
    first = datetime(2025, 2, 20, tzinfo=UTC)
    times = [_iso(first + timedelta(seconds=rng.randrange(420 * 86400))) for _ in range(reports)]
    for number, created_at in enumerate([*EDGES, *times]):
        report = _Report(rng, number, rng.choice(school_ids), rng.choice(topic_ids), created_at)
        report_id = _insert_report(db, report)
        _add_messages(db, rng, report_id, report, staff_id)
        _add_case_work(db, rng, report_id, report.created, staff_id)
    return school_ids


@dataclass
class _Report:
    """One generated report's times and choices."""

    rng: random.Random
    number: int
    school_id: int
    topic_id: int
    created_at: str

    def __post_init__(self) -> None:
        rng = self.rng
        self.created = datetime.fromisoformat(self.created_at)
        self.first_reply = (
            self.created + timedelta(seconds=rng.randrange(5 * 86400))
            if rng.random() < 0.8
            else None
        )
        self.status = rng.choice(STATUSES)
        self.closed = (
            self.created + timedelta(seconds=rng.randrange(60 * 86400))
            if self.status == "closed"
            else None
        )


def _insert_report(db: Database, report: _Report) -> int:
    rng = report.rng
    recipient = rng.choice(RECIPIENTS)
    key = f"{report.school_id}-{report.number}-{rng.random()}"
    return db.execute(
        "INSERT INTO reports (school_id, topic_id, recipient, answered_by, grade, pupil_name, "
        "language, urgency, status, code_hash, submission_key, created_at, "
        "last_pupil_message_at, first_reply_at, closed_at, outcome, watch_case) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            report.school_id,
            report.topic_id,
            recipient,
            recipient,
            rng.choice(list(GRADES)),
            "ゆい" if rng.random() < 0.2 else None,
            "en" if rng.random() < 0.1 else "ja",
            rng.choice(("urgent", "high", "normal", "normal", "low")),
            report.status,
            f"stats-code-{key}",
            f"stats-key-{key}",
            report.created_at,
            report.created_at,
            report.first_reply and _iso(report.first_reply),
            report.closed and _iso(report.closed),
            rng.choice(OUTCOMES) if report.closed else None,
            int(rng.random() < 0.07),
        ],
    ).lastrowid


def _add_messages(db, rng, report_id: int, report: _Report, staff_id: int) -> None:
    """The pupil's first message, the staff's replies, more of both; now and then a reply
    waiting for a supervisor (not seen by the pupil, so not a contact yet)."""
    messages = [("pupil", report.created, None)]
    if report.first_reply:
        messages.append(("staff", report.first_reply, None))
        messages += [
            (rng.choice(("pupil", "staff")), report.first_reply + timedelta(hours=hour), None)
            for hour in range(rng.randrange(4))
        ]
        if rng.random() < 0.2:
            messages.append(("staff", report.first_reply + timedelta(hours=5), "pending"))
    for author, at, review in messages:
        db.execute(
            "INSERT INTO messages (report_id, author, staff_id, body, pupil_visible, "
            "review_state, created_at) VALUES (?, ?, ?, 'x', ?, ?, ?)",
            [
                report_id,
                author,
                staff_id if author == "staff" else None,
                int(review is None),
                review,
                _iso(at),
            ],
        )


def _add_case_work(db, rng, report_id: int, created: datetime, staff_id: int) -> None:
    for _ in range(rng.choice((0, 0, 0, 1, 2))):
        at = _iso(created + timedelta(hours=rng.randrange(1, 400)))
        db.execute(
            "INSERT INTO coordination (report_id, staff_id, agency, summary, pupil_consent, "
            "abuse_notification, contacted_at, created_at) "
            "VALUES (?, ?, ?, 'called', 'agreed', ?, ?, ?)",
            [report_id, staff_id, rng.choice(AGENCIES), int(rng.random() < 0.2), at, at],
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


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(ZONE)


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


def _grade(kind: str, written: str | None) -> str:
    grade = GRADES.get(written, {}).get(kind)
    return f"{kind}|{grade}" if grade and grade <= MAX_GRADE[kind] else "none"


class Counted:
    """The reports of a period (for one school, or the city) and their visible messages."""

    def __init__(self, db: Database, start: date, end: date, school_id: int | None):
        self.start, self.end, self.school_id = start, end, school_id
        self.topics = {row["id"]: row for row in _rows(db, "SELECT * FROM topics")}
        self.schools = {row["id"]: row for row in _rows(db, "SELECT * FROM schools")}
        all_reports = _rows(db, "SELECT * FROM reports")
        self.school_of = {report["id"]: report["school_id"] for report in all_reports}
        self.reports = [
            report
            for report in all_reports
            if self.in_period(report["created_at"]) and self.of_school(report["id"])
        ]
        ids = {report["id"] for report in self.reports}
        self.messages = Counter(
            (message["report_id"], message["author"])
            for message in _rows(db, "SELECT report_id, author, pupil_visible FROM messages")
            if message["report_id"] in ids and message["pupil_visible"]
        )
        self.coordination = _rows(db, "SELECT * FROM coordination")
        self.hand_overs = _rows(db, "SELECT * FROM hand_overs")

    def in_period(self, text: str) -> bool:
        return self.start <= _local_day(text) <= self.end

    def of_school(self, report_id: int) -> bool:
        return self.school_id in (None, self.school_of[report_id])

    def contacts(self, report: dict) -> int:
        return self.messages[report["id"], "pupil"] + self.messages[report["id"], "staff"]

    def kind(self, report: dict) -> str:
        return self.schools[report["school_id"]]["kind"]

    def topic(self, report: dict) -> dict:
        return self.topics[report["topic_id"]]

    def by(self, key_of, with_contacts: bool = True) -> dict:
        table = defaultdict(
            lambda: {"reports": 0, "contacts": 0} if with_contacts else {"reports": 0}
        )
        for report in self.reports:
            key = key_of(report)
            table[key]["reports"] += 1
            if with_contacts:
                table[key]["contacts"] += self.contacts(report)
        return table


def _coordination(counted: Counted) -> dict:
    table = defaultdict(lambda: {"contacts": 0, "abuse_notifications": 0})
    for row in counted.coordination:
        if counted.in_period(row["contacted_at"]) and counted.of_school(row["report_id"]):
            table[row["agency"]]["contacts"] += 1
            table[row["agency"]]["abuse_notifications"] += row["abuse_notification"]
    return table


def _overview(counted: Counted) -> dict:
    reports = counted.reports
    abuse = sum(row["abuse_notifications"] for row in _coordination(counted).values())
    return {
        "overview": {
            "reports": {"count": len(reports)},
            "watch_cases": {"count": sum(report["watch_case"] for report in reports)},
            "abuse_notifications": {"count": abuse},
        },
        "contacts": {
            author: {"count": sum(counted.messages[r["id"], author] for r in reports)}
            for author in ("pupil", "staff")
        },
    }


def _levels(counted: Counted) -> dict:
    level, level_contacts = defaultdict(Counter), defaultdict(Counter)
    for report in counted.reports:
        category = counted.topic(report)["category"]
        level[category][counted.kind(report)] += 1
        level_contacts[category][counted.kind(report)] += counted.contacts(report)
    return {
        "by_level": {category: dict(kinds) for category, kinds in level.items()},
        "by_level_contacts": {category: dict(kinds) for category, kinds in level_contacts.items()},
    }


def _topics(counted: Counted) -> dict:
    by_sub_item = counted.by(lambda report: counted.topic(report)["sub_item"])
    top = sorted(by_sub_item, key=lambda key: (-by_sub_item[key]["contacts"], key))[:5]
    return {
        "top_sub_items": {key: by_sub_item[key] for key in top},
        "by_sub_item": by_sub_item,
        "by_topic": counted.by(lambda report: counted.topic(report)["label_ja"]),
        "by_school": counted.by(lambda report: counted.schools[report["school_id"]]["name"]),
        "by_grade": counted.by(
            lambda report: _grade(counted.kind(report), report["grade"]), with_contacts=False
        ),
    }


def _times(counted: Counted) -> dict:
    return {
        "by_month": counted.by(lambda r: _local(r["created_at"]).strftime("%Y-%m"), False),
        "by_weekday": counted.by(lambda r: str(_local(r["created_at"]).weekday()), False),
        "by_hour": counted.by(lambda r: str(_local(r["created_at"]).hour), False),
    }


def _cases(counted: Counted) -> dict:
    by = counted.by
    return {
        "by_channel": by(lambda report: report["recipient"]),
        "by_identity": by(lambda report: "1" if report["pupil_name"] else "0", False),
        "by_urgency": by(lambda report: report["urgency"], False),
        "by_status": by(lambda report: report["status"], False),
        "by_outcome": {
            key: row
            for key, row in by(lambda report: report["outcome"], False).items()
            if key is not None
        },
        "by_language": by(lambda report: report["language"], False),
    }


def _response_times(counted: Counted) -> dict:
    def seconds(report, column):
        if report[column] is None:
            return None
        delta = datetime.fromisoformat(report[column]) - datetime.fromisoformat(
            report["created_at"]
        )
        return _step(int(delta.total_seconds()))

    table = {}
    for name, column in (("first_reply", "first_reply_at"), ("close", "closed_at")):
        values = [
            value for value in (seconds(r, column) for r in counted.reports) if value is not None
        ]
        table[name] = {
            "reports": len(values),
            "median_hours": _nearest_rank(values, 0.5),
            "p90_hours": _nearest_rank(values, 0.9),
        }
    return {"response_times": table}


def _activities(counted: Counted) -> dict:
    hand_overs = Counter(
        row["direction"]
        for row in counted.hand_overs
        if counted.in_period(row["created_at"]) and counted.of_school(row["report_id"])
    )
    return {
        "hand_overs": {direction: {"reports": count} for direction, count in hand_overs.items()},
        "coordination": _coordination(counted),
    }


def expected(db: Database, start: date, end: date, school_id: int | None = None) -> dict:
    """{table name: {row key: {column key: value}}} as `Table.as_dict` gives it, for the
    centre's own (unprotected) view."""
    counted = Counted(db, start, end, school_id)
    tables = {}
    for part in (_overview, _levels, _topics, _times, _cases, _response_times, _activities):
        tables.update(part(counted))
    return tables
