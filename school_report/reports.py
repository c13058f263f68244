"""Reports and their message threads: what a pupil sends, and what staff read and answer."""

import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from sqlite_utils import Database

from school_report import hand_overs, text
from school_report.audit import record_event
from school_report.clock import now_iso, utc_now
from school_report.code_pool import fresh_code
from school_report.codes import ReturnCode, code_space, hash_return_code, parse_return_code
from school_report.danger import raise_urgency_for_message
from school_report.db import transaction
from school_report.notifications import queue_report_mail
from school_report.pupil_sessions import keep_sent_code
from school_report.refused import ReasonRefused
from school_report.routing import (
    answer_condition,
    check_route,
    inbox_condition,
    message_condition,
)
from school_report.schools import School
from school_report.settings import get_setting
from school_report.staff import Staff
from school_report.submission_limits import may_submit_report
from school_report.topics import PUPIL_LANGUAGES, Topic, pupil_messaging

MAX_MESSAGE_CHARS = 4000
MAX_NAME_CHARS = 40
MAX_GRADE_CHARS = 10
# The languages pupils can read their pages and write in (BCP 47 tags, stored with each report).
LANGUAGES = PUPIL_LANGUAGES

# Each wrong code costs the server an argon2 hash: past this many at a school link in the window,
# each wrong one waits (cost, not guessing, so a right code still opens at once).
CODE_FAILURE_WINDOW = timedelta(minutes=15)
CODE_FAILURES_BEFORE_SLOWING = 10
# Guessing: a school link refuses every code (a right one too) only once its wrong codes of the
# last day could have hit one of its live codes with the city setting
# `code_guess_chance_per_day` (default 1e-5; SECURITY.md has the sum).
CODE_GUESS_WINDOW = timedelta(days=1)


class SubmissionError(ReasonRefused):
    """What a pupil or staff member sent cannot be accepted; `reason` names why for the UI."""


@dataclass(frozen=True)
class Report:
    id: int
    school_id: int
    school_name: str
    topic: Topic
    recipient: str
    grade: str | None
    class_name: str | None
    pupil_name: str | None
    language: str
    urgency: str
    status: str
    staff_unread: bool
    created_at: str
    first_reply_at: str | None
    answered_by: str  # whose inbox holds the thread now (the centre, after a referral)


@dataclass(frozen=True)
class Message:
    id: int
    author: str
    staff_name: str | None
    body: str
    created_at: str
    keep_from_school: bool = False  # the pupil asked that the school not read it
    staff_role: str | None = None  # whose reply: after a hand-over, not the first recipient's


# Messages keep whatever a keyboard or emoji picker gives, control characters apart.
clean_text = partial(text.clean_text, refuse=SubmissionError)


def clean_report_fields(
    body: str, grade: str | None, class_name: str | None, pupil_name: str | None
) -> dict[str, str | None]:
    """A new report's text fields as they will be stored, or SubmissionError."""
    return {
        "body": clean_text(body, MAX_MESSAGE_CHARS, required=True, multiline=True),
        "grade": clean_text(grade, MAX_GRADE_CHARS, required=False, multiline=False),
        "class_name": clean_text(class_name, MAX_GRADE_CHARS, required=False, multiline=False),
        "pupil_name": clean_text(pupil_name, MAX_NAME_CHARS, required=False, multiline=False),
    }


def submit_report(
    db: Database,
    school: School,
    topic_id: int,
    recipient_slug: str,
    body: str,
    *,
    submission_key: str,
    grade: str | None = None,
    class_name: str | None = None,
    pupil_name: str | None = None,
    language: str = "ja",
    pupil_handle: str | None = None,
) -> ReturnCode:
    """Store a pupil's report and first message; return the new return code, which exists
    nowhere else (only its hash is stored, and, sealed under the handle, in the pupil's session
    when one is given, in the same transaction: `pupil_sessions.sent_code`). A form sent twice
    is refused as `already_sent`."""
    topic, chosen = check_route(db, topic_id, recipient_slug)
    fields = clean_report_fields(body, grade, class_name, pupil_name)
    if language not in LANGUAGES:
        language = "ja"
    if not may_submit_report(db, school):  # a prank script is refused before any hashing
        raise SubmissionError("too_many_reports")
    salt = get_setting(db, "code_salt")
    while True:
        code, code_hash = fresh_code(salt)  # hashed ahead, or now: outside the write lock
        try:
            _insert_report(
                db,
                school,
                topic,
                chosen.slug,
                fields,
                language,
                code_hash,
                submission_key,
                sent=(pupil_handle, code) if pupil_handle else None,
            )
        except sqlite3.IntegrityError as error:
            if "submission_key" in str(error):
                raise SubmissionError("already_sent") from error
            if "code_hash" not in str(error):
                raise
            continue  # the same code drawn twice in a city: draw again
        return code


def _insert_report(
    db, school, topic, recipient_slug, fields, language, code_hash, submission_key, sent=None
) -> None:
    now = now_iso()
    with transaction(db):
        # Counted under the write lock, so reports sent at the same moment cannot all pass.
        if not may_submit_report(db, school):
            raise SubmissionError("too_many_reports")
        cursor = db.execute(
            "INSERT INTO reports (school_id, topic_id, recipient, answered_by, grade, class_name, "
            "pupil_name, language, urgency, code_hash, submission_key, created_at, "
            "last_pupil_message_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                school.id,
                topic.id,
                recipient_slug,
                recipient_slug,
                fields["grade"],
                fields["class_name"],
                fields["pupil_name"],
                language,
                topic.urgency,
                code_hash,
                submission_key,
                now,
                now,
            ],
        )
        db.execute(
            "INSERT INTO messages (report_id, author, body, created_at) VALUES (?, 'pupil', ?, ?)",
            [cursor.lastrowid, fields["body"], now],
        )
        record_event(db, cursor.lastrowid, None, "opened", urgency=topic.urgency)
        raise_urgency_for_message(db, cursor.lastrowid, fields["body"])
        queue_report_mail(db, cursor.lastrowid, "new_report")
        if sent:  # the pupil's session shows the code again after a crash before the answer
            keep_sent_code(db, sent[0], cursor.lastrowid, sent[1])


def code_guess_budget(live_codes: int, chance_per_day: float) -> int:
    """The wrong codes a school link takes in a day before it refuses every code: each guess
    hits one of its `live_codes` with a chance of live_codes / 2^40.9, so this many keep the
    chance of any hit in a day under `chance_per_day`."""
    return int(chance_per_day * code_space() / max(live_codes, 1))


def school_code_guess_budget(db: Database, school: School) -> int:
    """`code_guess_budget` for the codes that open a thread at this school now."""
    (live,) = db.execute("SELECT count(*) FROM reports WHERE school_id = ?", [school.id]).fetchone()
    return code_guess_budget(live, get_setting(db, "code_guess_chance_per_day"))


def _failures_since(db: Database, school: School, window: timedelta) -> int:
    since = (utc_now() - window).isoformat(timespec="seconds")
    (failures,) = db.execute(
        "SELECT count(*) FROM code_failures WHERE school_id = ? AND at > ?", [school.id, since]
    ).fetchone()
    return failures


def code_attempts_state(db: Database, school: School) -> str:
    """'open', 'slow' or 'refused', by the wrong codes typed on this school's link lately.
    The count is per school link, never per network address: a whole school shares one."""
    if _failures_since(db, school, CODE_GUESS_WINDOW) >= school_code_guess_budget(db, school):
        return "refused"
    recent = _failures_since(db, school, CODE_FAILURE_WINDOW)
    return "slow" if recent >= CODE_FAILURES_BEFORE_SLOWING else "open"


@dataclass(frozen=True)
class CodeAttempt:
    """What typing a return code at a school's link gave."""

    report_id: int | None  # the report it opens; None for a wrong code or a refusal
    attempts: str  # the link's `code_attempts_state` before this try


def try_return_code(db: Database, school: School, typed: str) -> CodeAttempt:
    """Look the typed code up at this school; a miss is counted. Once the link has had its fill
    of wrong codes every code is refused, uncounted. The count and the record are one write, so
    guesses sent at the same moment cannot pass the limit; the hash is worked out before it."""
    if code_attempts_state(db, school) == "refused":  # no hashing for a refused script
        return CodeAttempt(None, "refused")
    code = parse_return_code(typed)
    code_hash = code and hash_return_code(code, get_setting(db, "code_salt"))
    with transaction(db):
        attempts = code_attempts_state(db, school)
        if attempts == "refused":
            return CodeAttempt(None, attempts)
        report_id = code_hash and _school_report_with_code(db, school, code_hash)
        if report_id is None:
            db.execute(
                "INSERT INTO code_failures (school_id, at) VALUES (?, ?)", [school.id, now_iso()]
            )
    return CodeAttempt(report_id, attempts)


def _school_report_with_code(db: Database, school: School, code_hash: str) -> int | None:
    row = db.execute(
        "SELECT id FROM reports WHERE code_hash = ? AND school_id = ?", [code_hash, school.id]
    ).fetchone()
    return row[0] if row else None


def find_report_by_code(db: Database, school: School, typed: str) -> int | None:
    """The id of this school's report with the typed return code (`try_return_code`)."""
    return try_return_code(db, school, typed).report_id


_REPORT_SELECT = (
    "SELECT r.id, r.school_id, s.name, t.id, t.slug, t.label_ja, t.label_en, t.icon, t.domain, "
    "t.default_recipient, t.category, t.sub_item, t.urgency, r.recipient, r.grade, "
    "r.class_name, r.pupil_name, r.language, r.urgency, r.status, r.staff_unread, "
    "r.created_at, r.first_reply_at, r.answered_by "
    "FROM reports r JOIN schools s ON s.id = r.school_id JOIN topics t ON t.id = r.topic_id"
)


def _report(row: tuple) -> Report:
    return Report(
        row[0],
        row[1],
        row[2],
        Topic(*row[3:13]),
        row[13],
        row[14],
        row[15],
        row[16],
        row[17],
        row[18],
        row[19],
        bool(row[20]),
        row[21],
        row[22],
        row[23],
    )


def pupil_report(db: Database, report_id: int) -> Report | None:
    row = db.execute(f"{_REPORT_SELECT} WHERE r.id = ?", [report_id]).fetchone()
    return _report(row) if row else None


def thread(
    db: Database, report_id: int, *, for_pupil: bool, viewer: Staff | None = None
) -> list[Message]:
    """The messages of a report, oldest first; the pupil sees only what is meant for them, and
    a staff `viewer` only what their side may read (`routing.message_condition`)."""
    condition, params = message_condition(viewer) if viewer else ("1", [])
    visible = "AND m.pupil_visible = 1" if for_pupil else ""
    rows = db.execute(
        "SELECT m.id, m.author, st.display_name, m.body, m.created_at, m.keep_from_school, st.role "
        "FROM messages m JOIN reports r ON r.id = m.report_id "
        "LEFT JOIN staff st ON st.id = m.staff_id "
        f"WHERE m.report_id = ? {visible} AND {condition} ORDER BY m.id",
        [report_id, *params],
    )
    return [Message(*row[:5], bool(row[5]), row[6]) for row in rows]


def pupil_may_write(db: Database, report: Report) -> bool:
    """Open, and the city lets pupils and this report's recipient exchange messages (whether or
    not it still offers that recipient for new reports)."""
    return report.status != "closed" and pupil_messaging(db, report.id)


def add_pupil_message(
    db: Database, report: Report, body: str, *, keep_from_school: bool = False
) -> None:
    if not pupil_may_write(db, report):
        raise SubmissionError("messaging_closed")
    body = clean_text(body, MAX_MESSAGE_CHARS, required=True, multiline=True)
    now = now_iso()
    with transaction(db):
        db.execute(
            "INSERT INTO messages (report_id, author, body, created_at) VALUES (?, 'pupil', ?, ?)",
            [report.id, body, now],
        )
        db.execute(
            "UPDATE reports SET staff_unread = 1, last_pupil_message_at = ? WHERE id = ?",
            [now, report.id],
        )
        raise_urgency_for_message(db, report.id, body)
        hand_overs.after_pupil_message(db, report.id, keep_from_school=keep_from_school)


def unread_count(db: Database, staff: Staff) -> int:
    """Unread reports of the inbox: unread belongs to the side that answers, not to a school
    that only reads a report it referred or was brought in on."""
    condition, params = answer_condition(staff)
    (count,) = db.execute(
        f"SELECT count(*) FROM reports r WHERE {condition} AND r.staff_unread = 1", params
    ).fetchone()
    return count


def report_for_staff(db: Database, staff: Staff, report_id: int) -> Report | None:
    """The report if it is in this staff member's inbox; None otherwise, whatever the id."""
    condition, params = inbox_condition(staff)
    row = db.execute(
        f"{_REPORT_SELECT} WHERE r.id = ? AND {condition}", [report_id, *params]
    ).fetchone()
    return _report(row) if row else None


def mark_read(db: Database, report: Report, read: bool = True) -> None:
    db.execute("UPDATE reports SET staff_unread = ? WHERE id = ?", [int(not read), report.id])


def add_staff_reply(
    db: Database, staff: Staff, report: Report, body: str, *, pending_review: bool = False
) -> None:
    """With `pending_review` the reply waits, unseen by the pupil, for a supervisor. Refused
    where the city turned messaging with this recipient off: the pupil was told no reply comes."""
    if not pupil_messaging(db, report.id):
        raise SubmissionError("messaging_off")
    body = clean_text(body, MAX_MESSAGE_CHARS, required=True, multiline=True)
    now = now_iso()
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO messages (report_id, author, staff_id, body, pupil_visible, "
            "review_state, created_at) VALUES (?, 'staff', ?, ?, ?, ?, ?)",
            [
                report.id,
                staff.id,
                body,
                int(not pending_review),
                "pending" if pending_review else None,
                now,
            ],
        )
        db.execute("UPDATE reports SET staff_unread = 0 WHERE id = ?", [report.id])
        record_event(
            db,
            report.id,
            staff.id,
            "replied",
            message_id=cursor.lastrowid,
            pending_review=pending_review,
        )
        if not pending_review:
            mark_replied(db, report.id, staff.id)


def mark_replied(db: Database, report_id: int, staff_id: int) -> None:
    """A reply has reached the pupil: the first one ends the wait, and a new report is then
    in progress. Call inside the reply's transaction."""
    (status,) = db.execute("SELECT status FROM reports WHERE id = ?", [report_id]).fetchone()
    db.execute(
        "UPDATE reports SET first_reply_at = coalesce(first_reply_at, ?), "
        "status = CASE status WHEN 'new' THEN 'in_progress' ELSE status END WHERE id = ?",
        [now_iso(), report_id],
    )
    if status == "new":
        record_event(db, report_id, staff_id, "status_changed", was="new", to="in_progress")
