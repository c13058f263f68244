"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the tests of
staff e-mail notifications."""

import socket
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from school_report.settings import set_setting

SMTP_USER = "school-report"
SMTP_PASSWORD = "smtp-password-for-tests"


@dataclass
class Mail:
    to: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        """Everything a reader could see: the headers and the body."""
        return f"{self.message['Subject']}\n{self.message['From']}\n{self.message.get_content()}"


@dataclass
class Mailbox:
    port: int
    mails: list[Mail] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)
    logins: list[str] = field(default_factory=list)

    def to(self, address: str) -> list[Mail]:
        return [mail for mail in self.mails if address in mail.to]

    def wait_for(self, count: int, timeout: float = 15) -> list[Mail]:
        deadline = time.monotonic() + timeout
        while len(self.mails) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.mails

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.mails.append(Mail(list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (SMTP_USER, SMTP_PASSWORD)
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_mailbox(port: int | None = None) -> tuple[Mailbox, Controller]:
    mailbox = Mailbox(port or free_port())
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=mailbox.port,
        authenticator=mailbox.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    return mailbox, controller


@pytest.fixture(name="mailbox")
def mailbox_fixture():
    mailbox, controller = start_mailbox()
    yield mailbox
    controller.stop()


def use_mail_server(db, port: int, user: str | None = None) -> None:
    """Point the city's mail settings at a server on loopback (plain SMTP, no STARTTLS)."""
    for key, value in {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
        "smtp_user": user or "",
        "mail_from": "school-report@city.example",
    }.items():
        set_setting(db, key, value)
