"""Settings of a running service, from the environment or from files the admin created."""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = Path("var/school-report.db")


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
    base_url: str = "http://127.0.0.1:8000"

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
        base_url = os.environ.get("SCHOOL_REPORT_BASE_URL", cls.base_url).rstrip("/")
        return cls(
            db_path=db_path,
            secret=secret,
            https=base_url.startswith("https://"),
            base_url=base_url,
        )
