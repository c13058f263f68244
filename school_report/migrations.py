"""The schema, owned here alone: one migration function per change, recorded in the database.

Add a change as a new function at the end; never edit one that has shipped.
"""

import json
import secrets
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

DATA = Path(__file__).parent / "data"
migrations = Migrations("school_report")

RECIPIENTS = ("nurse", "school_team", "centre")
ROLES = ("nurse", "school_team", "school_admin", "centre", "admin")
SCHOOL_ROLES = ("nurse", "school_team", "school_admin")
SCHOOL_KINDS = ("elementary", "junior_high", "high")
URGENCIES = ("urgent", "high", "normal", "low")
STATUSES = ("new", "in_progress", "coordinating", "monitoring", "closed")


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _run(db: Database, *statements: str) -> None:
    for statement in statements:
        db.execute(statement)


@migrations()
def m001_core_loop(db: Database) -> None:
    _run(
        db,
        """CREATE TABLE city_settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
        f"""CREATE TABLE schools (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ({_sql_list(SCHOOL_KINDS)})),
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE school_links (
            id INTEGER PRIMARY KEY,
            school_id INTEGER NOT NULL REFERENCES schools(id),
            nonce TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        )""",
        f"""CREATE TABLE staff (
            id INTEGER PRIMARY KEY,
            login TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ({_sql_list(ROLES)})),
            school_id INTEGER REFERENCES schools(id),
            email TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            must_change_password INTEGER NOT NULL DEFAULT 0,
            -- a counsellor in training: replies wait for a supervisor's approval
            needs_review INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            CHECK ((role IN ({_sql_list(SCHOOL_ROLES)})) = (school_id IS NOT NULL))
        )""",
        """CREATE TABLE staff_sessions (
            id_hash TEXT PRIMARY KEY,
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL
        )""",
        f"""CREATE TABLE recipients (
            slug TEXT PRIMARY KEY CHECK (slug IN ({_sql_list(RECIPIENTS)})),
            offered INTEGER NOT NULL DEFAULT 1,
            messaging INTEGER NOT NULL DEFAULT 1,
            position INTEGER NOT NULL
        )""",
        f"""CREATE TABLE topics (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            label_ja TEXT NOT NULL,
            label_en TEXT NOT NULL,
            icon TEXT NOT NULL DEFAULT '',
            domain TEXT NOT NULL CHECK (domain IN ('school', 'welfare', 'health', 'none')),
            default_recipient TEXT REFERENCES recipients(slug),
            category TEXT NOT NULL,
            sub_item TEXT NOT NULL,
            urgency TEXT NOT NULL CHECK (urgency IN ({_sql_list(URGENCIES)})),
            position INTEGER NOT NULL,
            active INTEGER NOT NULL DEFAULT 1
        )""",
        f"""CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            school_id INTEGER NOT NULL REFERENCES schools(id),
            topic_id INTEGER NOT NULL REFERENCES topics(id),
            recipient TEXT NOT NULL REFERENCES recipients(slug),
            grade TEXT,
            class_name TEXT,
            pupil_name TEXT,
            language TEXT NOT NULL DEFAULT 'ja',
            urgency TEXT NOT NULL CHECK (urgency IN ({_sql_list(URGENCIES)})),
            status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ({_sql_list(STATUSES)})),
            staff_unread INTEGER NOT NULL DEFAULT 1,
            code_hash TEXT NOT NULL UNIQUE,
            submission_key TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            last_pupil_message_at TEXT NOT NULL,
            first_reply_at TEXT
        )""",
        "CREATE INDEX reports_school_inbox "
        "ON reports (recipient, school_id, staff_unread, created_at)",
        "CREATE INDEX reports_centre_inbox ON reports (recipient, staff_unread, created_at)",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports(id),
            author TEXT NOT NULL CHECK (author IN ('pupil', 'staff')),
            staff_id INTEGER REFERENCES staff(id),
            body TEXT NOT NULL,
            pupil_visible INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX messages_thread ON messages (report_id, id)",
        """CREATE TABLE code_failures (
            id INTEGER PRIMARY KEY,
            school_id INTEGER NOT NULL REFERENCES schools(id),
            at TEXT NOT NULL
        )""",
        "CREATE INDEX code_failures_school ON code_failures (school_id, at)",
    )
    for position, slug in enumerate(RECIPIENTS):
        db.execute("INSERT INTO recipients (slug, position) VALUES (?, ?)", [slug, position])
    topics = json.loads((DATA / "topics.json").read_text(encoding="utf-8"))
    for position, topic in enumerate(topics):
        db["topics"].insert({**topic, "position": position})
    defaults = {
        # A salt, not a secret: it makes return-code hashes of this installation its own, while
        # letting a code be looked up by its hash (as GlobaLeaks does with receipts).
        "code_salt": secrets.token_hex(16),
        "timezone": "Asia/Tokyo",
        "centre_hours": {"weekdays": [0, 1, 2, 3, 4], "open": "10:00", "close": "18:00"},
    }
    for key, value in defaults.items():
        db.execute("INSERT INTO city_settings (key, value) VALUES (?, ?)", [key, json.dumps(value)])


AGENCIES = (
    "school",
    "child_guidance_centre",
    "ward_office",
    "police",
    "hospital",
    "welfare_office",
    "other",
)
CONSENTS = ("agreed", "not_asked", "refused")
OUTCOMES = ("resolved", "referred", "no_further_contact", "not_genuine")


@migrations()
def m002_case_records(db: Database) -> None:
    """What case work records: shared by triage, hand-overs and statistics."""
    for column, definition in (
        ("assigned_to", "INTEGER REFERENCES staff(id)"),
        ("headline", "TEXT"),
        ("watch_case", "INTEGER NOT NULL DEFAULT 0"),
        ("watch_reason", "TEXT"),
        ("outcome", f"TEXT CHECK (outcome IN ({_sql_list(OUTCOMES)}))"),
        ("closed_at", "TEXT"),
    ):
        db.execute(f"ALTER TABLE reports ADD COLUMN {column} {definition}")
    _run(
        db,
        """CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports(id),
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            body TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX notes_report ON notes (report_id, id)",
        f"""CREATE TABLE coordination (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports(id),
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            agency TEXT NOT NULL CHECK (agency IN ({_sql_list(AGENCIES)})),
            contact_person TEXT,
            summary TEXT NOT NULL,
            pupil_consent TEXT NOT NULL CHECK (pupil_consent IN ({_sql_list(CONSENTS)})),
            abuse_notification INTEGER NOT NULL DEFAULT 0,
            contacted_at TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX coordination_report ON coordination (report_id, id)",
        f"""CREATE TABLE hand_overs (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports(id),
            direction TEXT NOT NULL CHECK (direction IN ('school_to_centre', 'centre_to_school')),
            to_recipient TEXT NOT NULL REFERENCES recipients(slug),
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            pupil_consent TEXT NOT NULL CHECK (pupil_consent IN ({_sql_list(CONSENTS)})),
            legal_duty INTEGER NOT NULL DEFAULT 0,
            reason TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX hand_overs_report ON hand_overs (report_id)",
        """CREATE TABLE case_events (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports(id),
            staff_id INTEGER REFERENCES staff(id),
            kind TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX case_events_report ON case_events (report_id, id)",
        # The audit trail is append-only: nobody can edit or delete it, not even through SQL.
        """CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
           BEGIN SELECT RAISE(ABORT, 'the audit trail cannot be changed'); END""",
        # Only retention may delete a trail, with its case: it lists the case in `purging`
        # inside the same transaction.
        "CREATE TABLE purging (report_id INTEGER PRIMARY KEY)",
        """CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
           WHEN NOT EXISTS (SELECT 1 FROM purging WHERE report_id = OLD.report_id)
           BEGIN SELECT RAISE(ABORT, 'the audit trail cannot be changed'); END""",
    )


def migrate(db: Database) -> None:
    """Bring the database up to the newest schema; safe to run at every start."""
    migrations.apply(db)
