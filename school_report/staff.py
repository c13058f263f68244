"""Staff accounts, their passwords and their sessions.

Passwords are argon2id hashes (OWASP parameters). A session is a random token held by the
browser; only its SHA-256 is stored, so a session can be ended from the server at any time.
"""

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlite_utils import Database

from school_report.admin_log import COMMAND_LINE, Actor, record, record_changes
from school_report.clock import now_iso, parse_iso, utc_now
from school_report.db import transaction
from school_report.migrations import ROLES, SCHOOL_ROLES
from school_report.refused import Refused
from school_report.schools import School
from school_report.text import clean_admin_text

PASSWORD_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Length, not composition (NIST SP 800-63B, OWASP ASVS 2.1): a pass-phrase of ordinary words is
# welcome; the upper bound only keeps one hash from costing the server too much.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
SESSION_IDLE = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(hours=12)
# The idle clock is written at most this often, so reading pages costs no write each time.
SESSION_TOUCH_EVERY = timedelta(minutes=1)

# Verified against when the login is unknown, so a wrong login takes as long as a wrong password.
_DUMMY_HASH = PASSWORD_HASHER.hash("not a password of anyone")


MAX_LOGIN_CHARS = 40
MAX_DISPLAY_NAME_CHARS = 60
# The roles whose accounts read pupils' reports: their password and two-factor are reset, and
# their role changed, only by a city admin. A school admin who could reset a nurse's password
# could log in as the nurse and read her inbox.
REPORT_READING_ROLES = ("nurse", "school_team", "centre")
_LOGIN_MARKS = frozenset("._-@")


class StaffError(Refused):
    """A staff account cannot be created or changed as asked."""


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
    *,
    must_change_password: bool = False,
    by: Actor = COMMAND_LINE,
) -> Staff:
    """A new account. With `must_change_password` the password is a temporary one."""
    login = clean_login(login)
    display_name = clean_admin_text(
        display_name, MAX_DISPLAY_NAME_CHARS, StaffError, required=False
    )
    _check_role(role, school)
    _may_give(db, role, by)
    check_password_rules(login, password)
    if find_staff(db, login):
        raise StaffError(f"there is already a staff account {login!r}", "login_taken")
    with transaction(db):
        db.execute(
            "INSERT INTO staff (login, display_name, password_hash, role, school_id, "
            "must_change_password, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                login,
                display_name or login,
                PASSWORD_HASHER.hash(password),
                role,
                school.id if school else None,
                int(must_change_password),
                now_iso(),
            ],
        )
        record(db, by, "staff.add", login, school_id=school.id if school else None, new=role)
    staff = find_staff(db, login)
    assert staff is not None
    return staff


def clean_login(login: str) -> str:
    """A login as it is stored: letters (full-width ones as their ASCII selves), digits and
    . _ - @; nothing that could make one login look like another (`adm\u200bin`)."""
    login = unicodedata.normalize("NFKC", login).strip()
    if not login:
        raise StaffError("a staff account needs a login", "login_missing")
    if len(login) > MAX_LOGIN_CHARS or not all(_login_character(ch) for ch in login):
        raise StaffError("a login is letters, digits and . _ - @, up to 40", "login_invalid")
    return login


def _login_character(ch: str) -> bool:
    if ch.isascii():
        return ch.isalnum() or ch in _LOGIN_MARKS
    return unicodedata.category(ch) in ("Lu", "Ll", "Lt", "Lm", "Lo", "Nd")


def check_password_rules(login: str, password: str) -> None:
    """Refuse a password by its length and nothing else a person must remember, except that it
    may not be the login itself or one character repeated."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(
            f"the password needs at least {MIN_PASSWORD_LENGTH} characters", "password_short"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise StaffError(
            f"the password may have at most {MAX_PASSWORD_LENGTH} characters", "password_long"
        )
    if password.strip().casefold() == login.strip().casefold() or len(set(password)) == 1:
        raise StaffError("the password is too easy to guess", "password_easy")


def find_staff(db: Database, login: str) -> Staff | None:
    row = db.execute(f"{_SELECT} WHERE st.login = ?", [login]).fetchone()
    return _staff(row) if row else None


def active_staff(db: Database, staff_id: int) -> Staff | None:
    row = db.execute(f"{_SELECT} WHERE st.id = ? AND st.active = 1", [staff_id]).fetchone()
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


def staff_for_session(db: Database, token: str, *, activity: bool = True) -> Staff | None:
    """The staff member of a live session, refreshing its idle clock unless this request is
    no `activity` of theirs (a page refreshing itself); None once it has been idle or alive
    too long, or the account was disabled."""
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
    staff = active_staff(db, row[0])
    if staff is None:
        return None
    if activity and now - parse_iso(row[2]) > SESSION_TOUCH_EVERY:
        db.execute(
            "UPDATE staff_sessions SET last_seen_at = ? WHERE id_hash = ?",
            [now_iso(), _session_hash(token)],
        )
    return staff


def end_session(db: Database, token: str) -> None:
    db.execute("DELETE FROM staff_sessions WHERE id_hash = ?", [_session_hash(token)])


def end_timed_out_sessions(db: Database, now: datetime) -> int:
    """Forget the sessions that have been idle or alive too long; how many there were."""
    return db.execute(
        "DELETE FROM staff_sessions WHERE last_seen_at < ? OR created_at < ?",
        [
            (now - SESSION_IDLE).isoformat(timespec="seconds"),
            (now - SESSION_LIFETIME).isoformat(timespec="seconds"),
        ],
    ).rowcount


def end_all_sessions(db: Database, staff_id: int) -> None:
    db.execute("DELETE FROM staff_sessions WHERE staff_id = ?", [staff_id])


def password_is_right(db: Database, staff_id: int, password: str) -> bool:
    (password_hash,) = db.execute(
        "SELECT password_hash FROM staff WHERE id = ?", [staff_id]
    ).fetchone()
    try:
        return PASSWORD_HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def change_password(db: Database, staff: Staff, current: str, new: str) -> str:
    """Set a new password the staff member chose; every session of theirs ends (one stolen
    before is worth nothing now) and a fresh one is returned for the browser that asked."""
    if not password_is_right(db, staff.id, current):
        raise StaffError("the current password is not right", "password_wrong")
    if new == current:
        raise StaffError("the new password must differ from the current one", "password_same")
    check_password_rules(staff.login, new)
    with transaction(db):
        db.execute(
            "UPDATE staff SET password_hash = ?, must_change_password = 0, "
            "password_changed_at = ? WHERE id = ?",
            [PASSWORD_HASHER.hash(new), now_iso(), staff.id],
        )
        end_all_sessions(db, staff.id)
        return start_session(db, staff)


def must_change_password(db: Database, staff_id: int) -> bool:
    row = db.execute("SELECT must_change_password FROM staff WHERE id = ?", [staff_id]).fetchone()
    return bool(row and row[0])


def disable_staff(db: Database, staff_id: int, by: Actor = COMMAND_LINE) -> None:
    """Close an account: its sessions end at once and it can no longer log in."""
    _set_active(db, staff_id, False, by)


def _check_role(role: str, school: School | None) -> None:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    if (role in SCHOOL_ROLES) != (school is not None):
        raise StaffError(
            "nurse, school_team and school_admin accounts need --school; "
            "centre and admin accounts have none",
            "school_for_role",
        )


@dataclass(frozen=True)
class StaffAccount:
    """A staff account as the admin pages show it."""

    id: int
    login: str
    display_name: str
    role: str
    school_id: int | None
    school_name: str | None
    email: str | None
    active: bool
    must_change_password: bool
    needs_review: bool


_SELECT_ACCOUNT = (
    "SELECT st.id, st.login, st.display_name, st.role, st.school_id, s.name, st.email, "
    "st.active, st.must_change_password, st.needs_review "
    "FROM staff st LEFT JOIN schools s ON s.id = st.school_id"
)


def _account(row: tuple) -> StaffAccount:
    return StaffAccount(*row[:7], *(bool(flag) for flag in row[7:]))


def staff_accounts(db: Database, school_id: int | None = None) -> list[StaffAccount]:
    """Every account, or one school's; active ones first."""
    where, params = ("WHERE st.school_id = ?", [school_id]) if school_id is not None else ("", [])
    rows = db.execute(
        f"{_SELECT_ACCOUNT} {where} ORDER BY st.active DESC, s.name, st.role, st.login", params
    )
    return [_account(row) for row in rows]


def staff_account(db: Database, staff_id: int) -> StaffAccount | None:
    row = db.execute(f"{_SELECT_ACCOUNT} WHERE st.id = ?", [staff_id]).fetchone()
    return _account(row) if row else None


def _existing_account(db: Database, staff_id: int) -> StaffAccount:
    account = staff_account(db, staff_id)
    if account is None:
        raise StaffError(f"no staff account with id {staff_id}", "not_found")
    return account


def _not_yourself(account: StaffAccount, by: Actor) -> None:
    """An admin who locks themselves out needs another admin to get back in (a reset of their
    own password or two-factor would end their session at once)."""
    if account.id == by.staff_id:
        raise StaffError("you cannot do this to your own account", "own_account")


def city_admin_needed(account: StaffAccount, by_role: str) -> bool:
    """Whether resetting this account's password or two-factor, or changing its role, is for a
    city admin only: the account reads pupils' reports (`REPORT_READING_ROLES`)."""
    return not may_give_role(account.role, by_role)


def may_give_role(role: str, by_role: str) -> bool:
    """Whether someone of `by_role` may create an account of `role`, or hold one's access in
    their hands (reset it, change its role, to or from `role`). Whoever could make or take over
    an account that reads pupils' reports could read them: that is for a city admin only."""
    return by_role == "admin" or role not in REPORT_READING_ROLES


def roles_given_by(by_role: str) -> tuple[str, ...]:
    """The roles an administrator of `by_role` may give: a school admin, their school's only."""
    offered = ROLES if by_role == "admin" else SCHOOL_ROLES
    return tuple(role for role in offered if may_give_role(role, by_role))


def _role_of(db: Database, by: Actor) -> str:
    """The role of whoever makes a change; the command line is run by whoever installed the
    service and holds its database, so it has a city admin's say."""
    if by.staff_id is None:
        return "admin"
    row = db.execute("SELECT role FROM staff WHERE id = ?", [by.staff_id]).fetchone()
    return row[0] if row else ""


def _may_give(db: Database, role: str, by: Actor) -> None:
    if not may_give_role(role, _role_of(db, by)):
        raise StaffError("only a city admin may do this to this account", "city_admin_needed")


def check_access_change(db: Database, staff_id: int, by: Actor) -> StaffAccount:
    """The account, if `by` may reset its password or two-factor or change its role: not
    their own, and one that reads reports only as a city admin; else StaffError."""
    account = _existing_account(db, staff_id)
    _not_yourself(account, by)
    if city_admin_needed(account, _role_of(db, by)):
        raise StaffError("only a city admin may do this to this account", "city_admin_needed")
    return account


def set_staff_role(
    db: Database, staff_id: int, role: str, school: School | None, by: Actor = COMMAND_LINE
) -> None:
    account = check_access_change(db, staff_id, by)
    _check_role(role, school)
    _may_give(db, role, by)
    with transaction(db):
        db.execute(
            "UPDATE staff SET role = ?, school_id = ? WHERE id = ?",
            [role, school.id if school else None, staff_id],
        )
        record_changes(
            db,
            by,
            "staff",
            account.login,
            {"role": account.role, "school": account.school_name},
            {"role": role, "school": school.name if school else None},
            school_id=school.id if school else account.school_id,
        )


# Letters and digits nobody confuses when reading a printed sheet (no 0/o, 1/l/i).
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def temporary_password() -> str:
    """Twelve random characters in three groups, easy to type from paper (59 bits)."""
    chars = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(12))
    return "-".join(chars[i : i + 4] for i in range(0, 12, 4))


def reset_password(db: Database, staff_id: int, by: Actor = COMMAND_LINE) -> str:
    """Give the account a temporary password, returned once and stored only as a hash; it must
    be changed at the next login. Open sessions end, in case the old password leaked."""
    account = check_access_change(db, staff_id, by)
    password = temporary_password()
    with transaction(db):
        db.execute(
            "UPDATE staff SET password_hash = ?, must_change_password = 1 WHERE id = ?",
            [PASSWORD_HASHER.hash(password), staff_id],
        )
        end_all_sessions(db, staff_id)
        record(db, by, "staff.reset_password", account.login, school_id=account.school_id)
    return password


def _set_active(db: Database, staff_id: int, active: bool, by: Actor) -> None:
    account = _existing_account(db, staff_id)
    _not_yourself(account, by)
    with transaction(db):
        db.execute("UPDATE staff SET active = ? WHERE id = ?", [int(active), staff_id])
        if not active:
            end_all_sessions(db, staff_id)
        action = "staff.enable" if active else "staff.disable"
        record(db, by, action, account.login, school_id=account.school_id)


def enable_staff(db: Database, staff_id: int, by: Actor = COMMAND_LINE) -> None:
    _set_active(db, staff_id, True, by)


def set_supervisor(db: Database, staff_id: int, supervisor: bool, by: Actor = COMMAND_LINE) -> None:
    """A supervisor approves or returns the replies of counsellors in training. Never someone
    in training themselves."""
    account = _existing_account(db, staff_id)
    with transaction(db):
        db.execute(
            "UPDATE staff SET supervisor = ? WHERE id = ? AND needs_review = 0",
            [int(supervisor), staff_id],
        )
        record(
            db, by, "staff.supervisor", account.login, school_id=account.school_id, new=supervisor
        )


def set_needs_review(db: Database, staff_id: int, needs_review: bool, by: Actor) -> None:
    """A counsellor in training: a supervisor approves each reply before the pupil sees it."""
    account = _existing_account(db, staff_id)
    with transaction(db):
        db.execute("UPDATE staff SET needs_review = ? WHERE id = ?", [int(needs_review), staff_id])
        record(
            db,
            by,
            "staff.needs_review",
            account.login,
            school_id=account.school_id,
            old=account.needs_review,
            new=needs_review,
        )
