"""Settings of a running service, from the environment, the database or files the admin
created."""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlite_utils import Database

from school_report import code_pool
from school_report.settings import base_url as stored_base_url

DEFAULT_DB = Path("var/school-report.db")
BASE_URL_VARIABLE = "SCHOOL_REPORT_BASE_URL"
# What links carry while no address is set: a development server's, which no tablet can open.
UNSET_BASE_URL = "http://127.0.0.1:8000"
CODE_POOL_VARIABLE = "SCHOOL_REPORT_CODE_POOL"
AddressSource = Literal["environment", "stored", "unset"]


class ConfigError(RuntimeError):
    """The service cannot start as configured; the message says what to do."""


def secret_file(db_path: Path) -> Path:
    return db_path.parent / "secret.key"


def create_secret_file(db_path: Path) -> bool:
    """Write a new random secret beside the database, readable by its owner only, unless one
    is there already. True if it was written."""
    path = secret_file(db_path)
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(48) + "\n")
    return True


@dataclass(frozen=True)
class Settings:
    db_path: Path
    secret: str
    # Cookies get the Secure flag and responses HSTS when the service is reached over HTTPS.
    https: bool = False
    base_url: str = UNSET_BASE_URL
    # Where base_url came from: SCHOOL_REPORT_BASE_URL overrides the stored address.
    base_url_source: AddressSource = "unset"
    # Return codes each server process hashes ahead of need (school_report/code_pool.py); the
    # in-process tests' apps keep none, `serve` keeps CODE_POOL_VARIABLE's or the default.
    code_pool: int = 0

    @classmethod
    def from_environment(cls, db_path: Path | None = None) -> "Settings":
        """Read SCHOOL_REPORT_* variables. The signing secret comes from SCHOOL_REPORT_SECRET or
        from the secret file `school-admin init` writes beside the database; with neither the
        service refuses to start rather than invent one (which would log everyone out at each
        restart and hide a broken deployment)."""
        db_path = Path(db_path or os.environ.get("SCHOOL_REPORT_DB", DEFAULT_DB))
        secret = os.environ.get("SCHOOL_REPORT_SECRET", "")
        if not secret and secret_file(db_path).exists():
            secret = secret_file(db_path).read_text().strip()
        if len(secret) < 32:
            raise ConfigError(
                "no signing secret: run `school-admin init` (it writes "
                f"{secret_file(db_path)}) or set SCHOOL_REPORT_SECRET to 32+ random characters"
            )
        base_url, source = _base_url(db_path)
        return cls(
            db_path=db_path,
            secret=secret,
            https=base_url.startswith("https://"),
            base_url=base_url,
            base_url_source=source,
            code_pool=_code_pool_size(),
        )

    def public_address(self, db: Database) -> str:
        """The address links carry now: the environment's, else the one stored at this moment
        (the settings page may have changed it since start-up), else the unset default."""
        if self.base_url_source == "environment":
            return self.base_url
        return stored_base_url(db) or UNSET_BASE_URL


def _code_pool_size() -> int:
    text = os.environ.get(CODE_POOL_VARIABLE, "")
    if not text:
        return code_pool.DEFAULT_SIZE
    if not (text.isascii() and text.isdigit() and int(text) <= code_pool.MAX_SIZE):
        raise ConfigError(f"{CODE_POOL_VARIABLE} is a number from 0 to {code_pool.MAX_SIZE}")
    return int(text)


def _base_url(db_path: Path) -> tuple[str, AddressSource]:
    if os.environ.get(BASE_URL_VARIABLE):
        return os.environ[BASE_URL_VARIABLE].rstrip("/"), "environment"
    if db_path.exists():
        from school_report.db import connect

        db = connect(db_path)
        try:
            stored = stored_base_url(db) if db["city_settings"].exists() else ""
        finally:
            db.close()
        if stored:
            return stored, "stored"
    return UNSET_BASE_URL, "unset"
