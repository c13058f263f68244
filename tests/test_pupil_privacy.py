"""What a pupil leaves behind, and what stops a prank: no address, browser or return code in
any log or table; a honeypot field; submission limits that let a whole class report at once."""

import httpx2 as httpx

from school_report.settings import get_setting, set_setting
from tests.support import return_code_in, send_report, topic_id

USER_AGENT = "PupilTablet/9.9 (marker-ua-5d1e)"


def every_cell(db) -> set[str]:
    """Every value in every table, as text."""
    cells = set()
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        for row in db.execute(f"SELECT * FROM [{table}]"):
            cells.update(str(value) for value in row if value is not None)
    return cells


def pupil_session(url, token, db):
    """A pupil's whole visit: report, a wrong code, the right code, one more message."""
    headers = {"user-agent": USER_AGENT, "origin": url}
    with httpx.Client(base_url=url, headers=headers) as tablet:
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
    limits = get_setting(city.db, "submission_limits")
    assert limits["per_school"]["count"] >= 30 and limits["per_school"]["minutes"] >= 1
    set_setting(city.db, "submission_limits", {**limits, "citywide": {"count": 3, "minutes": 10}})
    tokens = [city.school()[1] for _ in range(4)]
    statuses = [send_report(client, t, city.db, key=f"city-{t}").status_code for t in tokens]
    assert statuses == [200, 200, 200, 400]
