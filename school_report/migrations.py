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


READINGS = ("kana", "ruby", "plain")


@migrations()
def m003_city_administration(db: Database) -> None:
    """A school's reading level (furigana or not) and the admin audit log."""
    db.execute(
        "ALTER TABLE schools ADD COLUMN reading TEXT NOT NULL DEFAULT 'plain' "
        f"CHECK (reading IN ({_sql_list(READINGS)}))"
    )
    # Until now furigana followed the kind alone: keep what each school's pupils saw.
    db.execute("UPDATE schools SET reading = 'ruby' WHERE kind = 'elementary'")
    _run(
        db,
        """CREATE TABLE admin_log (
            id INTEGER PRIMARY KEY,
            staff_id INTEGER REFERENCES staff(id),
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            school_id INTEGER REFERENCES schools(id),
            old_value TEXT,
            new_value TEXT,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX admin_log_school ON admin_log (school_id, id)",
        """CREATE TRIGGER admin_log_no_update BEFORE UPDATE ON admin_log
           BEGIN SELECT RAISE(ABORT, 'the admin log cannot be changed'); END""",
        """CREATE TRIGGER admin_log_no_delete BEFORE DELETE ON admin_log
           BEGIN SELECT RAISE(ABORT, 'the admin log cannot be changed'); END""",
    )


@migrations()
def m004_security(db: Database) -> None:
    """Two-factor sign-in, login throttling, submission limits, legal hold and retention."""
    for column, definition in (
        ("totp_secret", "TEXT"),
        # Shown as a QR code until the staff member confirms it with a first code.
        ("totp_pending_secret", "TEXT"),
        # The time step of the last accepted code: a code is never accepted twice.
        ("totp_last_step", "INTEGER NOT NULL DEFAULT 0"),
        ("password_changed_at", "TEXT"),
    ):
        db.execute(f"ALTER TABLE staff ADD COLUMN {column} {definition}")
    db.execute("ALTER TABLE reports ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0")
    _run(
        db,
        """CREATE TABLE staff_recovery_codes (
            id INTEGER PRIMARY KEY,
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            code_hash TEXT NOT NULL UNIQUE,
            used_at TEXT
        )""",
        # Failed logins by the SHA-256 of the login typed (known or not, so a lock-out says
        # nothing about which logins exist); never a network address.
        """CREATE TABLE login_failures (
            id INTEGER PRIMARY KEY,
            login_hash TEXT NOT NULL,
            at TEXT NOT NULL
        )""",
        "CREATE INDEX login_failures_login ON login_failures (login_hash, at)",
        "CREATE INDEX login_failures_at ON login_failures (at)",
        "CREATE INDEX reports_school_created ON reports (school_id, created_at)",
        "CREATE INDEX reports_created ON reports (created_at)",
    )
    defaults = {
        "require_two_factor_for_schools": False,
        "retention_years": 3,
        # Reports accepted per window: a class of 30 sending in one minute passes, a prank
        # script does not (see SECURITY.md).
        "submission_limits": {
            "per_school": {"count": 60, "minutes": 10},
            "citywide": {"count": 600, "minutes": 10},
        },
    }
    for key, value in defaults.items():
        db.execute(
            "INSERT OR IGNORE INTO city_settings (key, value) VALUES (?, ?)",
            [key, json.dumps(value)],
        )


NOTIFY_MODES = ("immediate", "digest", "off")
MAIL_EVENTS = ("new_report", "pupil_wrote", "urgent", "digest")
HAND_OVER_SHARES = ("thread", "summary")


@migrations()
def m005_hand_overs_and_mail(db: Database) -> None:
    """Staff e-mail notifications (an outbox), what a hand-over shares, and a pupil's request
    to keep a message from the school."""
    db.execute(
        "ALTER TABLE staff ADD COLUMN notify TEXT NOT NULL DEFAULT 'immediate' "
        f"CHECK (notify IN ({_sql_list(NOTIFY_MODES)}))"
    )
    db.execute(
        "ALTER TABLE hand_overs ADD COLUMN shares TEXT NOT NULL DEFAULT 'thread' "
        f"CHECK (shares IN ({_sql_list(HAND_OVER_SHARES)}))"
    )
    db.execute("ALTER TABLE hand_overs ADD COLUMN summary TEXT")
    db.execute("ALTER TABLE messages ADD COLUMN keep_from_school INTEGER NOT NULL DEFAULT 0")
    _run(
        db,
        "CREATE INDEX hand_overs_to ON hand_overs (to_recipient, report_id)",
        # A mail says only that something waits, so it holds no report: nothing to purge here.
        f"""CREATE TABLE mail_outbox (
            id INTEGER PRIMARY KEY,
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            event TEXT NOT NULL CHECK (event IN ({_sql_list(MAIL_EVENTS)})),
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            sent_at TEXT,
            failed_at TEXT
        )""",
        # One waiting mail per person and event: ten messages in a row make one mail, not ten.
        "CREATE UNIQUE INDEX mail_outbox_waiting ON mail_outbox (staff_id, event) "
        "WHERE sent_at IS NULL AND failed_at IS NULL",
        "CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) "
        "WHERE sent_at IS NULL AND failed_at IS NULL",
        "CREATE INDEX mail_outbox_staff ON mail_outbox (staff_id, event, created_at)",
    )


URGENCY_SOURCES = ("topic", "danger_words", "checklist", "staff")
REVIEW_STATES = ("pending", "approved")


@migrations()
def m006_triage(db: Database) -> None:
    """Triage: why a report has its urgency and who confirmed it, the emergency checklist,
    replies waiting for a supervisor, and the city settings triage reads."""
    for column, definition in (
        (
            "urgency_source",
            "TEXT NOT NULL DEFAULT 'topic' "
            f"CHECK (urgency_source IN ({_sql_list(URGENCY_SOURCES)}))",
        ),
        # JSON: the danger words matched, or the checklist keys ticked, that set the urgency.
        ("urgency_reason", "TEXT"),
        ("urgency_confirmed_by", "INTEGER REFERENCES staff(id)"),
        ("urgency_confirmed_at", "TEXT"),
    ):
        db.execute(f"ALTER TABLE reports ADD COLUMN {column} {definition}")
    db.execute(
        "ALTER TABLE messages ADD COLUMN review_state TEXT "
        f"CHECK (review_state IN ({_sql_list(REVIEW_STATES)}))"
    )
    _run(
        db,
        """CREATE TABLE checklist_ticks (
            report_id INTEGER NOT NULL REFERENCES reports(id),
            item_key TEXT NOT NULL,
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            ticked_at TEXT NOT NULL,
            PRIMARY KEY (report_id, item_key)
        )""",
        "CREATE INDEX reports_triage ON reports (recipient, status, urgency)",
        "CREATE INDEX reports_assigned ON reports (assigned_to, status)",
        "CREATE INDEX messages_pending_review ON messages (report_id) "
        "WHERE review_state = 'pending'",
    )
    defaults = {
        # Words the city adds to school_report/data/danger_words.json; each signals "urgent".
        "danger_words": [],
        "emergency_checklist": [
            {"key": key, "label_ja": ja, "label_en": en}
            for key, ja, en in (
                ("visible_injury", "見えるけががある", "Visible injury"),
                ("sexual_harm", "性的被害のおそれ", "Signs of sexual harm"),
                ("afraid_to_go_home", "家に帰るのをこわがっている", "Afraid to go home"),
                ("no_adult_today", "今日まだ大人が見ていない", "No adult saw the child today"),
                ("self_harm", "自傷・自殺念慮", "Self-harm or suicidal thoughts"),
                ("young_sibling", "幼いきょうだいにも危険がある", "A young sibling at risk"),
                ("other_agency_risk", "他機関が高リスクと判断", "Another agency names a high risk"),
                ("known_to_centre", "センターで把握済みのケース", "Already known to the centre"),
            )
        ],
        # Minutes of the centre's opening hours (see school_report/triage.py): 15 minutes, one
        # opening day ("same day"), three and five working days at 10:00-18:00.
        "overdue_minutes": {"urgent": 15, "high": 480, "normal": 1440, "low": 2400},
    }
    for key, value in defaults.items():
        db.execute(
            "INSERT OR IGNORE INTO city_settings (key, value) VALUES (?, ?)",
            [key, json.dumps(value, ensure_ascii=False)],
        )


@migrations()
def m007_topic_labels(db: Database) -> None:
    """Topic labels in the pupil languages beyond Japanese and English: one JSON object per
    topic, {"pt-BR": …, "zh-Hans": …, "vi": …, "fil": …}; label_ja and label_en stay."""
    db.execute("ALTER TABLE topics ADD COLUMN labels TEXT NOT NULL DEFAULT '{}'")
    seeds = json.loads((DATA / "m007_topic_labels.json").read_text(encoding="utf-8"))
    for slug, labels in seeds.items():
        db.execute(
            "UPDATE topics SET labels = ? WHERE slug = ?",
            [json.dumps(labels, ensure_ascii=False), slug],
        )


# Durations are kept in seconds rounded down to a step that grows with them, so a year of them
# stays a few thousand rows: a quarter hour for two days, then an hour to 30 days, then a day.
DURATION_STEPS = ((2 * 86400, 900), (30 * 86400, 3600), (None, 86400))


def _duration_step(seconds: str) -> str:
    cases = " ".join(
        f"WHEN {seconds} < {limit} THEN {seconds} / {step} * {step}"
        for limit, step in DURATION_STEPS
        if limit
    )
    last = DURATION_STEPS[-1][1]
    return f"(CASE {cases} ELSE {seconds} / {last} * {last} END)"


# What the statistics count per report, one SQL expression each over a report row `r` that also
# carries `pupil_messages` and `staff_messages`. Frozen with m060: its triggers are built from
# it, so a new dimension needs a new migration that drops and rebuilds them.
STATISTICS_DIMENSIONS = {
    "school": "r.school_id",
    "topic_kind": "r.topic_id || '|' || (SELECT kind FROM schools WHERE id = r.school_id)",
    "grade": "(SELECT kind FROM schools WHERE id = r.school_id) || '|' || r.grade",
    "recipient": "r.recipient",
    "urgency": "r.urgency",
    "status": "r.status",
    "outcome": "r.outcome",
    "language": "r.language",
    "named": "r.pupil_name IS NOT NULL",
    "watch_case": "r.watch_case",
    # The UTC hour: the statistics turn it into the city's month, weekday and hour of day.
    "hour": "substr(r.created_at, 1, 13)",
    "reply": _duration_step("(unixepoch(r.first_reply_at) - unixepoch(r.created_at))"),
    "close": _duration_step("(unixepoch(r.closed_at) - unixepoch(r.created_at))"),
}
_STATISTICS_COLUMNS = (
    "school_id",
    "topic_id",
    "recipient",
    "grade",
    "pupil_name",
    "language",
    "urgency",
    "status",
    "outcome",
    "watch_case",
    "created_at",
    "first_reply_at",
    "closed_at",
)


# The dimensions whose tables show contacts (延べ件数) too; the others count reports only, so a
# new message touches these few rows.
STATISTICS_CONTACT_DIMENSIONS = ("school", "topic_kind", "recipient")


def statistics_dimension_rows(
    source: str, dimensions: tuple[str, ...] = tuple(STATISTICS_DIMENSIONS)
) -> str:
    """A subquery of (dim, value, created_at, pupil_messages, staff_messages), one row per
    report of `source` (aliased `r`) and dimension with a value."""
    return " UNION ALL ".join(
        f"SELECT '{dim}' AS dim, CAST({STATISTICS_DIMENSIONS[dim]} AS TEXT) AS value, "
        "r.created_at AS created_at, "
        + (
            "r.pupil_messages AS pupil_messages, r.staff_messages AS staff_messages "
            if dim in STATISTICS_CONTACT_DIMENSIONS
            else "0 AS pupil_messages, 0 AS staff_messages "
        )
        + f"FROM {source} AS r WHERE value IS NOT NULL"
        for dim in dimensions
    )


def _message_count(report_id: str, author: str) -> str:
    return f"(SELECT count(*) FROM messages WHERE report_id = {report_id} AND author = '{author}')"


def _statistics_upsert(
    source: str, reports: str, dimensions: tuple[str, ...] = tuple(STATISTICS_DIMENSIONS)
) -> str:
    """Add `reports` (1, -1 or 0) and the messages of `source` to each dimension's counts of
    its report's UTC month and UTC day."""
    return _counts_upsert(statistics_dimension_rows(source, dimensions), reports)


def _counts_upsert(rows: str, reports: str) -> str:
    """Add `reports` and the messages of each of `rows` (dimension rows) to its counts."""
    return f"""INSERT INTO statistics_counts
        (grain, bucket, dim, value, reports, pupil_messages, staff_messages)
        SELECT g.grain, substr(d.created_at, 1, g.length), d.dim, d.value,
               {reports}, d.pupil_messages, d.staff_messages
        FROM ({rows}) AS d,
             (SELECT 'month' AS grain, 7 AS length UNION ALL SELECT 'day', 10) AS g
        WHERE true
        ON CONFLICT (grain, bucket, dim, value) DO UPDATE SET
            reports = reports + excluded.reports,
            pupil_messages = pupil_messages + excluded.pupil_messages,
            staff_messages = staff_messages + excluded.staff_messages"""


def _report_row(row: str, sign: int) -> str:
    """The report `row` (OLD or NEW in a reports trigger) with its messages times `sign`."""
    columns = ", ".join(f"{row}.{column} AS {column}" for column in _STATISTICS_COLUMNS)
    return (
        f"(SELECT {columns}, {sign} * {_message_count(f'{row}.id', 'pupil')} AS pupil_messages, "
        f"{sign} * {_message_count(f'{row}.id', 'staff')} AS staff_messages)"
    )


def _new_report_row() -> str:
    """A report just inserted: its messages come after it (and count through their trigger)."""
    columns = ", ".join(f"NEW.{column} AS {column}" for column in _STATISTICS_COLUMNS)
    return f"(SELECT {columns}, 0 AS pupil_messages, 0 AS staff_messages)"


def _message_report(row: str, sign: int) -> str:
    """The report of the message `row` (NEW or OLD in a messages trigger), carrying only it."""
    return (
        f"(SELECT {', '.join(_STATISTICS_COLUMNS)}, "
        f"{sign} * ({row}.author = 'pupil') AS pupil_messages, "
        f"{sign} * ({row}.author = 'staff') AS staff_messages "
        f"FROM reports WHERE id = {row}.report_id)"
    )


@migrations()
def m008_statistics_counts(db: Database) -> None:
    """Counts per UTC month and day of every statistics dimension, kept by triggers, so a
    year's figures for a million reports sum a few ten thousand rows instead of scanning them.
    Counts follow the reports: a change of status or a deleted case moves or removes them."""
    changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in _STATISTICS_COLUMNS)
    contacts = STATISTICS_CONTACT_DIMENSIONS
    _run(
        db,
        """CREATE TABLE statistics_counts (
            grain TEXT NOT NULL CHECK (grain IN ('month', 'day')),
            bucket TEXT NOT NULL,
            dim TEXT NOT NULL,
            value TEXT NOT NULL,
            reports INTEGER NOT NULL,
            pupil_messages INTEGER NOT NULL,
            staff_messages INTEGER NOT NULL,
            PRIMARY KEY (grain, bucket, dim, value)
        ) WITHOUT ROWID""",
        f"""CREATE TRIGGER statistics_report_added AFTER INSERT ON reports BEGIN
            {_statistics_upsert(_new_report_row(), "1")}; END""",
        f"""CREATE TRIGGER statistics_report_removed AFTER DELETE ON reports BEGIN
            {_statistics_upsert(_report_row("OLD", -1), "-1")}; END""",
        f"""CREATE TRIGGER statistics_report_changed AFTER UPDATE ON reports WHEN {changed} BEGIN
            {_statistics_upsert(_report_row("OLD", -1), "-1")};
            {_statistics_upsert(_report_row("NEW", 1), "1")}; END""",
        f"""CREATE TRIGGER statistics_message_added AFTER INSERT ON messages BEGIN
            {_statistics_upsert(_message_report("NEW", 1), "0", contacts)}; END""",
        f"""CREATE TRIGGER statistics_message_removed AFTER DELETE ON messages BEGIN
            {_statistics_upsert(_message_report("OLD", -1), "0", contacts)}; END""",
        # Coordination and hand-overs are counted by the day they happened.
        "CREATE INDEX coordination_contacted ON coordination (contacted_at, agency)",
        "CREATE INDEX hand_overs_created ON hand_overs (created_at, direction)",
    )
    # Below this, a count in a table that leaves the centre is shown as "<3".
    db.execute(
        "INSERT OR IGNORE INTO city_settings (key, value) VALUES ('statistics_threshold', '3')"
    )
    reports_with_messages = (
        f"(SELECT reports.*, {_message_count('reports.id', 'pupil')} AS pupil_messages, "
        f"{_message_count('reports.id', 'staff')} AS staff_messages FROM reports)"
    )
    db.execute(
        "INSERT INTO statistics_counts "
        "SELECT g.grain, substr(d.created_at, 1, g.length) AS bucket, d.dim, d.value, count(*), "
        "sum(d.pupil_messages), sum(d.staff_messages) "
        f"FROM ({statistics_dimension_rows(reports_with_messages)}) AS d, "
        "(SELECT 'month' AS grain, 7 AS length UNION ALL SELECT 'day', 10) AS g "
        "GROUP BY g.grain, bucket, d.dim, d.value"
    )


# What the centre's queue filters by: counts are kept per combination (`queue_counts`).
QUEUE_COUNT_COLUMNS = (
    "answered_by",
    "school_id",
    "topic_id",
    "status",
    "assigned_to",
    "watch_case",
)


def _queue_count(row: str, sign: int) -> str:
    """Statements that add (sign 1) or take away (-1) the report `row` (NEW or OLD) from its
    combination's count; NULL (nobody assigned) is a value here, hence IS."""
    match = " AND ".join(f"{column} IS {row}.{column}" for column in QUEUE_COUNT_COLUMNS)
    change = f"UPDATE queue_counts SET reports = reports + ({sign}) WHERE {match};"
    if sign > 0:
        values = ", ".join(f"{row}.{column}" for column in QUEUE_COUNT_COLUMNS)
        return f"{change} INSERT INTO queue_counts SELECT {values}, 1 WHERE changes() = 0;"
    return f"{change} DELETE FROM queue_counts WHERE {match} AND reports = 0;"


@migrations()
def m009_queue_order(db: Database) -> None:
    """Inboxes and the triage queue read in index order, and their filter counts kept, whatever
    the size of the city.

    `answered_by` is the recipient whose inbox holds the pupil's thread now: the one the pupil
    chose, or the centre once a school has referred the report to it (a trigger keeps it).
    `urgency_rank` and `waiting_since` name the triage order's terms so one index serves it;
    the open-case indexes hold only what is not closed, a small part of a city's year.
    `queue_counts` holds how many reports share each combination of what the centre filters
    by, kept by triggers as `statistics_counts` is; `queue_changes.version` moves whenever a
    report could change inbox or count, so counts can be kept in memory until it moves."""
    _run(db, *_queue_columns(), *_QUEUE_INDEXES, *_queue_count_tables())
    bump = "UPDATE queue_changes SET version = version + 1;"
    changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in QUEUE_COUNT_COLUMNS)
    _run(
        db,
        """CREATE TRIGGER reports_referred_to_centre AFTER INSERT ON hand_overs
            WHEN NEW.to_recipient = 'centre' BEGIN
            UPDATE reports SET answered_by = 'centre' WHERE id = NEW.report_id; END""",
        f"""CREATE TRIGGER queue_report_added AFTER INSERT ON reports BEGIN
            {_queue_count("NEW", 1)} {bump} END""",
        f"""CREATE TRIGGER queue_report_removed AFTER DELETE ON reports BEGIN
            {_queue_count("OLD", -1)} {bump} END""",
        f"""CREATE TRIGGER queue_report_changed AFTER UPDATE ON reports WHEN {changed} BEGIN
            {_queue_count("OLD", -1)} {_queue_count("NEW", 1)} {bump} END""",
        # A hand-over to a school puts the report in its inbox too.
        f"CREATE TRIGGER queue_hand_over_added AFTER INSERT ON hand_overs BEGIN {bump} END",
    )


def _queue_columns() -> tuple[str, ...]:
    rank = " ".join(f"WHEN '{urgency}' THEN {n}" for n, urgency in enumerate(URGENCIES))
    return (
        "ALTER TABLE reports ADD COLUMN answered_by TEXT REFERENCES recipients(slug)",
        "UPDATE reports SET answered_by = CASE WHEN id IN (SELECT report_id FROM hand_overs "
        "WHERE to_recipient = 'centre') THEN 'centre' ELSE recipient END",
        "ALTER TABLE reports ADD COLUMN urgency_rank INTEGER "
        f"GENERATED ALWAYS AS (CASE urgency {rank} END) VIRTUAL",
        "ALTER TABLE reports ADD COLUMN waiting_since TEXT "
        "GENERATED ALWAYS AS (CASE WHEN first_reply_at IS NULL THEN created_at END) VIRTUAL",
    )


_QUEUE_INDEXES = (
    "CREATE INDEX reports_open_queue ON reports (answered_by, urgency_rank, "
    "waiting_since IS NULL, waiting_since, staff_unread DESC, last_pupil_message_at DESC, id) "
    "WHERE status != 'closed'",
    "CREATE INDEX reports_open_cases ON reports "
    "(answered_by, school_id, topic_id, status, assigned_to, watch_case) "
    "WHERE status != 'closed'",
    "CREATE INDEX reports_by_status ON reports (answered_by, status, closed_at)",
    "CREATE INDEX reports_newest ON reports (answered_by, created_at)",
    "CREATE INDEX reports_unread ON reports (answered_by, school_id) WHERE staff_unread = 1",
    "CREATE INDEX reports_school_recipient ON reports "
    "(school_id, recipient, status, answered_by, staff_unread, created_at)",
    # Supervisors' queue: the few waiting replies first, then their reports.
    "DROP INDEX messages_pending_review",
    "CREATE INDEX messages_pending_review ON messages (review_state, id) "
    "WHERE review_state = 'pending'",
    "DROP INDEX reports_triage",
    "DROP INDEX reports_centre_inbox",
    "DROP INDEX reports_school_inbox",
)


def _queue_count_tables() -> tuple[str, ...]:
    columns = ", ".join(QUEUE_COUNT_COLUMNS)
    return (
        """CREATE TABLE queue_counts (
            answered_by TEXT NOT NULL,
            school_id INTEGER NOT NULL,
            topic_id INTEGER NOT NULL,
            status TEXT NOT NULL,
            assigned_to INTEGER,
            watch_case INTEGER NOT NULL,
            reports INTEGER NOT NULL
        )""",
        f"CREATE INDEX queue_counts_key ON queue_counts ({columns})",
        f"INSERT INTO queue_counts SELECT {columns}, count(*) FROM reports GROUP BY {columns}",
        """CREATE TABLE queue_changes (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            instance TEXT NOT NULL,
            version INTEGER NOT NULL
        )""",
        f"INSERT INTO queue_changes VALUES (1, '{secrets.token_hex(8)}', 0)",
    )


@migrations()
def m010_pupil_sessions(db: Database) -> None:
    """Which thread a pupil's tablet may read: the cookie holds only a random handle."""
    _run(
        db,
        """CREATE TABLE pupil_sessions (
            handle_hash TEXT PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
            last_seen_at TEXT NOT NULL
        )""",
        "CREATE INDEX pupil_sessions_last_seen ON pupil_sessions (last_seen_at)",
        "CREATE INDEX pupil_sessions_report ON pupil_sessions (report_id)",
    )


# What the statistics count per report from m011 on. Schools instead of school kinds (the
# statistics read a school's kind when they lay the counts out, so a school that changes kind is
# counted under its new kind everywhere, as topics are under their present category); the UTC
# quarter hour instead of the hour (a city in a half-hour zone gets its local hours right); and
# only the messages the pupil can see (a reply waiting for a supervisor is not a contact yet).
# Frozen with m011: a new dimension needs a new migration that drops and rebuilds the triggers.
STATISTICS_DIMENSIONS_M011 = {
    "school_recipient": "r.school_id || '|' || r.recipient",
    "topic_school": "r.topic_id || '|' || r.school_id",
    "grade_school": "r.school_id || '|' || r.grade",
    "urgency": "r.urgency",
    "status": "r.status",
    "outcome": "r.outcome",
    "language": "r.language",
    "named": "r.pupil_name IS NOT NULL",
    "watch_case": "r.watch_case",
    "quarter": "substr(r.created_at, 1, 14) || "
    "printf('%02d', CAST(substr(r.created_at, 15, 2) AS INTEGER) / 15 * 15)",
    "reply": _duration_step("(unixepoch(r.first_reply_at) - unixepoch(r.created_at))"),
    "close": _duration_step("(unixepoch(r.closed_at) - unixepoch(r.created_at))"),
}
STATISTICS_CONTACT_DIMENSIONS_M011 = ("school_recipient", "topic_school")


def statistics_rows(
    source: str, dimensions: tuple[str, ...] = tuple(STATISTICS_DIMENSIONS_M011)
) -> str:
    """A subquery of (dim, value, created_at, school_id, recipient, pupil_messages,
    staff_messages), one row per report of `source` (aliased `r`) and dimension with a value."""
    return " UNION ALL ".join(
        f"SELECT '{dim}' AS dim, CAST({STATISTICS_DIMENSIONS_M011[dim]} AS TEXT) AS value, "
        "r.created_at AS created_at, r.school_id AS school_id, r.recipient AS recipient, "
        + (
            "r.pupil_messages AS pupil_messages, r.staff_messages AS staff_messages "
            if dim in STATISTICS_CONTACT_DIMENSIONS_M011
            else "0 AS pupil_messages, 0 AS staff_messages "
        )
        + f"FROM {source} AS r WHERE value IS NOT NULL"
        for dim in dimensions
    )


def visible_message_count(report_id: str, author: str) -> str:
    """The messages of `author` on the report that the pupil can see (SQL)."""
    return (
        f"(SELECT count(*) FROM messages WHERE report_id = {report_id} "
        f"AND author = '{author}' AND pupil_visible = 1)"
    )


def _m011_upsert(
    source: str, reports: str, dimensions: tuple[str, ...] = tuple(STATISTICS_DIMENSIONS_M011)
) -> str:
    return _counts_upsert(statistics_rows(source, dimensions), reports)


def _m011_report_row(row: str, sign: int) -> str:
    columns = ", ".join(f"{row}.{column} AS {column}" for column in _STATISTICS_COLUMNS)
    pupil, staff = (visible_message_count(f"{row}.id", author) for author in ("pupil", "staff"))
    return (
        f"(SELECT {columns}, {sign} * {pupil} AS pupil_messages, "
        f"{sign} * {staff} AS staff_messages)"
    )


@migrations()
def m011_statistics_by_school(db: Database) -> None:
    """Statistics counts rebuilt on the m011 dimensions, and `statistics_retained`: what the
    reports that retention deletes counted, per school and city month, so that figures once
    published do not change when their cases are purged (see `school_report.statistics`)."""
    old = ("report_added", "report_removed", "report_changed", "message_added", "message_removed")
    changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in _STATISTICS_COLUMNS)
    contacts = STATISTICS_CONTACT_DIMENSIONS_M011
    shown = "(CASE WHEN NEW.pupil_visible = 1 THEN 1 ELSE -1 END)"
    _run(
        db,
        *(f"DROP TRIGGER statistics_{name}" for name in old),
        f"""CREATE TRIGGER statistics_report_added AFTER INSERT ON reports BEGIN
            {_m011_upsert(_new_report_row(), "1")}; END""",
        f"""CREATE TRIGGER statistics_report_removed AFTER DELETE ON reports BEGIN
            {_m011_upsert(_m011_report_row("OLD", -1), "-1")}; END""",
        f"""CREATE TRIGGER statistics_report_changed AFTER UPDATE ON reports WHEN {changed} BEGIN
            {_m011_upsert(_m011_report_row("OLD", -1), "-1")};
            {_m011_upsert(_m011_report_row("NEW", 1), "1")}; END""",
        f"""CREATE TRIGGER statistics_message_added AFTER INSERT ON messages
            WHEN NEW.pupil_visible = 1 BEGIN
            {_m011_upsert(_message_report("NEW", 1), "0", contacts)}; END""",
        f"""CREATE TRIGGER statistics_message_removed AFTER DELETE ON messages
            WHEN OLD.pupil_visible = 1 BEGIN
            {_m011_upsert(_message_report("OLD", -1), "0", contacts)}; END""",
        f"""CREATE TRIGGER statistics_message_shown AFTER UPDATE OF pupil_visible ON messages
            WHEN OLD.pupil_visible IS NOT NEW.pupil_visible BEGIN
            {_m011_upsert(_message_report("NEW", shown), "0", contacts)}; END""",
        """CREATE TABLE statistics_retained (
            month TEXT NOT NULL,
            school_id INTEGER NOT NULL,
            to_school INTEGER NOT NULL,
            dim TEXT NOT NULL,
            value TEXT NOT NULL,
            reports INTEGER NOT NULL,
            pupil_messages INTEGER NOT NULL,
            staff_messages INTEGER NOT NULL,
            PRIMARY KEY (month, school_id, to_school, dim, value)
        ) WITHOUT ROWID""",
        "DELETE FROM statistics_counts",
    )
    pupil, staff = (visible_message_count("reports.id", author) for author in ("pupil", "staff"))
    reports_with_messages = (
        f"(SELECT reports.*, {pupil} AS pupil_messages, {staff} AS staff_messages FROM reports)"
    )
    db.execute(
        "INSERT INTO statistics_counts "
        "SELECT g.grain, substr(d.created_at, 1, g.length) AS bucket, d.dim, d.value, count(*), "
        "sum(d.pupil_messages), sum(d.staff_messages) "
        f"FROM ({statistics_rows(reports_with_messages)}) AS d, "
        "(SELECT 'month' AS grain, 7 AS length UNION ALL SELECT 'day', 10) AS g "
        "GROUP BY g.grain, bucket, d.dim, d.value"
    )


# The urgent danger families in queue order as m012 froze them (school_report.danger_families
# owns the set; a change of order needs a new migration that rebuilds `danger_rank`).
DANGER_ORDER_M012 = (
    "preparation",
    "suicide",
    "dangerous_runaway",
    "sexual_abuse",
    "physical_abuse",
    "self_harm",
    "threat",
)


@migrations()
def m012_danger_families(db: Database) -> None:
    """Which family of danger a report's messages signal and in which language the pupil wrote,
    and the triage queue ordered within 緊急 by the family's severity before waiting time.

    `danger_rank` is the family's place in DANGER_ORDER_M012 for an urgent report (a report
    urgent for another reason comes after the families), 0 otherwise; it joins the terms of
    `reports_open_queue` so the queue is still read in index order."""
    ranks = " ".join(f"WHEN '{key}' THEN {n}" for n, key in enumerate(DANGER_ORDER_M012))
    _run(
        db,
        "ALTER TABLE reports ADD COLUMN danger_family TEXT",
        "ALTER TABLE reports ADD COLUMN language_detected TEXT",
        "ALTER TABLE reports ADD COLUMN danger_rank INTEGER GENERATED ALWAYS AS (CASE WHEN "
        f"urgency = 'urgent' THEN CASE danger_family {ranks} ELSE {len(DANGER_ORDER_M012)} END "
        "ELSE 0 END) VIRTUAL",
        "DROP INDEX reports_open_queue",
        "CREATE INDEX reports_open_queue ON reports (answered_by, urgency_rank, danger_rank, "
        "waiting_since IS NULL, waiting_since, staff_unread DESC, last_pupil_message_at DESC, id) "
        "WHERE status != 'closed'",
    )


# Frozen with m013: the grounds a sharing may rest on and the ways a report is handed on.
M013_GROUNDS = ("consent", "life_or_body", "bullying_duty", "legal_duty")
M013_DIRECTIONS = ("school_to_centre", "centre_to_school", "nurse_to_team", "copy_to_centre")
M013_NOTIFICATION_AGENCIES = ("child_guidance_centre", "ward_office", "welfare_office")


@migrations()
def m013_lawful_grounds(db: Database) -> None:
    """Each hand-over records its lawful ground (and the duty staff named for `legal_duty`),
    may be made by nobody on staff (the pupil's one tap, or the city's policy on a danger to
    life), may go from a nurse to the school's team (the bullying duty), and records when the
    receiving side first read it. 通告 (abuse notifications) get their own table, followed to
    the agency's answer.

    Old hand-overs are mapped as recorded: a legal duty ticked → `legal_duty` (the box cited
    児童虐待防止法 第6条); else the pupil's agreement → `consent`; else no ground was recorded,
    and none is invented (NULL, shown as such). `hand_overs.hand_over`, the one writer,
    refuses a new one without a ground."""
    _run(
        db,
        f"""CREATE TABLE hand_overs_m013 (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports(id),
            direction TEXT NOT NULL CHECK (direction IN ({_sql_list(M013_DIRECTIONS)})),
            to_recipient TEXT NOT NULL REFERENCES recipients(slug),
            staff_id INTEGER REFERENCES staff(id),
            pupil_consent TEXT NOT NULL CHECK (pupil_consent IN ({_sql_list(CONSENTS)})),
            legal_duty INTEGER NOT NULL DEFAULT 0,
            reason TEXT NOT NULL,
            created_at TEXT NOT NULL,
            shares TEXT NOT NULL DEFAULT 'thread'
                CHECK (shares IN ({_sql_list(HAND_OVER_SHARES)})),
            summary TEXT,
            ground TEXT CHECK (ground IN ({_sql_list(M013_GROUNDS)})),
            duty TEXT,
            read_at TEXT
        )""",
        "INSERT INTO hand_overs_m013 (id, report_id, direction, to_recipient, staff_id, "
        "pupil_consent, legal_duty, reason, created_at, shares, summary, ground, read_at) "
        "SELECT id, report_id, direction, to_recipient, staff_id, pupil_consent, legal_duty, "
        "reason, created_at, shares, summary, CASE WHEN legal_duty = 1 THEN 'legal_duty' "
        "WHEN pupil_consent = 'agreed' THEN 'consent' END, created_at FROM hand_overs",
        "UPDATE hand_overs_m013 SET duty = '児童虐待防止法 第6条' WHERE ground = 'legal_duty'",
        "DROP TABLE hand_overs",
        "ALTER TABLE hand_overs_m013 RENAME TO hand_overs",
        "CREATE INDEX hand_overs_report ON hand_overs (report_id)",
        "CREATE INDEX hand_overs_to ON hand_overs (to_recipient, report_id)",
        "CREATE INDEX hand_overs_created ON hand_overs (created_at, direction)",
        """CREATE TRIGGER reports_referred_to_centre AFTER INSERT ON hand_overs
            WHEN NEW.to_recipient = 'centre' BEGIN
            UPDATE reports SET answered_by = 'centre' WHERE id = NEW.report_id; END""",
        """CREATE TRIGGER queue_hand_over_added AFTER INSERT ON hand_overs BEGIN
            UPDATE queue_changes SET version = version + 1; END""",
        f"""CREATE TABLE agency_notifications (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports(id),
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            agency TEXT NOT NULL CHECK (agency IN ({_sql_list(M013_NOTIFICATION_AGENCIES)})),
            duty TEXT NOT NULL,
            contact_person TEXT,
            summary TEXT NOT NULL,
            notified_at TEXT NOT NULL,
            answer TEXT,
            safety_confirmed INTEGER,
            answered_at TEXT,
            answer_staff_id INTEGER REFERENCES staff(id),
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX agency_notifications_report ON agency_notifications (report_id, id)",
        "CREATE INDEX agency_notifications_waiting ON agency_notifications (notified_at) "
        "WHERE answered_at IS NULL",
    )


# How a consultation reached the centre (相談方法), in the order of the annual report's tables:
# a pupil's message is "tablet"; staff record the others (issue 16).
CONTACT_METHODS = ("tablet", "phone", "email", "visit", "line", "letter", "other")
# Who consulted (相談者): the child, or an adult about the child.
CONSULTERS = ("child", "mother", "father", "grandparent", "relative", "teacher", "other")
COORDINATION_ACTIVITIES = ("contact", "meeting", "accompany", "visit", "other")
# What one contact counts under: its case's school, recipient, inbox and topic, then its own
# method and who consulted. A case's school, inbox or topic may change: its counts move with it.
CONTACT_KEY = ("school_id", "recipient", "answered_by", "topic_id", "method", "consulter")
_CASE_KEY = CONTACT_KEY[:4]


def _contact_counts_upsert(rows: str) -> str:
    """Add the (contacts, first_contacts) of `rows`, (contacted_at, key..., contacts,
    first_contacts), to their UTC month's and day's counts."""
    key = ", ".join(CONTACT_KEY)
    values = ", ".join(f"d.{column}" for column in CONTACT_KEY)
    return f"""INSERT INTO contact_counts (grain, bucket, {key}, contacts, first_contacts)
        SELECT g.grain, substr(d.contacted_at, 1, g.length), {values}, d.contacts, d.first_contacts
        FROM ({rows}) AS d,
             (SELECT 'month' AS grain, 7 AS length UNION ALL SELECT 'day', 10) AS g
        WHERE true
        ON CONFLICT (grain, bucket, {key}) DO UPDATE SET
            contacts = contacts + excluded.contacts,
            first_contacts = first_contacts + excluded.first_contacts"""


def _contact_rows(contact: str, report: str, contacts: str, first: str) -> str:
    """One contact (`contact` is NEW or OLD, or a table alias), counted under `report`'s key."""
    case = ", ".join(f"{report}.{column} AS {column}" for column in _CASE_KEY)
    return (
        f"SELECT {contact}.contacted_at AS contacted_at, {case}, {contact}.method AS method, "
        f"{contact}.consulter AS consulter, {contacts} AS contacts, {first} AS first_contacts"
    )


def _previous_contact(report_id: str, at: str) -> str:
    """The case's latest contact at or before `at` (SQL; NULL: none, this is its first)."""
    return (
        f"(SELECT max(contacted_at) FROM contacts WHERE report_id = {report_id} "
        f"AND contacted_at <= {at})"
    )


def _contacts_schema() -> tuple[str, ...]:
    return (
        f"""CREATE TABLE contacts (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports(id),
            -- the pupil's message this contact is (NULL: a consultation recorded by staff)
            message_id INTEGER UNIQUE,
            method TEXT NOT NULL CHECK (method IN ({_sql_list(CONTACT_METHODS)})),
            consulter TEXT NOT NULL CHECK (consulter IN ({_sql_list(CONSULTERS)})),
            contacted_at TEXT NOT NULL,
            -- the case's contact before this one (NULL: this is the case's first)
            previous_at TEXT,
            staff_id INTEGER REFERENCES staff(id),
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX contacts_case ON contacts (report_id, contacted_at)",
        # The few contacts whose case's previous one lies in an earlier UTC month: the cases
        # carried over into a period are found among them (`school_report.annual_report`).
        "CREATE INDEX contacts_carried ON contacts (contacted_at, previous_at, report_id) "
        "WHERE previous_at IS NOT NULL AND substr(previous_at, 1, 7) < substr(contacted_at, 1, 7)",
        f"""CREATE TABLE contact_counts (
            grain TEXT NOT NULL CHECK (grain IN ('month', 'day')),
            bucket TEXT NOT NULL,
            school_id INTEGER NOT NULL,
            recipient TEXT NOT NULL,
            answered_by TEXT NOT NULL,
            topic_id INTEGER NOT NULL,
            method TEXT NOT NULL,
            consulter TEXT NOT NULL,
            contacts INTEGER NOT NULL,
            first_contacts INTEGER NOT NULL,
            PRIMARY KEY (grain, bucket, {", ".join(CONTACT_KEY)})
        ) WITHOUT ROWID""",
    )


def _contacts_triggers() -> tuple[str, ...]:
    report = "(SELECT * FROM reports WHERE id = {}.report_id)"
    added = _contact_rows("NEW", "r", "1", "NEW.previous_at IS NULL")
    removed = _contact_rows("OLD", "r", "-1", "-(OLD.previous_at IS NULL)")
    first = "(CASE WHEN NEW.previous_at IS NULL THEN 1 ELSE -1 END)"
    moved = _contact_rows("NEW", "r", "0", first)
    changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in _CASE_KEY)
    case_contacts = " FROM (SELECT * FROM contacts WHERE report_id = NEW.id) AS c"
    case_before = _contact_rows("c", "OLD", "-1", "-(c.previous_at IS NULL)") + case_contacts
    case_after = _contact_rows("c", "NEW", "1", "c.previous_at IS NULL") + case_contacts
    next_contact = (
        "SELECT id FROM contacts WHERE report_id = NEW.report_id AND id != NEW.id "
        "AND contacted_at >= NEW.contacted_at ORDER BY contacted_at, id LIMIT 1"
    )
    return (
        # A pupil's message is a contact; a staff reply never is.
        f"""CREATE TRIGGER contacts_pupil_message AFTER INSERT ON messages
            WHEN NEW.author = 'pupil' BEGIN
            INSERT INTO contacts (report_id, message_id, method, consulter, contacted_at,
                previous_at, created_at)
            VALUES (NEW.report_id, NEW.id, 'tablet', 'child', NEW.created_at,
                {_previous_contact("NEW.report_id", "NEW.created_at")}, NEW.created_at); END""",
        """CREATE TRIGGER contacts_message_removed AFTER DELETE ON messages
            WHEN OLD.author = 'pupil' BEGIN
            DELETE FROM contacts WHERE message_id = OLD.id; END""",
        # A contact recorded out of order (a call noted the next day) becomes the previous one
        # of the contact after it.
        f"""CREATE TRIGGER contacts_added AFTER INSERT ON contacts BEGIN
            {_contact_counts_upsert(f"{added} FROM {report.format('NEW')} AS r")};
            UPDATE contacts SET previous_at = NEW.contacted_at
            WHERE id = ({next_contact})
            AND (previous_at IS NULL OR previous_at < NEW.contacted_at); END""",
        # Retention keeps what a purged case counted (`purging` lists it while it goes).
        f"""CREATE TRIGGER contacts_removed AFTER DELETE ON contacts
            WHEN NOT EXISTS (SELECT 1 FROM purging WHERE report_id = OLD.report_id) BEGIN
            {_contact_counts_upsert(f"{removed} FROM {report.format('OLD')} AS r")};
            UPDATE contacts SET previous_at =
                (SELECT max(p.contacted_at) FROM contacts AS p WHERE p.report_id = OLD.report_id
                 AND p.contacted_at <= contacts.contacted_at AND p.id != contacts.id)
            WHERE report_id = OLD.report_id AND previous_at = OLD.contacted_at; END""",
        f"""CREATE TRIGGER contacts_first_changed AFTER UPDATE OF previous_at ON contacts
            WHEN (OLD.previous_at IS NULL) != (NEW.previous_at IS NULL) BEGIN
            {_contact_counts_upsert(f"{moved} FROM {report.format('NEW')} AS r")}; END""",
        f"""CREATE TRIGGER contacts_case_changed AFTER UPDATE ON reports WHEN {changed} BEGIN
            {_contact_counts_upsert(case_before)};
            {_contact_counts_upsert(case_after)}; END""",
    )


@migrations()
def m018_contacts(db: Database) -> None:
    """Contacts (延べ件数), each counted by its own date: every pupil message is one (staff
    record calls, visits, e-mails… from issue 16 on), a staff reply never. `contact_counts`
    keeps them per UTC month and day by case key, as `statistics_counts` keeps reports. The date
    a case was first flagged to watch (留意ケース), and what a coordination contact was."""
    _run(db, *_contacts_schema())
    db.execute(
        "INSERT INTO contacts (report_id, message_id, method, consulter, contacted_at, "
        "previous_at, created_at) "
        "SELECT report_id, id, 'tablet', 'child', created_at, lag(created_at) OVER "
        "(PARTITION BY report_id ORDER BY created_at, id), created_at "
        "FROM messages WHERE author = 'pupil' ORDER BY id"
    )
    key = ", ".join(CONTACT_KEY)
    case = ", ".join(f"r.{column}" for column in _CASE_KEY)
    db.execute(
        f"INSERT INTO contact_counts (grain, bucket, {key}, contacts, first_contacts) "
        f"SELECT g.grain, substr(c.contacted_at, 1, g.length) AS bucket, {case}, c.method, "
        "c.consulter, count(*), sum(c.previous_at IS NULL) "
        "FROM contacts AS c JOIN reports AS r ON r.id = c.report_id, "
        "(SELECT 'month' AS grain, 7 AS length UNION ALL SELECT 'day', 10) AS g "
        f"GROUP BY g.grain, bucket, {case}, c.method, c.consulter"
    )
    _run(db, *_contacts_triggers())
    activities = _sql_list(COORDINATION_ACTIVITIES)
    _run(
        db,
        "ALTER TABLE coordination ADD COLUMN activity TEXT NOT NULL DEFAULT 'contact' "
        f"CHECK (activity IN ({activities}))",
        "ALTER TABLE reports ADD COLUMN watch_set_at TEXT",
        "UPDATE reports SET watch_set_at = coalesce((SELECT min(created_at) FROM case_events "
        "WHERE report_id = reports.id AND kind = 'watch_flagged'), created_at) "
        "WHERE watch_case = 1",
        "CREATE INDEX reports_watch_set ON reports (watch_set_at) WHERE watch_set_at IS NOT NULL",
        # The day a case is first flagged is the day it counts as a watch case.
        """CREATE TRIGGER reports_watch_set AFTER INSERT ON case_events
            WHEN NEW.kind = 'watch_flagged' BEGIN
            UPDATE reports SET watch_set_at = NEW.created_at
            WHERE id = NEW.report_id AND watch_set_at IS NULL; END""",
    )


@migrations()
def m018_contacts_by_date(db: Database) -> None:
    """The contacts of the partial days at either end of a period, found by their date."""
    db.execute("CREATE INDEX contacts_date ON contacts (contacted_at)")


@migrations()
def m018_statistics_publications(db: Database) -> None:
    """Published annual tables, frozen: revision 0 as published, then dated revisions."""
    db.execute(
        """CREATE TABLE statistics_publications (
            id INTEGER PRIMARY KEY,
            period_start TEXT NOT NULL,
            period_end TEXT NOT NULL,
            scope TEXT NOT NULL,
            protected INTEGER NOT NULL,
            revision INTEGER NOT NULL,
            tables TEXT NOT NULL,
            published_at TEXT NOT NULL,
            staff_id INTEGER REFERENCES staff(id),
            UNIQUE (period_start, period_end, scope, protected, revision)
        )"""
    )
    # As published is as published: a revision is a new row, never a change to one.
    db.execute(
        """CREATE TRIGGER statistics_publications_frozen BEFORE UPDATE ON statistics_publications
           BEGIN SELECT RAISE(ABORT, 'a publication cannot be changed'); END""",
    )


@migrations()
def m015_pupil_sessions_on_the_server(db: Database) -> None:
    """A pupil's session kept on the server (`school_report.pupil_sessions`): the step shown,
    for pages rebuilt after a redirect; the report just sent and its code, sealed under the
    handle; the thread opened. Sessions live minutes: those open at the upgrade end."""
    _run(
        db,
        "DROP TABLE pupil_sessions",
        """CREATE TABLE pupil_sessions (
            handle_hash TEXT PRIMARY KEY,
            school_id INTEGER NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
            step TEXT,
            sent_report_id INTEGER REFERENCES reports(id) ON DELETE CASCADE,
            sent_code TEXT,
            thread_report_id INTEGER REFERENCES reports(id) ON DELETE CASCADE,
            last_seen_at TEXT NOT NULL
        )""",
        "CREATE INDEX pupil_sessions_last_seen ON pupil_sessions (last_seen_at)",
        "CREATE INDEX pupil_sessions_sent ON pupil_sessions (sent_report_id)",
        "CREATE INDEX pupil_sessions_thread ON pupil_sessions (thread_report_id)",
    )


@migrations()
def m013_supervisors(db: Database) -> None:
    """Who may approve or return a trainee's reply: a supervisor, named by the city, not any
    staff member outside training. Those who have approved a reply already keep doing so."""
    db.execute("ALTER TABLE staff ADD COLUMN supervisor INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "UPDATE staff SET supervisor = 1 WHERE needs_review = 0 AND id IN "
        "(SELECT staff_id FROM case_events WHERE kind = 'reply_approved')"
    )
