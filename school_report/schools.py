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

from school_report.clock import now_iso
from school_report.db import transaction
from school_report.migrations import SCHOOL_KINDS


class SchoolError(ValueError):
    """A school cannot be added or found as asked."""


@dataclass(frozen=True)
class School:
    id: int
    name: str
    kind: str
    active: bool


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _school(row: tuple) -> School:
    return School(id=row[0], name=row[1], kind=row[2], active=bool(row[3]))


_SELECT = "SELECT s.id, s.name, s.kind, s.active FROM schools s"


def add_school(db: Database, name: str, kind: str) -> School:
    name = name.strip()
    if not name:
        raise SchoolError("a school needs a name")
    if kind not in SCHOOL_KINDS:
        raise SchoolError(f"kind must be one of {', '.join(SCHOOL_KINDS)}")
    if find_school(db, name):
        raise SchoolError(f"there is already a school named {name!r}")
    db.execute(
        "INSERT INTO schools (name, kind, created_at) VALUES (?, ?, ?)", [name, kind, now_iso()]
    )
    school = find_school(db, name)
    assert school is not None
    return school


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


def issue_entry_link(db: Database, school: School, secret: str) -> str:
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


def school_for_entry_token(db: Database, token: str) -> School | None:
    """The active school whose current link carries `token`, or None."""
    row = db.execute(
        f"{_SELECT} JOIN school_links l ON l.school_id = s.id "
        "WHERE l.token_hash = ? AND l.revoked_at IS NULL AND s.active = 1",
        [_token_hash(token)],
    ).fetchone()
    return _school(row) if row else None
