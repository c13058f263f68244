"""What an operator reads in the server's log: uvicorn's lines and the app's in one form (time,
level, component, message), one line per event even for a traceback, JSON lines on request,
and never a school's entry link, whoever wrote the line."""

import json
import re
import subprocess
import sys

import httpx2 as httpx

from tests.test_pupil_privacy import _database_locked

TEXT_LINE = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+ \S"
)


def a_pupil_meets_a_server_error(live) -> str:
    """A pupil's page fails (the database is locked past the server's wait): a logged 500."""
    _, token = live.city.school()
    with (
        httpx.Client(base_url=live.url, headers={"origin": live.url}) as tablet,
        _database_locked(live.city.db),
    ):
        failed = tablet.post(
            f"/p/{token}",
            data={"step": "open", "code": "ねこ 01 ねこ 02 ねこ 03"},
            headers={"connection": "close"},
            timeout=30,
        )
    assert failed.status_code == 500
    return token


def test_json_lines_carry_time_level_component_and_the_whole_error_in_one_line(serve_with):
    live = serve_with("--log-format", "json")
    token = a_pupil_meets_a_server_error(live)
    lines = live.log().splitlines()
    events = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(set(event) == {"time", "level", "component", "message"} for event in events)
    components = {event["component"] for event in events}
    assert {"uvicorn.error", "school_report.web"} <= components
    error = next(event for event in events if event["level"] == "ERROR")
    assert "POST /p/…" in error["message"] and "Traceback" in error["message"]
    assert "database is locked" in error["message"]
    assert token not in live.log()


def test_text_lines_start_with_time_level_and_component(serve_with):
    live = serve_with()
    token = a_pupil_meets_a_server_error(live)
    lines = live.log().splitlines()
    assert lines and all(TEXT_LINE.match(line) for line in lines), lines
    error = next(line for line in lines if " ERROR " in line)
    assert "POST /p/…" in error and "Traceback" in error
    assert token not in live.log()


def test_the_privacy_filter_is_on_every_line_whoever_writes_it():
    program = (
        "import logging; from web.log_config import configure_logging; "
        "configure_logging('text'); "
        "logging.getLogger('some.library').warning('fetched /p/SECRET-TOKEN-123 for a pupil')"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    assert "SECRET-TOKEN-123" not in result.stderr
    assert TEXT_LINE.match(result.stderr) and "some.library fetched /p/…" in result.stderr
