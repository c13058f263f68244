"""Staff accounts, their passwords and their sessions.

Passwords are argon2id hashes (OWASP parameters). A session is a random token held by the
browser; only its SHA-256 is stored, so a session can be ended from the server at any time.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlite_utils import Database

from school_report.clock import now_iso, parse_iso, utc_now
from school_report.migrations import ROLES, SCHOOL_ROLES
from school_report.schools import School

PASSWORD_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_PASSWORD_LENGTH = 10
SESSION_IDLE = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(hours=12)
# The idle clock is written at most this often, so reading pages costs no write each time.
SESSION_TOUCH_EVERY = timedelta(minutes=1)

# Verified against when the login is unknown, so a wrong login takes as long as a wrong password.
_DUMMY_HASH = PASSWORD_HASHER.hash("not a password of anyone")


class StaffError(ValueError):
    """A staff account cannot be created as asked."""


@dataclass(frozen=True)
class Staff:
    id: int
    login: str
    display_name: str
    role: str
    school_id: int | None

    @property
    def works_at_school(self) -> bool:
        return self.role in SCHOOL_ROLES


_SELECT = "SELECT st.id, st.login, st.display_name, st.role, st.school_id FROM staff st"


def _staff(row: tuple) -> Staff:
    return Staff(*row)


def add_staff(
    db: Database,
    login: str,
    password: str,
    role: str,
    school: School | None = None,
    display_name: str | None = None,
) -> Staff:
    login = login.strip()
    if not login:
        raise StaffError("a staff account needs a login")
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    if (role in SCHOOL_ROLES) != (school is not None):
        raise StaffError(
            "nurse, school_team and school_admin accounts need --school; "
            "centre and admin accounts have none"
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if find_staff(db, login):
        raise StaffError(f"there is already a staff account {login!r}")
    db.execute(
        "INSERT INTO staff (login, display_name, password_hash, role, school_id, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            login,
            display_name or login,
            PASSWORD_HASHER.hash(password),
            role,
            school.id if school else None,
            now_iso(),
        ],
    )
    staff = find_staff(db, login)
    assert staff is not None
    return staff


def find_staff(db: Database, login: str) -> Staff | None:
    row = db.execute(f"{_SELECT} WHERE st.login = ?", [login]).fetchone()
    return _staff(row) if row else None


def list_staff(db: Database) -> list[tuple[Staff, str | None]]:
    """Every account with its school's name (None for the centre and admins)."""
    rows = db.execute(
        "SELECT st.id, st.login, st.display_name, st.role, st.school_id, s.name "
        "FROM staff st LEFT JOIN schools s ON s.id = st.school_id ORDER BY st.role, st.login"
    )
    return [(_staff(row[:5]), row[5]) for row in rows]


def authenticate(db: Database, login: str, password: str) -> Staff | None:
    row = db.execute(
        "SELECT password_hash FROM staff WHERE login = ? AND active = 1", [login]
    ).fetchone()
    try:
        PASSWORD_HASHER.verify(row[0] if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return find_staff(db, login) if row else None


def _session_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Database, staff: Staff) -> str:
    token = secrets.token_urlsafe(32)
    now = now_iso()
    db.execute(
        "INSERT INTO staff_sessions (id_hash, staff_id, created_at, last_seen_at) "
        "VALUES (?, ?, ?, ?)",
        [_session_hash(token), staff.id, now, now],
    )
    return token


def staff_for_session(db: Database, token: str) -> Staff | None:
    """The staff member of a live session, refreshing its idle clock; None once it has been
    idle or alive too long, or the account was disabled."""
    row = db.execute(
        "SELECT staff_id, created_at, last_seen_at FROM staff_sessions WHERE id_hash = ?",
        [_session_hash(token)],
    ).fetchone()
    now = utc_now()
    if row is None:
        return None
    if now - parse_iso(row[2]) > SESSION_IDLE or now - parse_iso(row[1]) > SESSION_LIFETIME:
        end_session(db, token)
        return None
    staff_row = db.execute(f"{_SELECT} WHERE st.id = ? AND st.active = 1", [row[0]]).fetchone()
    if staff_row is None:
        return None
    if now - parse_iso(row[2]) > SESSION_TOUCH_EVERY:
        db.execute(
            "UPDATE staff_sessions SET last_seen_at = ? WHERE id_hash = ?",
            [now_iso(), _session_hash(token)],
        )
    return _staff(staff_row)


def end_session(db: Database, token: str) -> None:
    db.execute("DELETE FROM staff_sessions WHERE id_hash = ?", [_session_hash(token)])
