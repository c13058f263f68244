"""A hostile-input corpus through every pupil and staff form: each input is either kept exactly
as written and shown inert, or refused with a clear message and nothing half-written."""

import pytest

from tests.support import PASSWORD, inbox, log_in, return_code_in, send_report, topic_id

INJECTION = '<script>window.pwned=1</script><img src=x onerror="window.pwned=1">"\'&'
# Kept exactly as written (after NFC): a child may write any of these.
KEPT = {
    "injection": INJECTION,
    "zero_width_and_rtl": "いじめ\u200bられて\u200f\u202eいる\u202c\u2066ね\u2069",
    "emoji_and_combining": "こわい😢👨\u200d👩\u200d👧 e\u0301 が\u3099",
    "tabs_and_lines": "1ぎょうめ\n\t2ぎょうめ",
}
# Refused, each with its reason shown kindly.
REFUSED = {
    "nul": ("a\x00b", 400, "control"),
    "escape": ("a\x1b[31mb", 400, "control"),
    "too_long": ("あ" * 4001, 400, "too_long"),
    "empty": (" \n\t ", 400, "empty"),
}


def count(city, table):
    return city.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def snapshot(city):
    return [count(city, t) for t in ("reports", "messages", "notes", "staff_sessions")]


def shown(text):
    """What a page must contain for text to be shown inert: escaped, never as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize("name", KEPT)
def test_a_pupil_report_is_kept_exactly_and_shown_as_text_to_staff(client, city, name):
    import unicodedata

    school, token = city.school()
    body = KEPT[name]
    response = send_report(client, token, city.db, body=body, pupil_name=body.splitlines()[0][:40])
    assert response.status_code == 200, response.text
    (stored,) = city.db.execute("SELECT body FROM messages").fetchone()
    assert stored == unicodedata.normalize("NFC", body).strip()
    assert "<script>window" not in response.text
    team = city.staff("school_team", school)
    log_in(client, team)
    (report,) = inbox(city.db, team)
    page = client.get(f"/staff/reports/{report.id}").text
    assert "<script>window" not in page and "<img src=x" not in page
    if name == "injection":
        assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page


@pytest.mark.parametrize("name", REFUSED)
def test_a_bad_pupil_report_is_refused_kindly_and_nothing_is_stored(client, city, name):
    _, token = city.school()
    body, status, _ = REFUSED[name]
    response = send_report(client, token, city.db, body=body)
    assert response.status_code == status
    assert 'class="error"' in response.text
    assert count(city, "reports") == 0 and count(city, "messages") == 0


@pytest.mark.parametrize("name", REFUSED)
def test_a_bad_pupil_message_in_a_thread_is_refused_and_nothing_is_added(client, city, name):
    _, token = city.school()
    code = return_code_in(send_report(client, token, city.db).text)
    client.post(f"/p/{token}", data={"step": "open", "code": code})
    before = snapshot(city)
    response = client.post(f"/p/{token}", data={"step": "write", "body": REFUSED[name][0]})
    assert response.status_code == 400 and 'class="error"' in response.text
    assert snapshot(city) == before


@pytest.mark.parametrize("name", REFUSED)
def test_a_bad_staff_reply_is_refused_and_the_draft_kept(client, city, name):
    school, token = city.school()
    send_report(client, token, city.db)
    team = city.staff("school_team", school)
    csrf = log_in(client, team)
    (report,) = inbox(city.db, team)
    before = snapshot(city)
    body = REFUSED[name][0]
    response = client.post(
        f"/staff/reports/{report.id}/reply", data={"body": body, "csrf_token": csrf}
    )
    assert response.status_code == 400 and 'role="alert"' in response.text
    assert snapshot(city) == before


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"step=send&body=%FF%FE", "application/x-www-form-urlencoded", 400),  # invalid UTF-8
        (b"step=send&body=\xff\xfe", "application/x-www-form-urlencoded", 400),  # raw bytes
        (b'{"step": "send", "body": "x"}', "application/json", 400),
        (
            b"--x\r\nContent-Disposition: form-data; name=step\r\n\r\nsend\r\n--x--",
            "multipart/form-data; boundary=x",
            400,
        ),
        (b"", "text/plain", 400),
        (b"body=" + b"a" * (200 * 1024), "application/x-www-form-urlencoded", 413),
        (b"&".join(b"f%d=1" % n for n in range(100)), "application/x-www-form-urlencoded", 400),
    ],
    ids=["percent-invalid-utf8", "raw-invalid-utf8", "json", "multipart", "text", "huge", "fields"],
)
def test_what_is_not_a_browser_form_is_refused_with_a_clear_error(
    client, city, content, content_type, status
):
    _, token = city.school()
    response = client.post(f"/p/{token}", content=content, headers={"content-type": content_type})
    assert response.status_code == status
    assert "<main" in response.text  # a whole, kind page, not a bare error
    assert count(city, "reports") == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"body": None},  # missing
        {"submission_key": None},
        {"body": ["いち", "に"]},  # duplicated
        {"topic": ["1", "2"]},
        {"step": ["send", "send"]},
    ],
    ids=["missing-body", "missing-key", "two-bodies", "two-topics", "two-steps"],
)
def test_missing_and_duplicated_fields_are_refused_and_nothing_is_stored(client, city, fields):
    _, token = city.school()
    form = {
        "step": "send",
        "topic": str(topic_id(city.db, "bullying")),
        "recipient": "school_team",
        "body": "たすけて",
        "submission_key": "k1",
        **fields,
    }
    form = {name: value for name, value in form.items() if value is not None}
    response = client.post(f"/p/{token}", data=form)
    assert response.status_code == 400
    assert count(city, "reports") == 0


def test_a_replayed_report_form_is_stored_once(client, city):
    _, token = city.school()
    assert send_report(client, token, city.db, key="same").status_code == 200
    again = send_report(client, token, city.db, key="same")
    assert again.status_code == 400 and "already" not in again.text
    assert count(city, "reports") == 1


def test_a_staff_form_replayed_after_logout_is_refused(client, city):
    school, token = city.school()
    send_report(client, token, city.db)
    team = city.staff("school_team", school)
    csrf = log_in(client, team)
    (report,) = inbox(city.db, team)
    cookie = client.cookies.get("staff_session")
    client.post("/staff/logout", data={"csrf_token": csrf})
    client.cookies.set("staff_session", cookie)
    before = snapshot(city)
    replay = client.post(
        f"/staff/reports/{report.id}/reply",
        data={"body": "replayed", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert replay.headers["location"] == "/staff/login" and snapshot(city) == before


@pytest.mark.parametrize("csrf", [None, "", "forged", "0" * 64])
def test_a_staff_post_without_its_csrf_token_is_refused(client, city, csrf):
    school, token = city.school()
    send_report(client, token, city.db)
    team = city.staff("school_team", school)
    log_in(client, team)
    (report,) = inbox(city.db, team)
    before = snapshot(city)
    form = {"body": "x"} | ({"csrf_token": csrf} if csrf is not None else {})
    response = client.post(f"/staff/reports/{report.id}/reply", data=form)
    assert response.status_code == 403 and snapshot(city) == before


def test_a_cross_site_staff_post_is_refused_even_with_the_token(client, city):
    school, token = city.school()
    send_report(client, token, city.db)
    team = city.staff("school_team", school)
    csrf = log_in(client, team)
    (report,) = inbox(city.db, team)
    before = snapshot(city)
    response = client.post(
        f"/staff/reports/{report.id}/reply",
        data={"body": "x", "csrf_token": csrf},
        headers={"origin": "https://evil.example"},
    )
    assert response.status_code == 403 and snapshot(city) == before


@pytest.mark.parametrize("value", ["\x00", "a" * 300, "<script>", "𝒜\u202e"])
def test_hostile_logins_and_codes_are_refused_plainly(client, city, value):
    before = snapshot(city)
    login = client.post("/staff/login", data={"login": value, "password": value})
    assert login.status_code == 400 and 'role="alert"' in login.text
    assert "<script>" not in login.text
    _, token = city.school()
    code = client.post(f"/p/{token}", data={"step": "open", "code": value})
    assert code.status_code == 200 and 'class="error"' in code.text
    assert snapshot(city) == before


def test_a_password_change_with_hostile_input_changes_nothing(client, city):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    csrf = log_in(client, nurse)
    for new in ("\x00" * 12, "x" * 300):
        response = client.post(
            "/staff/password",
            data={
                "current_password": PASSWORD,
                "new_password": new,
                "repeat_password": new,
                "csrf_token": csrf,
            },
        )
        assert response.status_code == 400
    assert client.post("/staff/login", data={"login": nurse.login, "password": PASSWORD})
