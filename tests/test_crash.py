"""The real server killed with SIGKILL while pupils send reports from many tablets at once:
after a restart every report whose sender saw the success page is there, whole and once, and
the database passes its integrity check."""

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx

from school_report.db import connect
from tests.conftest import _free_port, _wait_until_healthy
from tests.support import SECRET, City, return_code_in, topic_id

REPORTS = 240
KILL_AFTER = 100
TABLETS = 8


def serve(db_path, port, log):
    env = {**os.environ, "SCHOOL_REPORT_SECRET": SECRET}
    connect(db_path).close()  # `serve` works on a database that exists
    server = subprocess.Popen(
        [sys.executable, "-m", "school_admin", "serve", "--db", str(db_path), "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    _wait_until_healthy(f"http://127.0.0.1:{port}", server)
    return server


def test_every_acknowledged_report_survives_a_kill_9_once_and_whole(tmp_path):
    db_path = tmp_path / "city.db"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "server.log").open("w")
    server = serve(db_path, port, log)
    city = City(connect(db_path), SECRET)
    tokens = [city.school()[1] for _ in range(8)]
    topic = str(topic_id(city.db, "bullying"))
    acknowledged: dict[int, str] = {}
    lock = threading.Lock()
    # As a tablet with JavaScript sends: the step is answered in place (without it, a redirect).
    tablet_headers = {"origin": url, "HX-Request": "true"}

    def form(n):
        return {
            "step": "send",
            "topic": topic,
            "recipient": "school_team",
            "body": f"crash report {n}\nline two 🌸",
            "submission_key": f"crash-key-{n}",
        }

    def tablet_sends(n):
        try:
            with httpx.Client(base_url=url, headers=tablet_headers, timeout=30) as tablet:
                response = tablet.post(f"/p/{tokens[n % len(tokens)]}", data=form(n))
        except httpx.HTTPError:
            return
        if response.status_code == 200:
            with lock:
                acknowledged[n] = return_code_in(response.text)
                if len(acknowledged) == KILL_AFTER:
                    server.kill()  # SIGKILL: no shutdown, no flush

    try:
        with ThreadPoolExecutor(TABLETS) as tablets:
            list(tablets.map(tablet_sends, range(REPORTS)))
        server.wait(timeout=10)
        assert KILL_AFTER <= len(acknowledged) < REPORTS
        server = serve(db_path, port, log)

        db = connect(db_path)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        bodies = [row[0] for row in db.execute("SELECT body FROM messages")]
        assert len(bodies) == len(set(bodies)), "a report was stored twice"
        for n in acknowledged:
            assert bodies.count(f"crash report {n}\nline two 🌸") == 1, n
        # Each stored report is whole: one report row per first message.
        assert db.execute("SELECT count(*) FROM reports").fetchone()[0] == len(bodies)
        # A tablet that sends an acknowledged form again after the restart adds nothing.
        with httpx.Client(base_url=url, headers=tablet_headers) as tablet:
            n = next(iter(acknowledged))
            again = tablet.post(f"/p/{tokens[n % len(tokens)]}", data=form(n))
            assert again.status_code == 400
            # And the code it was given opens its thread.
            thread = tablet.post(
                f"/p/{tokens[n % len(tokens)]}", data={"step": "open", "code": acknowledged[n]}
            )
            assert f"crash report {n}" in thread.text
        assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == len(bodies)
    finally:
        server.kill()
        server.wait(timeout=10)
        log.close()
