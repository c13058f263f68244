"""A small city whose annual-report figures are worked out by hand in the tests.

Fiscal year 2025 runs from 2025-04-01 to 2026-03-31 in Japan. Cases (times are Japan's):

- A (centre, junior high, 友人関係): the pupil writes on 2025-03-20 (fiscal 2024), then twice on
  2025-04-10, and the centre replies; flagged to watch on 2025-05-01; coordination with the
  school (a meeting) on 2025-05-10 and with the child guidance centre (a notification) on
  2025-05-12. It spans two fiscal years.
- B (centre, elementary, 親子・兄弟関係): the pupil writes on 2025-06-01; the mother calls on
  2025-06-03 and e-mails on 2025-06-05 (the e-mail is recorded a week late).
- C (centre, elementary, 精神不安): the father calls on 2025-07-01 and visits on 2025-07-15.
- D (the school team of the elementary school, 友人関係): the pupil writes on 2025-08-01 and
  2025-08-02.
- E (centre, junior high, 親子・兄弟関係): the pupil writes at 23:30 on 2026-03-31 and again
  ten minutes after midnight (fiscal 2026).
- F (centre, junior high, 精神不安): the pupil writes twice on 2024-10-01 (fiscal 2024); the
  centre replies.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from school_report.contacts import record_contact
from tests.support import topic_id, unique

JAPAN = ZoneInfo("Asia/Tokyo")


def japan(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JAPAN)


def _utc(text: str) -> str:
    return japan(text).astimezone(ZoneInfo("UTC")).isoformat(timespec="seconds")


@dataclass(frozen=True)
class AnnualCity:
    elementary: int
    junior_high: int
    cases: dict[str, int]


def _school(db: Database, kind: str) -> int:
    return db.execute(
        "INSERT INTO schools (name, kind, created_at) VALUES (?, ?, '2024-01-01T00:00:00+00:00')",
        [unique(f"年報{kind}"), kind],
    ).lastrowid


def _case(db: Database, school_id: int, topic: str, recipient: str, opened: str) -> int:
    key = unique("annual")
    return db.execute(
        "INSERT INTO reports (school_id, topic_id, recipient, answered_by, urgency, code_hash, "
        "submission_key, created_at, last_pupil_message_at) VALUES (?, ?, ?, ?, 'normal', ?, ?, "
        "?, ?)",
        [school_id, topic_id(db, topic), recipient, recipient, key, key, opened, opened],
    ).lastrowid


def _message(db: Database, report_id: int, author: str, at: str, staff_id=None) -> None:
    db.execute(
        "INSERT INTO messages (report_id, author, staff_id, body, created_at) "
        "VALUES (?, ?, ?, 'x', ?)",
        [report_id, author, staff_id, _utc(at)],
    )


def _staff(db: Database) -> int:
    return db.execute(
        "INSERT INTO staff (login, display_name, password_hash, role, created_at) "
        "VALUES (?, '相談員', 'not a hash', 'centre', '2024-01-01T00:00:00+00:00')",
        [unique("annual-centre")],
    ).lastrowid


def _coordination(db, report_id, staff_id, agency, activity, notified, at) -> None:
    db.execute(
        "INSERT INTO coordination (report_id, staff_id, agency, activity, summary, "
        "pupil_consent, abuse_notification, contacted_at, created_at) "
        "VALUES (?, ?, ?, ?, 'x', 'agreed', ?, ?, ?)",
        [report_id, staff_id, agency, activity, notified, _utc(at), _utc(at)],
    )


def build(db: Database) -> AnnualCity:
    staff_id = _staff(db)
    elementary, junior_high = _school(db, "elementary"), _school(db, "junior_high")
    cases = {}
    cases["A"] = a = _case(db, junior_high, "friends", "centre", _utc("2025-03-20T10:00:00"))
    _message(db, a, "pupil", "2025-03-20T10:00:00")
    _message(db, a, "pupil", "2025-04-10T10:00:00")
    _message(db, a, "pupil", "2025-04-10T11:00:00")
    _message(db, a, "staff", "2025-04-10T12:00:00", staff_id)
    db.execute("UPDATE reports SET watch_case = 1, watch_reason = 'x' WHERE id = ?", [a])
    db.execute(
        "INSERT INTO case_events (report_id, staff_id, kind, created_at) "
        "VALUES (?, ?, 'watch_flagged', ?)",
        [a, staff_id, _utc("2025-05-01T09:00:00")],
    )
    _coordination(db, a, staff_id, "school", "meeting", 0, "2025-05-10T15:00:00")
    _coordination(db, a, staff_id, "child_guidance_centre", "contact", 1, "2025-05-12T15:00:00")

    cases["B"] = b = _case(db, elementary, "home", "centre", _utc("2025-06-01T18:00:00"))
    _message(db, b, "pupil", "2025-06-01T18:00:00")
    record_contact(db, b, "phone", "mother", japan("2025-06-03T10:00:00"), staff_id)

    cases["C"] = c = _case(db, elementary, "feelings", "centre", _utc("2025-07-01T10:00:00"))
    record_contact(db, c, "phone", "father", japan("2025-07-01T10:00:00"), staff_id)
    record_contact(db, c, "visit", "father", japan("2025-07-15T14:00:00"), staff_id)
    # B's e-mail, recorded after C's contacts, counts on its own date.
    record_contact(db, b, "email", "mother", japan("2025-06-05T21:00:00"), staff_id)

    cases["D"] = d = _case(db, elementary, "friends", "school_team", _utc("2025-08-01T08:00:00"))
    _message(db, d, "pupil", "2025-08-01T08:00:00")
    _message(db, d, "pupil", "2025-08-02T08:00:00")

    cases["E"] = e = _case(db, junior_high, "home", "centre", _utc("2026-03-31T23:30:00"))
    _message(db, e, "pupil", "2026-03-31T23:30:00")
    _message(db, e, "pupil", "2026-04-01T00:10:00")

    cases["F"] = f = _case(db, junior_high, "feelings", "centre", _utc("2024-10-01T16:00:00"))
    _message(db, f, "pupil", "2024-10-01T16:00:00")
    _message(db, f, "pupil", "2024-10-01T16:30:00")
    _message(db, f, "staff", "2024-10-02T09:00:00", staff_id)
    return AnnualCity(elementary, junior_high, cases)
