"""What a pupil leaves behind, and what stops a prank: no address, browser or return code in
any log or table; a honeypot field; submission limits that let a whole class report at once."""

import base64
import json
import zlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

import httpx2 as httpx

from school_report.clock import utc_now
from school_report.codes import code_words
from school_report.settings import get_setting, set_setting
from tests.support import (
    CODE_GUESSES,
    limit_code_guesses,
    return_code_in,
    send_report,
    topic_id,
)

USER_AGENT = "PupilTablet/9.9 (marker-ua-5d1e)"


def every_cell(db) -> set[str]:
    """Every value in every table, as text."""
    cells = set()
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        for row in db.execute(f"SELECT * FROM [{table}]"):
            cells.update(str(value) for value in row if value is not None)
    return cells


@contextmanager
def _database_locked(db):
    """Hold the write lock for longer than the server waits for it."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        db.execute("ROLLBACK")


def pupil_session(url, token, db):
    """A pupil's whole visit: report, a server error, a wrong code, the right code, one more
    message."""
    headers = {"user-agent": USER_AGENT, "origin": url}
    with httpx.Client(base_url=url, headers=headers, follow_redirects=True) as tablet:
        assert tablet.get(f"/p/{token}").status_code == 200
        form = {
            "step": "send",
            "topic": str(topic_id(db, "friends")),
            "recipient": "school_team",
            "body": "ともだちに むしされる",
            "submission_key": "privacy-1",
        }
        sent = tablet.post(f"/p/{token}", data=form)
        code = return_code_in(sent.text)
        with _database_locked(db):  # the server cannot write: a 500, logged with its traceback
            # (uvicorn drops the connection after an error: the tablet does not reuse it)
            failed = tablet.post(
                f"/p/{token}",
                data={"step": "open", "code": code},
                headers={"connection": "close"},
                timeout=30,
            )
        assert failed.status_code == 500
        tablet.post(f"/p/{token}", data={"step": "open", "code": "ねこ 00 ねこ 00 ねこ 00"})
        thread = tablet.post(f"/p/{token}", data={"step": "open", "code": code})
        assert "ともだちに むしされる" in thread.text
        tablet.post(f"/p/{token}", data={"step": "write", "body": "きょうも"})
        tablet.get("/exit")
    return code


def test_no_address_browser_or_return_code_reaches_a_log_or_a_table(live_server):
    city = live_server.city
    _, token = city.school()
    log_before = len(live_server.log())
    cells_before = every_cell(city.db)
    code = pupil_session(live_server.url, token, city.db)
    written = live_server.log()[log_before:]
    new_cells = every_cell(city.db) - cells_before
    assert "ともだちに むしされる" in new_cells  # the report itself is kept, as it must be
    assert "database is locked" in written and "POST /p/…" in written  # the error is logged
    words = code.split()
    forbidden = ["127.0.0.1", USER_AGENT, "marker-ua", code, token, "".join(words)]
    for secret in forbidden:
        assert secret not in written, secret
        assert not [cell for cell in new_cells if secret in cell], secret
    # Not even the code's words in the order they were given.
    assert not [cell for cell in new_cells if all(word in cell for word in words)]


def test_a_form_with_the_hidden_honeypot_filled_is_refused_and_nothing_is_stored(client, city):
    _, token = city.school()
    page = client.post(f"/p/{token}", data={"step": "topics"})
    assert 'name="extra_note"' in page.text and 'class="honeypot"' in page.text
    response = send_report(client, token, city.db, extra_note="http://spam.example")
    assert response.status_code == 400
    assert city.db.execute("SELECT count(*) FROM reports").fetchone() == (0,)


def test_thirty_pupils_of_one_class_all_send_within_a_minute(client, city):
    _, token = city.school()
    for pupil in range(30):
        response = send_report(client, token, city.db, key=f"class-{pupil}", body=f"{pupil}")
        assert response.status_code == 200, (pupil, response.text)
    assert city.db.execute("SELECT count(*) FROM reports").fetchone() == (30,)


def test_a_prank_script_on_one_school_link_is_stopped_kindly(client, city):
    client.headers["hx-request"] = "true"  # the status as htmx gets it; a page post redirects
    set_setting(
        city.db,
        "submission_limits",
        {
            "per_school": {"count": 40, "minutes": 10},
            "citywide": {"count": 600, "minutes": 10},
        },
    )
    _, token = city.school()
    _, other_token = city.school()
    for n in range(40):
        assert send_report(client, token, city.db, key=f"prank-{n}").status_code == 200
    refused = send_report(client, token, city.db, key="prank-41", body="もう1つ")
    assert refused.status_code == 400
    assert "189" in refused.text and "もう1つ" in refused.text  # the words are kept
    assert city.db.execute("SELECT count(*) FROM reports").fetchone() == (40,)
    # Another school's pupils are not held up.
    assert send_report(client, other_token, city.db, key="other-1").status_code == 200


def test_the_citywide_limit_holds_across_school_links(client, city):
    client.headers["hx-request"] = "true"  # the status as htmx gets it; a page post redirects
    limits = get_setting(city.db, "submission_limits")
    assert limits["per_school"]["count"] >= 30 and limits["per_school"]["minutes"] >= 1
    set_setting(city.db, "submission_limits", {**limits, "citywide": {"count": 3, "minutes": 10}})
    tokens = [city.school()[1] for _ in range(4)]
    statuses = [send_report(client, t, city.db, key=f"city-{t}").status_code for t in tokens]
    assert statuses == [200, 200, 200, 400]


def _in_parallel(url: str, token: str, forms: list[dict]) -> list[int]:
    """Post every form at once from as many tablets; the statuses, in order."""

    def post(form):
        headers = {"origin": url, "hx-request": "true"}  # statuses as htmx gets them
        with httpx.Client(base_url=url, headers=headers, timeout=60) as tablet:
            return tablet.post(f"/p/{token}", data=form).status_code

    with ThreadPoolExecutor(len(forms)) as tablets:
        return list(tablets.map(post, forms))


def test_a_burst_of_parallel_reports_never_passes_the_school_limit(live_server):
    city = live_server.city
    limits = get_setting(city.db, "submission_limits")
    school, token = city.school()
    topic = str(topic_id(city.db, "friends"))
    forms = [
        {
            "step": "send",
            "topic": topic,
            "recipient": "school_team",
            "body": f"burst {n}",
            "submission_key": f"burst-{school.id}-{n}",
        }
        for n in range(30)
    ]
    set_setting(
        city.db, "submission_limits", {**limits, "per_school": {"count": 10, "minutes": 10}}
    )
    try:
        statuses = _in_parallel(live_server.url, token, forms)
    finally:
        set_setting(city.db, "submission_limits", limits)
    stored = city.db.execute("SELECT count(*) FROM reports WHERE school_id = ?", [school.id])
    assert stored.fetchone() == (10,)
    assert sorted(statuses) == [200] * 10 + [400] * 20


def test_a_burst_of_parallel_wrong_codes_is_counted_up_to_the_refusal_and_no_further(live_server):
    city = live_server.city
    school, token = city.school()
    words = [word["ja"] for word in code_words()]
    forms = [
        {"step": "open", "code": f"{words[n]} {n:02d} {words[n + 1]} 00 {words[n + 2]} 00"}
        for n in range(60)
    ]
    limit_code_guesses(city.db, school)
    _in_parallel(live_server.url, token, forms)
    failures = city.db.execute(
        "SELECT count(*) FROM code_failures WHERE school_id = ?", [school.id]
    )
    assert failures.fetchone() == (CODE_GUESSES,)


def _cookie_payload(value: str) -> dict:
    """What anyone holding the tablet can read from the signed cookie, without its secret."""
    payload = value.split(".")[1] if value.startswith(".") else value.split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return json.loads(zlib.decompress(raw) if value.startswith(".") else raw)


def test_the_pupil_cookie_never_names_the_report_the_tablet_opened(client, city):
    school, token = city.school()
    code = return_code_in(send_report(client, token, city.db).text)
    (report_id,) = city.db.execute("SELECT id FROM reports").fetchone()
    handles = []
    for _ in range(2):
        opened = client.post(f"/p/{token}", data={"step": "open", "code": code})
        assert "たすけて" in opened.text
        assert "Max-Age=180" in opened.headers["set-cookie"]
        state = _cookie_payload(client.cookies["pupil_session"])
        assert set(state) <= {"language", "reading", "handle", "school_id"}, state
        assert state["school_id"] == school.id
        assert report_id not in [v for k, v in state.items() if k != "school_id"]
        handles.append(state["handle"])
    assert all(len(h) >= 24 for h in handles)
    # The handle still opens the thread for the pupil who holds it.
    written = client.post(f"/p/{token}", data={"step": "write", "body": "つづき"})
    assert "つづき" in written.text


def test_a_thread_handle_left_idle_opens_nothing_even_with_a_fresh_cookie(db, monkeypatch):
    from school_report import pupil_sessions
    from school_report.reports import submit_report
    from school_report.schools import add_school

    school = add_school(db, "みなみ小学校", "elementary")
    submit_report(db, school, topic_id(db, "friends"), "nurse", "x", submission_key="idle")
    (report_id,) = db.execute("SELECT id FROM reports").fetchone()
    handle = pupil_sessions.live_pupil_session(db, None, school.id)
    pupil_sessions.open_thread_for(db, handle, report_id)
    assert pupil_sessions.pupil_session_report(db, handle) == report_id
    assert pupil_sessions.pupil_session_report(db, "guessed") is None
    later = utc_now() + timedelta(seconds=pupil_sessions.PUPIL_IDLE_SECONDS + 1)
    monkeypatch.setattr(pupil_sessions, "utc_now", lambda: later)
    assert pupil_sessions.pupil_session_report(db, handle) is None
