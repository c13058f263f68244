"""A disk dies under a city: its reports come back from the Litestream replica. Pupils send
reports to `school-admin serve --replicate` with a directory as the replica; the server is
killed and the whole data folder deleted; `school-admin restore --from-replica` and a new
server bring the city back, and every report a pupil was told was sent is there.

The figures go into the README: reports lost (0), the replication lag sampled during the load
(RPO: what a machine that died at that instant, Litestream with it, would have lost) and the
time from the restore command to a server answering again (RTO)."""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2 as httpx

from school_report.db import connect
from school_report.migrations import migrate
from school_report.replication import litestream
from school_report.schools import add_school, issue_entry_link
from school_report.settings import get_setting, set_setting
from tests.conftest import _free_port
from tests.support import SECRET, topic_id

REPORTS = 20  # at least, acknowledged before the server is killed
PUPILS = 4


def school_admin(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "school_admin", *args], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    return result


def a_city(db_path: Path) -> tuple[str, dict[str, str]]:
    """A school's link and the form its pupils send; no limit on new reports (a load test)."""
    db = connect(db_path)
    migrate(db)
    school = add_school(db, "みなみ小学校", "elementary")
    token = issue_entry_link(db, school, SECRET)
    limits = get_setting(db, "submission_limits")
    set_setting(db, "submission_limits", {k: {**v, "count": 10**9} for k, v in limits.items()})
    form = {"step": "send", "topic": str(topic_id(db, "friends")), "recipient": "nurse"}
    db.close()
    return token, {**form, "body": "たすけて"}


class Pupils:
    """Pupils sending reports without pause; each acknowledged report's key and the moment the
    pupil saw the return code."""

    def __init__(self, url: str, token: str, form: dict[str, str]):
        self.url, self.token, self.form = url, token, form
        self.acknowledged: dict[str, float] = {}
        self.stop = threading.Event()

    def send(self, pupil: int) -> None:
        # As a tablet with JavaScript sends: answered in place (without it, by a redirect).
        headers = {"origin": self.url, "HX-Request": "true"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=30) as tablet:
            for number in range(10**6):
                if self.stop.is_set():
                    return
                key = f"pupil{pupil}-{number}"
                try:
                    sent = tablet.post(
                        f"/p/{self.token}", data={**self.form, "submission_key": key}
                    )
                except httpx.HTTPError:  # the server died under this send: not acknowledged
                    return
                if sent.status_code == 200 and "code-word" in sent.text:
                    self.acknowledged[key] = time.monotonic()

    def lost_at(self, keys: set[str], moment: float) -> list[float]:
        """When each report acknowledged before `moment` but missing from `keys` was sent."""
        return [
            at for key, at in list(self.acknowledged.items()) if at < moment and key not in keys
        ]


def keys_in(db_path: Path) -> set[str]:
    with sqlite3.connect(db_path) as db:
        return {row[0] for row in db.execute("SELECT submission_key FROM reports")}


def replica_lag(config: Path, db_path: Path, pupils: Pupils, scratch: Path) -> float:
    """Restore the replica as it is now, and how old the oldest acknowledged report missing
    from it is (0 when none is missing)."""
    moment = time.monotonic()
    copy = scratch / f"sample-{moment}.db"
    subprocess.run(
        [litestream(), "restore", "-config", str(config), "-o", str(copy), str(db_path)],
        check=True,
        capture_output=True,
    )
    missing = pupils.lost_at(keys_in(copy), moment)
    return moment - min(missing) if missing else 0.0


def until_healthy(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    """Litestream, then the server under it, may take a while to start on a busy machine."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited at start"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not answer /healthz in time")


def children(pid: int) -> list[int]:
    """The process's children, whichever of its threads started them."""
    tasks = Path(f"/proc/{pid}/task").glob("*/children")
    return [int(child) for task in tasks for child in task.read_text().split()]


def test_a_city_comes_back_from_its_replica_with_no_acknowledged_report_lost(tmp_path):
    machine, replica = tmp_path / "machine", tmp_path / "replica"
    db_path = machine / "var" / "school-report.db"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SCHOOL_REPORT_SECRET": SECRET, "SCHOOL_REPORT_BASE_URL": url}
    token, form = a_city(db_path)
    school_admin("replicate", "--to", str(replica), "--db", str(db_path), env=env)
    serve = [sys.executable, "-m", "school_admin", "serve", "--db", str(db_path)]
    server = subprocess.Popen(
        [*serve, "--port", str(port), "--replicate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        pupils = Pupils(url, token, form)
        until_healthy(url, server)
        sending = [
            threading.Thread(target=pupils.send, args=(n,), daemon=True) for n in range(PUPILS)
        ]
        for pupil in sending:
            pupil.start()
        lags = []
        deadline = time.monotonic() + 90
        while len(pupils.acknowledged) < REPORTS or len(lags) < 3:
            assert time.monotonic() < deadline, "the pupils' reports were not acknowledged"
            time.sleep(1)
            config = db_path.parent / "litestream.yml"
            lags.append(replica_lag(config, db_path, pupils, tmp_path))
        # The machine's server dies mid-load: Litestream, its parent, makes its last sync.
        (app,) = children(server.pid)
        os.kill(app, signal.SIGKILL)
        pupils.stop.set()
        for pupil in sending:
            pupil.join()
        assert server.wait(timeout=30) is not None
    finally:
        pupils.stop.set()
        if server.poll() is None:
            for child in children(server.pid):
                os.kill(child, signal.SIGKILL)
            server.kill()
    acknowledged = set(pupils.acknowledged)
    assert len(acknowledged) >= REPORTS
    (machine / "var").rename(tmp_path / "dead-disk")  # the disk is gone, litestream.yml too

    began = time.monotonic()
    school_admin("restore", "--from-replica", replica.as_uri(), "--db", str(db_path), env=env)
    restarted = subprocess.Popen(
        [*serve, "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        until_healthy(url, restarted)
        recovery_seconds = time.monotonic() - began
        lost = acknowledged - keys_in(db_path)
    finally:
        restarted.terminate()
        restarted.wait(timeout=10)
    print(
        f"\nreplication: {len(acknowledged)} acknowledged reports, {len(lost)} lost; "
        f"replication lag (RPO) sampled under load: max {max(lags):.2f} s; "
        f"restore to serving (RTO): {recovery_seconds:.1f} s"
    )
    assert not lost
    assert max(lags) < 5
