"""Schools and their pupil entry links.

An entry link's token is an HMAC, under the service's secret, of the link's id and a random
nonce. The database keeps only the token's SHA-256 (the token is long and random, so a fast hash
is enough): a stolen copy of the database opens no school's page, while whoever holds the secret
(the admin tool, the admin pages) can print the current link again for a poster. Issuing a new
link revokes the old one at once.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlite_utils import Database

from school_report.admin_log import COMMAND_LINE, Actor, record, record_changes
from school_report.clock import now_iso
from school_report.db import transaction
from school_report.migrations import READINGS, SCHOOL_KINDS
from school_report.refused import Refused
from school_report.text import clean_admin_text

MAX_NAME_CHARS = 80


class SchoolError(Refused):
    """A school cannot be added, changed or found as asked."""


@dataclass(frozen=True)
class School:
    id: int
    name: str
    kind: str
    active: bool
    # "ruby": furigana over every kanji on the pupil's pages; "plain": the words alone.
    reading: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _school(row: tuple) -> School:
    return School(id=row[0], name=row[1], kind=row[2], active=bool(row[3]), reading=row[4])


_SELECT = "SELECT s.id, s.name, s.kind, s.active, s.reading FROM schools s"


def default_reading(kind: str) -> str:
    """Elementary pupils read with furigana; older pupils read kanji."""
    return "ruby" if kind == "elementary" else "plain"


def _checked(db: Database, name: str, kind: str, reading: str, school_id: int | None) -> str:
    """The name to store, once name, kind and reading are known to be acceptable."""
    name = clean_admin_text(name, MAX_NAME_CHARS, SchoolError, empty="name_missing")
    if kind not in SCHOOL_KINDS:
        raise SchoolError(f"kind must be one of {', '.join(SCHOOL_KINDS)}")
    if reading not in READINGS:
        raise SchoolError(f"reading must be one of {', '.join(READINGS)}")
    same_name = find_school(db, name)
    if same_name and same_name.id != school_id:
        raise SchoolError(f"there is already a school named {name!r}", "name_taken")
    return name


def add_school(
    db: Database, name: str, kind: str, reading: str | None = None, by: Actor = COMMAND_LINE
) -> School:
    reading = reading or default_reading(kind)
    name = _checked(db, name, kind, reading, None)
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO schools (name, kind, reading, created_at) VALUES (?, ?, ?, ?)",
            [name, kind, reading, now_iso()],
        )
        record(db, by, "school.add", name, school_id=cursor.lastrowid, new=[kind, reading])
    school = get_school(db, cursor.lastrowid)
    assert school is not None
    return school


def update_school(db: Database, school: School, name: str, kind: str, reading: str, by: Actor):
    """Rename a school, or change its kind or reading level."""
    name = _checked(db, name, kind, reading, school.id)
    with transaction(db):
        db.execute(
            "UPDATE schools SET name = ?, kind = ?, reading = ? WHERE id = ?",
            [name, kind, reading, school.id],
        )
        record_changes(
            db,
            by,
            "school",
            name,
            {"name": school.name, "kind": school.kind, "reading": school.reading},
            {"name": name, "kind": kind, "reading": reading},
            school_id=school.id,
        )


def set_school_active(db: Database, school: School, active: bool, by: Actor) -> None:
    """Deactivating stops the school's pupil link at once; its reports stay for the staff."""
    with transaction(db):
        db.execute("UPDATE schools SET active = ? WHERE id = ?", [int(active), school.id])
        action = "school.reactivate" if active else "school.deactivate"
        record(db, by, action, school.name, school_id=school.id)


def list_schools(db: Database) -> list[School]:
    return [_school(r) for r in db.execute(f"{_SELECT} ORDER BY s.name")]


def find_school(db: Database, name: str) -> School | None:
    row = db.execute(f"{_SELECT} WHERE s.name = ?", [name]).fetchone()
    return _school(row) if row else None


def get_school(db: Database, school_id: int) -> School | None:
    row = db.execute(f"{_SELECT} WHERE s.id = ?", [school_id]).fetchone()
    return _school(row) if row else None


def _entry_token(secret: str, link_id: int, nonce: str) -> str:
    digest = hmac.new(secret.encode(), f"entry-link:{link_id}:{nonce}".encode(), "sha256")
    return base64.urlsafe_b64encode(digest.digest()[:18]).decode()


def issue_entry_link(db: Database, school: School, secret: str, by: Actor = COMMAND_LINE) -> str:
    """A new entry token for the school; every earlier one stops working in the same commit."""
    nonce = secrets.token_hex(16)
    now = now_iso()
    with transaction(db):
        db.execute(
            "UPDATE school_links SET revoked_at = ? WHERE school_id = ? AND revoked_at IS NULL",
            [now, school.id],
        )
        cursor = db.execute(
            "INSERT INTO school_links (school_id, nonce, token_hash, created_at) "
            "VALUES (?, ?, '', ?)",
            [school.id, nonce, now],
        )
        token = _entry_token(secret, cursor.lastrowid, nonce)
        db.execute(
            "UPDATE school_links SET token_hash = ? WHERE id = ?",
            [_token_hash(token), cursor.lastrowid],
        )
        record(db, by, "school.link_issued", school.name, school_id=school.id)
    return token


def current_entry_token(db: Database, school: School, secret: str) -> str | None:
    """The school's working entry token, or None if it has none (or the secret changed)."""
    row = db.execute(
        "SELECT id, nonce, token_hash FROM school_links WHERE school_id = ? AND revoked_at IS NULL",
        [school.id],
    ).fetchone()
    if row is None:
        return None
    token = _entry_token(secret, row[0], row[1])
    return token if _token_hash(token) == row[2] else None


def poster_token(db: Database, school: School, secret: str) -> str:
    """The entry token a poster carries. A deactivated school prints none: its link does not
    open, and a poster on the wall that leads nowhere tells a pupil nobody is listening."""
    if not school.active:
        raise SchoolError("the school is deactivated: reactivate it first", "school_inactive")
    token = current_entry_token(db, school, secret)
    if token is None:
        raise SchoolError("the school has no pupil link yet", "no_link")
    return token


def entry_url(base_url: str, token: str) -> str:
    """The address a pupil's tablet opens: the service's public address and the token."""
    return f"{base_url}/p/{token}"


def school_for_entry_token(db: Database, token: str) -> School | None:
    """The active school whose current link carries `token`, or None."""
    row = db.execute(
        f"{_SELECT} JOIN school_links l ON l.school_id = s.id "
        "WHERE l.token_hash = ? AND l.revoked_at IS NULL AND s.active = 1",
        [_token_hash(token)],
    ).fetchone()
    return _school(row) if row else None
