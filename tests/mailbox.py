"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the tests of
staff e-mail notifications: plain, or speaking STARTTLS with a certificate made for the test."""

import socket
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

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
    encrypted: bool = False  # it came over a STARTTLS session

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
        self.mails.append(Mail(list(envelope.rcpt_tos), message, session.ssl is not None))
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


def start_mailbox(
    port: int | None = None, tls: ssl.SSLContext | None = None
) -> tuple[Mailbox, Controller]:
    """A mail server on loopback; with `tls`, one that refuses mail and logins until the client
    has started TLS."""
    mailbox = Mailbox(port or free_port())
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=mailbox.port,
        authenticator=mailbox.authenticate,
        auth_require_tls=tls is not None,
        tls_context=tls,
        require_starttls=tls is not None,
    )
    controller.start()
    return mailbox, controller


def self_signed_certificate(directory: Path, name: str = "mail") -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, valid a day, and its key (made by openssl)."""
    certificate, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


@dataclass
class TlsMailbox:
    mailbox: Mailbox
    certificate: Path  # what a client must trust to reach it


@pytest.fixture(name="tls_mailbox")
def tls_mailbox_fixture(tmp_path):
    certificate, key = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    mailbox, controller = start_mailbox(tls=context)
    yield TlsMailbox(mailbox, certificate)
    controller.stop()


@pytest.fixture(name="mailbox")
def mailbox_fixture():
    mailbox, controller = start_mailbox()
    yield mailbox
    controller.stop()


def use_mail_server(
    db, port: int, user: str | None = None, starttls: bool = False, host: str = "127.0.0.1"
) -> None:
    """Point the city's mail settings at a server (on loopback, plain SMTP, unless told)."""
    for key, value in {
        "smtp_host": host,
        "smtp_port": port,
        "smtp_starttls": starttls,
        "smtp_user": user or "",
        "mail_from": "school-report@city.example",
    }.items():
        set_setting(db, key, value)
