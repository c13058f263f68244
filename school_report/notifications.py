"""E-mail to staff that something waits for them: never what, from whom or where.

A mail says only that a report arrived, that a pupil wrote again, that something urgent waits,
or how many cases wait (the daily digest), with a link to the staff pages. No topic, no school,
no word of a pupil: mail crosses servers the city does not run and is read on phones.

Mails are queued in `mail_outbox` inside the transaction that stores the report or message, so
nothing is lost and the pupil never waits on SMTP; `deliver_outbox` sends them later, trying
again after growing pauses while the mail server is down.
"""

import ipaddress
import logging
import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlite_utils import Database

from school_report.admin_log import COMMAND_LINE, Actor
from school_report.clock import now_iso, utc_now
from school_report.db import transaction
from school_report.hours import city_zone
from school_report.migrations import NOTIFY_MODES
from school_report.overdue import deadlines
from school_report.refused import ReasonRefused
from school_report.routing import answer_condition, answers_report
from school_report.settings import change_settings, get_setting, set_setting
from school_report.staff import Staff

log = logging.getLogger("school_report.mail")

PASSWORD_VARIABLE = "SCHOOL_REPORT_SMTP_PASSWORD"
# A file of CA certificates to trust instead of the system's (a city's own mail server, tests).
CAFILE_VARIABLE = "SCHOOL_REPORT_SMTP_CAFILE"
SMTP_TIMEOUT_SECONDS = 20
MAX_EMAIL_CHARS = 254
MAX_HOST_CHARS = 253  # the longest name DNS allows
# Pauses between tries while the mail server is down; the last one repeats until it is back.
RETRY_AFTER = [timedelta(minutes=m) for m in (1, 2, 5, 15, 30, 60)]
# The daily digest goes out at this local time unless the city sets `mail_digest_time`.
DIGEST_TIME = "08:00"
BATCH = 100

# One plain address: no list (`,;`), no display name (`<>"`), no control character, since the
# address goes into the To header and, alone, to the mail server as the recipient.
_ADDRESS_CHAR = r"[^@\s,;<>\"\x00-\x1f\x7f]"
_EMAIL = re.compile(rf"{_ADDRESS_CHAR}+@{_ADDRESS_CHAR}+\.{_ADDRESS_CHAR}+")
_RECIPIENT_ROLES = ("nurse", "school_team", "centre")

FOOTER = (
    "このメールには相談の内容を書いていません。ログインして確認してください。\n"
    "This mail holds nothing of the report itself: log in to read it.\n\n"
    "通知の設定 / Notification settings: {base_url}/staff/notifications\n"
)
SUBJECTS = {
    "new_report": "新しい相談が届いています / A new report is waiting",
    "pupil_wrote": "相談にメッセージが届いています / A pupil has written again",
    "urgent": "【緊急】すぐに確認が必要な相談があります / Urgent: a report needs you now",
    "digest": "返事を待っている相談があります / Reports are waiting for a reply",
}
BODIES = {
    "new_report": "受信箱に新しい相談があります。\nA new report is waiting in your inbox.",
    "pupil_wrote": "児童生徒からメッセージが届きました。\nA pupil has written again.",
    "urgent": (
        "緊急の相談があります。すぐに確認してください。\n"
        "An urgent report is waiting. Please look at it now."
    ),
    "digest": (
        "返事を待っている相談: {waiting} 件（うち期限を過ぎたもの: {overdue} 件）\n"
        "Reports waiting for a reply: {waiting} (overdue: {overdue})"
    ),
}


class MailSettingsRefused(ReasonRefused):
    """A staff member's notification settings cannot be saved; `reason` names why."""


@dataclass(frozen=True)
class MailSettings:
    email: str | None
    notify: str


@dataclass(frozen=True)
class MailServer:
    host: str
    port: int
    starttls: bool
    user: str | None
    password: str | None
    sender: str
    cafile: str | None = None  # CA certificates to check the server's with; None: the system's


class PlainLoginRefused(smtplib.SMTPException):
    """The password would cross the network unencrypted: the city must use STARTTLS."""


@dataclass(frozen=True)
class Delivery:
    sent: int
    retrying: int
    failed: int


# Staff settings


def mail_settings(db: Database, staff: Staff) -> MailSettings:
    email, notify = db.execute(
        "SELECT email, notify FROM staff WHERE id = ?", [staff.id]
    ).fetchone()
    return MailSettings(email, notify)


def set_mail_settings(db: Database, staff: Staff, email: str, notify: str) -> None:
    """Save where and how often a staff member is told that something waits. An empty address
    means no mail at all."""
    email = email.strip()
    if notify not in NOTIFY_MODES:
        raise MailSettingsRefused("bad_form")
    if email and not is_mail_address(email):
        raise MailSettingsRefused("email_invalid")
    db.execute(
        "UPDATE staff SET email = ?, notify = ? WHERE id = ?", [email or None, notify, staff.id]
    )


def is_mail_address(email: str) -> bool:
    return len(email) <= MAX_EMAIL_CHARS and _EMAIL.fullmatch(email) is not None


def urgent_always_mailed(staff: Staff) -> bool:
    """Nobody who answers a pupil may miss a child in danger, whenever it comes (a nurse at
    night too): no setting stops an urgent mail to whoever answers the report."""
    return staff.role in ("centre", "nurse", "school_team")


def _wants(staff: Staff, notify: str, event: str) -> bool:
    if event == "urgent":
        return notify != "off" or urgent_always_mailed(staff)
    return notify == "immediate"


# Queueing


def _mail_recipients(db: Database, school_id: int | None, roles) -> list[tuple[Staff, str]]:
    """Active staff with an address, of the given roles, at the centre or the given school."""
    placeholders = ", ".join("?" for _ in roles)
    rows = db.execute(
        "SELECT id, login, display_name, role, school_id, notify FROM staff "
        f"WHERE active = 1 AND email IS NOT NULL AND role IN ({placeholders}) "
        "AND (school_id IS NULL OR school_id = ? OR ? IS NULL)",
        [*roles, school_id, school_id],
    )
    return [(Staff(*row[:5]), row[5]) for row in rows]


def _queue(db: Database, staff_id: int, event: str, at: datetime | None = None) -> None:
    """One waiting mail per person and event (a unique index): a second is not added."""
    now = (at or utc_now()).isoformat(timespec="seconds")
    db.execute(
        "INSERT OR IGNORE INTO mail_outbox (staff_id, event, created_at, next_attempt_at) "
        "VALUES (?, ?, ?, ?)",
        [staff_id, event, now, now],
    )


def _mail_event(db: Database, report_id: int, event: str) -> tuple[int, str]:
    """The report's school, and the event to mail: an urgent report makes any event urgent."""
    school_id, urgency = db.execute(
        "SELECT school_id, urgency FROM reports WHERE id = ?", [report_id]
    ).fetchone()
    return school_id, "urgent" if urgency == "urgent" else event


def queue_report_mail(db: Database, report_id: int, event: str) -> None:
    """Queue a mail to each staff member who answers this report and wants to hear of `event`
    ('new_report' or 'pupil_wrote'; an urgent report always makes it 'urgent'). Call it inside
    the transaction that wrote the report or message, once its urgency is settled."""
    school_id, event = _mail_event(db, report_id, event)
    for staff, notify in _mail_recipients(db, school_id, _RECIPIENT_ROLES):
        if _wants(staff, notify, event) and answers_report(db, staff, report_id):
            _queue(db, staff.id, event)


def queue_hand_over_mail(db: Database, report_id: int, to_recipient: str) -> None:
    """Tell the side a report was just handed to that it is in their inbox now."""
    school_id, event = _mail_event(db, report_id, "new_report")
    for staff, notify in _mail_recipients(db, school_id, (to_recipient,)):
        if _wants(staff, notify, event):
            _queue(db, staff.id, event)


def waiting_counts(db: Database, staff: Staff, now: datetime) -> tuple[int, int]:
    """How many open reports this staff member answers wait for a reply (the pupil wrote
    last), and how many of them are overdue: still without a first reply at their deadline,
    by the same rule as the triage queue (`overdue.Deadlines`)."""
    condition, params = answer_condition(staff)
    rows = db.execute(
        "SELECT r.urgency, r.created_at, r.first_reply_at IS NULL FROM reports r "
        f"WHERE {condition} AND r.status != 'closed' AND (SELECT m.author FROM messages m "
        "WHERE m.report_id = r.id AND m.pupil_visible = 1 ORDER BY m.id DESC LIMIT 1) = 'pupil'",
        params,
    ).fetchall()
    clock = deadlines(db)
    overdue = 0
    for urgency, created_at, unanswered in rows:
        due = clock.deadline(urgency, created_at) if unanswered else None
        overdue += due is not None and due < now
    return len(rows), overdue


def digest_is_due(db: Database, now: datetime) -> bool:
    """Whether today's digests, due at the city's digest time, are still to be queued."""
    local = now.astimezone(city_zone(db))
    return local.strftime("%H:%M") >= get_setting(db, "mail_digest_time", DIGEST_TIME) and (
        get_setting(db, "mail_digest_day", None) != local.date().isoformat()
    )


def queue_digests(db: Database, now: datetime | None = None) -> int:
    """Queue today's digest for each staff member who wants mail and has cases waiting, at most
    one a day each (safe to call again); the number queued."""
    now = now or utc_now()
    local = now.astimezone(city_zone(db))
    # Stored times are UTC text, so the local midnight is compared in UTC too.
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    today = midnight.isoformat(timespec="seconds")
    queued = 0
    with transaction(db):
        set_setting(db, "mail_digest_day", local.date().isoformat())
        for staff, notify in _mail_recipients(db, None, _RECIPIENT_ROLES):
            already = db.execute(
                "SELECT 1 FROM mail_outbox WHERE staff_id = ? AND event = 'digest' "
                "AND created_at >= ?",
                [staff.id, today],
            ).fetchone()
            if notify == "off" or already or waiting_counts(db, staff, now)[0] == 0:
                continue
            _queue(db, staff.id, "digest", now)
            queued += 1
    return queued


# Delivery


def mail_server(db: Database, environ=os.environ) -> MailServer | None:
    """The city's mail server, or None until the city has set `smtp_host`. The password comes
    from the environment only, never from the database."""
    host = get_setting(db, "smtp_host", None)
    if not host:
        return None
    return MailServer(
        host=host,
        port=int(get_setting(db, "smtp_port", 587)),
        starttls=bool(get_setting(db, "smtp_starttls", True)),
        user=get_setting(db, "smtp_user", None) or None,
        password=environ.get(PASSWORD_VARIABLE) or None,
        sender=get_setting(db, "mail_from", "") or f"school-report@{host}",
        cafile=environ.get(CAFILE_VARIABLE) or None,
    )


def set_mail_server(
    db: Database, host: str, port: int, starttls: bool, user: str, by: Actor = COMMAND_LINE
) -> None:
    """Point the city at its mail server (an empty host turns mail off; what waits is kept).
    Each change is in the admin log, with its old and new value."""
    too_long = len(host) > MAX_HOST_CHARS or len(user) > MAX_EMAIL_CHARS
    if (
        too_long
        or not 0 < port < 65536
        or any(c.isspace() or not c.isprintable() for c in host + user)
    ):
        raise MailSettingsRefused("mail_server_invalid")
    values = {"smtp_host": host, "smtp_port": port, "smtp_starttls": starttls, "smtp_user": user}
    change_settings(db, values, by)


def compose(event: str, sender: str, to: str, base_url: str, counts=(0, 0)) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = SUBJECTS[event]
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    body = BODIES[event].format(waiting=counts[0], overdue=counts[1])
    message.set_content(f"{body}\n\n{base_url}/staff\n\n{FOOTER.format(base_url=base_url)}")
    return message


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _connect(server: MailServer) -> smtplib.SMTP:
    """A connection to the city's mail server, logged in if it has a user. STARTTLS checks the
    server's certificate and name; a password goes over plain SMTP only to this machine."""
    if server.user and not server.starttls and not _is_loopback(server.host):
        raise PlainLoginRefused("the SMTP password would cross the network unencrypted")
    connection = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        if server.starttls:
            connection.starttls(context=ssl.create_default_context(cafile=server.cafile))
        if server.user:
            connection.login(server.user, server.password or "")
    except BaseException:
        connection.close()
        raise
    return connection


# A sender takes the mails it is about to send for this long: another sender (a second server
# process, or `school-admin send-mail` from cron) leaves them alone meanwhile, and if the first
# dies while sending, they are due again after it.
CLAIM_FOR = timedelta(minutes=5)


def _claim_due(db: Database, now: datetime) -> list[tuple]:
    """The mails due now, claimed for this sender in one write, so that no mail goes twice."""
    with transaction(db):
        due = db.execute(
            "SELECT o.id, o.event, o.attempts, st.id, st.login, st.display_name, st.role, "
            "st.school_id, st.email, st.active FROM mail_outbox o "
            "JOIN staff st ON st.id = o.staff_id "
            "WHERE o.sent_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ? "
            "ORDER BY o.id LIMIT ?",
            [now.isoformat(timespec="seconds"), BATCH],
        ).fetchall()
        marks = ", ".join("?" for _ in due)
        db.execute(
            f"UPDATE mail_outbox SET next_attempt_at = ? WHERE id IN ({marks})",
            [(now + CLAIM_FOR).isoformat(timespec="seconds"), *(row[0] for row in due)],
        )
    return due


def _error_kind(error: BaseException) -> str:
    """What went wrong, for the log: the error's class and SMTP code, never a mail's text."""
    code = getattr(error, "smtp_code", None)
    return f"{type(error).__name__} {code}" if code else type(error).__name__


def _mark_sent(db: Database, outbox_id: int) -> None:
    db.execute("UPDATE mail_outbox SET sent_at = ? WHERE id = ?", [now_iso(), outbox_id])


def _give_up(db: Database, outbox_id: int, staff_id: int, why: str) -> None:
    log.error("mail %d to staff %d not sent and not retried: %s", outbox_id, staff_id, why)
    db.execute("UPDATE mail_outbox SET failed_at = ? WHERE id = ?", [now_iso(), outbox_id])


def _retry_later(db: Database, row: tuple, now: datetime, why: str) -> None:
    outbox_id, _, attempts, staff_id = row[:4]
    later = now + RETRY_AFTER[min(attempts, len(RETRY_AFTER) - 1)]
    log.warning(
        "mail %d to staff %d not sent (try %d), trying again at %s: %s",
        outbox_id,
        staff_id,
        attempts + 1,
        later.isoformat(timespec="seconds"),
        why,
    )
    db.execute(
        "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
        [later.isoformat(timespec="seconds"), outbox_id],
    )


def deliver_outbox(
    db: Database, server: MailServer, base_url: str, now: datetime | None = None
) -> Delivery:
    """Send the mails that are due over one SMTP connection. A mail server that is down or
    fails midway leaves the rest for later; an address it refuses for good is given up."""
    now = now or utc_now()
    due = _claim_due(db, now)
    sent = failed = 0
    if not due:
        return Delivery(0, 0, 0)
    try:
        connection = _connect(server)
    except (OSError, smtplib.SMTPException) as error:
        for row in due:
            _retry_later(db, row, now, _error_kind(error))
        return Delivery(0, len(due), 0)
    with connection:
        for position, row in enumerate(due):
            outbox_id, event, staff, email, active = row[0], row[1], Staff(*row[3:8]), *row[8:]
            if not email or not active or not is_mail_address(email):
                _give_up(db, outbox_id, staff.id, "no usable address or account closed")
                failed += 1
                continue
            counts = waiting_counts(db, staff, now) if event == "digest" else (0, 0)
            try:
                message = compose(event, server.sender, email, base_url, counts)
                connection.send_message(message, to_addrs=[email])
            except smtplib.SMTPRecipientsRefused:
                _give_up(db, outbox_id, staff.id, "the mail server refused the address")
                failed += 1
                continue
            except (OSError, smtplib.SMTPException) as error:
                for later in due[position:]:
                    _retry_later(db, later, now, _error_kind(error))
                return Delivery(sent, len(due) - position, failed)
            _mark_sent(db, outbox_id)
            sent += 1
    return Delivery(sent, 0, failed)


def send_due_mail(db: Database, base_url: str, now: datetime | None = None) -> Delivery | None:
    """One round of the mail sender: today's digests once their time has come, then whatever is
    due. None while the city has no mail server set."""
    now = now or utc_now()
    server = mail_server(db)
    if server is None:
        return None
    if digest_is_due(db, now):
        queue_digests(db, now)
    return deliver_outbox(db, server, base_url, now)
