"""Two-factor sign-in: a time-based code from an authenticator app (TOTP, RFC 6238) and
single-use recovery codes.

Centre staff and administrators must use it; school staff when the city requires it
(`require_two_factor_for_schools`). A code is accepted once only: the time step of the last
accepted code is kept, and a code of that step or an earlier one is refused. Recovery codes are
long and random, so a fast hash (SHA-256) is enough; each works once.

Where it is required, a phone can be enrolled only while the account's password is a temporary
one an administrator issued (a new account, a reset password, a reset two-step login), and
before that password is changed: otherwise whoever stole the password of an account that never
enrolled could enrol their own phone and keep the account.
"""

import hashlib
import hmac
import secrets

import pyotp
from sqlite_utils import Database

from school_report.admin_log import COMMAND_LINE, Actor, record
from school_report.clock import now_iso, utc_now
from school_report.db import transaction
from school_report.settings import get_setting
from school_report.staff import (
    Staff,
    check_access_change,
    end_all_sessions,
    find_staff,
    must_change_password,
    reset_password,
)

ISSUER = "school-report"
ROLES_THAT_MUST = ("centre", "admin")
RECOVERY_CODES = 10
# One step either side is accepted, for a phone clock a little off.
VALID_WINDOW = 1
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i look-alikes


def is_required(db: Database, staff: Staff) -> bool:
    if staff.role in ROLES_THAT_MUST:
        return True
    return bool(get_setting(db, "require_two_factor_for_schools"))


def is_enrolled(db: Database, staff_id: int) -> bool:
    row = db.execute("SELECT totp_secret FROM staff WHERE id = ?", [staff_id]).fetchone()
    return bool(row and row[0])


def needs_enrolment(db: Database, staff: Staff) -> bool:
    return is_required(db, staff) and not is_enrolled(db, staff.id)


class EnrolmentRefused(Exception):
    """Two-step login is required and the password is not an administrator's temporary one."""


def may_enrol(db: Database, staff: Staff) -> bool:
    """Optional two-step login may be turned on any time; required two-step login only with a
    temporary password from an administrator, not yet changed."""
    return not is_required(db, staff) or must_change_password(db, staff.id)


def unfinished_login_step(db: Database, staff: Staff) -> str | None:
    """What a logged-in staff member must do before any other page: "two_factor" (required and
    not yet set up), then "password" (an administrator issued a temporary one)."""
    if needs_enrolment(db, staff):
        return "two_factor"
    return "password" if must_change_password(db, staff.id) else None


def pending_secret(db: Database, staff: Staff) -> str:
    """The secret being enrolled, drawn once and kept until confirmed, so reloading the page
    shows the same QR code."""
    (secret,) = db.execute(
        "SELECT totp_pending_secret FROM staff WHERE id = ?", [staff.id]
    ).fetchone()
    if not secret:
        secret = pyotp.random_base32()
        db.execute("UPDATE staff SET totp_pending_secret = ? WHERE id = ?", [secret, staff.id])
    return secret


def provisioning_uri(staff: Staff, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=staff.login, issuer_name=ISSUER)


def _matching_step(secret: str, code: str, after_step: int) -> int | None:
    """The time step whose code this is, if it is later than `after_step`."""
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(utc_now())
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit()):
        return None
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if step > after_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def enrol(db: Database, staff: Staff, code: str) -> list[str] | None:
    """Enrolment as the staff member asks for it: `confirm_enrolment`, if they `may_enrol`."""
    if not may_enrol(db, staff):
        raise EnrolmentRefused(staff.login)
    return confirm_enrolment(db, staff, code)


def confirm_enrolment(db: Database, staff: Staff, code: str) -> list[str] | None:
    """Turn two-factor on once the staff member typed a code from the scanned secret; return
    their recovery codes (shown once), or None if the code does not match. Whether they may
    is `enrol`'s question; this is for callers that decided it (set-up scripts, tests)."""
    secret = pending_secret(db, staff)
    step = _matching_step(secret, code, after_step=0)
    if step is None:
        return None
    with transaction(db):
        db.execute(
            "UPDATE staff SET totp_secret = ?, totp_pending_secret = NULL, totp_last_step = ? "
            "WHERE id = ?",
            [secret, step, staff.id],
        )
        return _new_recovery_codes(db, staff.id)


def _recovery_hash(code: str) -> str:
    folded = "".join(ch for ch in code.lower() if ch in _RECOVERY_ALPHABET)
    return hashlib.sha256(folded.encode()).hexdigest()


def _new_recovery_codes(db: Database, staff_id: int) -> list[str]:
    db.execute("DELETE FROM staff_recovery_codes WHERE staff_id = ?", [staff_id])
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        code = f"{raw[:5]}-{raw[5:]}"
        db.execute(
            "INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES (?, ?)",
            [staff_id, _recovery_hash(code)],
        )
        codes.append(code)
    return codes


def verify_second_factor(db: Database, staff_id: int, code: str) -> bool:
    """True for a fresh authenticator code or an unused recovery code, which are then spent."""
    row = db.execute(
        "SELECT totp_secret, totp_last_step FROM staff WHERE id = ? AND active = 1", [staff_id]
    ).fetchone()
    if not row or not row[0]:
        return False
    with transaction(db):
        step = _matching_step(row[0], code, after_step=row[1])
        if step is not None:
            # Conditional on the step we read, so two requests racing with one code cannot
            # both succeed.
            cursor = db.execute(
                "UPDATE staff SET totp_last_step = ? WHERE id = ? AND totp_last_step = ?",
                [step, staff_id, row[1]],
            )
            return cursor.rowcount == 1
        cursor = db.execute(
            "UPDATE staff_recovery_codes SET used_at = ? "
            "WHERE staff_id = ? AND code_hash = ? AND used_at IS NULL",
            [now_iso(), staff_id, _recovery_hash(code)],
        )
        return cursor.rowcount == 1


def recovery_codes_left(db: Database, staff_id: int) -> int:
    (left,) = db.execute(
        "SELECT count(*) FROM staff_recovery_codes WHERE staff_id = ? AND used_at IS NULL",
        [staff_id],
    ).fetchone()
    return left


def reset_two_factor(db: Database, staff_id: int, by: Actor = COMMAND_LINE) -> str | None:
    """For a lost phone: two-factor is off and the person's sessions end now. Where it is
    required they enrol again at their next login, with the temporary password returned here
    (to be handed over like a new account's); where it is optional, None."""
    check_access_change(db, staff_id, by)  # not one's own; a reader's by a city admin
    account = check_access_change(db, staff_id, by)
    with transaction(db):
        db.execute(
            "UPDATE staff SET totp_secret = NULL, totp_pending_secret = NULL, totp_last_step = 0 "
            "WHERE id = ?",
            [staff_id],
        )
        db.execute("DELETE FROM staff_recovery_codes WHERE staff_id = ?", [staff_id])
        end_all_sessions(db, staff_id)
        record(db, by, "staff.reset_two_factor", account.login, school_id=account.school_id)
    staff = find_staff(db, account.login)
    return reset_password(db, staff_id, by) if staff and is_required(db, staff) else None
