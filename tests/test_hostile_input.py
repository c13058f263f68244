"""A hostile-input corpus through every pupil and staff form: each input is either kept exactly
as written and shown inert, or refused with a clear message and nothing half-written."""

import re
import sqlite3
from dataclasses import dataclass

import pytest
from starlette.routing import Route

from school_report import two_factor
from school_report.reports import add_staff_reply, pupil_report, submit_report
from school_report.staff import set_supervisor
from school_report.topics import topic
from tests.support import (
    PASSWORD,
    inbox,
    log_in,
    post_code_form,
    post_login_form,
    return_code_in,
    send_report,
    topic_id,
)
from web.admin import SETTING_SECTIONS
from web.app import routes
from web.cases import ACTIONS

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
    client.headers["hx-request"] = "true"  # the status as htmx gets it; a page post redirects
    _, token = city.school()
    body, status, _ = REFUSED[name]
    response = send_report(client, token, city.db, body=body)
    assert response.status_code == status
    assert 'class="error"' in response.text
    assert count(city, "reports") == 0 and count(city, "messages") == 0


@pytest.mark.parametrize("name", REFUSED)
def test_a_bad_pupil_message_in_a_thread_is_refused_and_nothing_is_added(client, city, name):
    client.headers["hx-request"] = "true"  # the status as htmx gets it; a page post redirects
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
    client.headers["hx-request"] = "true"  # the status as htmx gets it; a page post redirects
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
    # The same tablet sees the same words again (issue 15, finding 7); nothing is stored twice.
    assert again.status_code == 200 and 'class="code-group"' in again.text
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
    login = post_login_form(client, value, value)
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
    assert post_login_form(client, nurse.login).url.path == "/staff"


# Every other form, staff and admin. Each form is tried with a hostile value in each of its
# text fields, with each field missing and each field sent twice. A value is either refused
# (400, a message in the form, nothing written) or saved and shown inert; nothing answers 500.

# Refused in every field: a clear message and nothing written.
REFUSED_IN_EVERY_FIELD = {
    "nul": "a\x00b",
    "escape": "a\x1b[31mb",
    "bell_and_backspace": "a\x07\x08b",
    "too_long": "あ" * 5000,
}
# Saved as typed, or refused kindly: never a 500, never live markup.
MAYBE_KEPT = {**KEPT, "empty": "", "spaces": " \t "}


@dataclass(frozen=True)
class StaffForm:
    """A form as the page would post it: who posts it, where (`<report>`, `<school>`,
    `<topic>` are put in), a form that would be saved, the fields people type into, and the
    pages that show what was saved."""

    role: str
    path: str
    fields: dict[str, str | list[str]]
    typed: tuple[str, ...]
    shown_at: tuple[str, ...] = ()


REPORT = "/staff/reports/<report>"
HAND_OVER = {
    "to_recipient": "nurse",
    "pupil_consent": "agreed",
    "ground": "consent",
    "shares": "summary",
}
STAFF_FORMS = {
    "note": StaffForm(
        "centre", f"{REPORT}/case/note", {"body": "めも"}, ("body",), (REPORT, "/staff/weekly")
    ),
    "headline": StaffForm(
        "centre",
        f"{REPORT}/case/headline",
        {"headline": "みだし"},
        ("headline",),
        (REPORT, "/staff", "/staff/weekly"),
    ),
    "coordination": StaffForm(
        "centre",
        f"{REPORT}/case/coordination",
        {
            "agency": "school",
            "contact_person": "やまだ",
            "summary": "でんわした",
            "pupil_consent": "agreed",
            "contacted_at": "",
        },
        ("contact_person", "summary", "contacted_at"),
        (REPORT, "/staff/coordination"),
    ),
    "abuse notification": StaffForm(
        "centre",
        f"{REPORT}/case/notify",
        {
            "agency": "child_guidance_centre",
            "contact_person": "やまだ",
            "summary": "つうこくした",
            "notified_at": "",
        },
        ("contact_person", "summary", "notified_at"),
        (REPORT,),
    ),
    "weekly review advice": StaffForm(
        "centre",
        f"{REPORT}/case/advice",
        {"advice": "がっこうと れんけいを", "meeting": ""},
        ("advice", "meeting"),
        (REPORT, "/staff/weekly"),
    ),
    "watch reason": StaffForm(
        "centre",
        f"{REPORT}/case/watch",
        {"watch": "1", "reason": "ようす"},
        ("reason",),
        (REPORT, "/staff/watch", "/staff/weekly"),
    ),
    "approve reply": StaffForm(
        "centre",
        f"{REPORT}/case/approve",
        {"message_id": "<pending>", "body": "だいじょうぶ"},
        ("body",),
        (REPORT,),
    ),
    "hand-over": StaffForm(
        "centre",
        f"{REPORT}/hand-over",
        {**HAND_OVER, "reason": "ほけんしつへ", "summary": "ようやく"},
        ("reason", "summary"),
        (REPORT,),
    ),
    "notifications": StaffForm(
        "nurse",
        "/staff/notifications",
        {"email": "nurse@school.example", "notify": "immediate"},
        ("email", "notify"),
        ("/staff/notifications",),
    ),
    "new school": StaffForm(
        "admin",
        "/staff/admin/schools",
        {"name": "ひがし小学校", "kind": "elementary"},
        ("name", "kind"),
        ("/staff/admin/schools",),
    ),
    "school": StaffForm(
        "admin",
        "/staff/admin/schools/<school>",
        {"name": "にし小学校", "kind": "elementary", "reading": "ruby"},
        ("name", "kind", "reading"),
        ("/staff/admin/schools", "/staff/admin/schools/<school>"),
    ),
    "staff account": StaffForm(
        "admin",
        "/staff/admin/staff",
        {"login": "newnurse", "display_name": "すずき", "role": "nurse", "school": "<school>"},
        ("login", "display_name"),
        ("/staff/admin/staff",),
    ),
    "topic": StaffForm(
        "admin",
        "/staff/admin/topics/<topic>",
        {
            "label_ja": "{友達|ともだち}のこと",
            "label_en": "Friends",
            "icon": "🤝",
            "domain": "<domain>",
            "category": "<category>",
            "default_recipient": "school_team",
            "urgency": "normal",
            "position": "3",
            "active": "1",
        },
        ("label_ja", "label_en", "icon", "position"),
        ("/staff/admin/topics", "/staff/admin/topics/preview"),
    ),
    "centre hours": StaffForm(
        "admin",
        "/staff/admin/settings/hours",
        {"weekday": ["0", "1", "2"], "open": "10:00", "close": "18:00"},
        ("open", "close", "weekday"),
        ("/staff/admin/settings",),
    ),
    "school hours": StaffForm(
        "admin",
        "/staff/admin/settings/school_hours",
        {
            "weekday": ["0", "1", "2", "3", "4"],
            "open": "08:15",
            "close": "16:45",
            "school_breaks": "2031-07-20 2031-08-31",
        },
        ("open", "close", "weekday", "school_breaks"),
        ("/staff/admin/settings",),
    ),
    "help lines": StaffForm(
        "admin",
        "/staff/admin/settings/help_lines",
        {"help_lines": "まちの こども でんわ | 096-000-0000 | 09:00-17:00", "urgent_to_centre": ""},
        ("help_lines",),
        ("/staff/admin/settings",),
    ),
    "holidays": StaffForm(
        "admin",
        "/staff/admin/settings/holidays",
        {"public_holidays": "1", "closed": "2031-12-29", "open": ""},
        ("closed", "open"),
        ("/staff/admin/settings",),
    ),
    "overdue times": StaffForm(
        "admin",
        "/staff/admin/settings/overdue",
        {
            "overdue_urgent": "60",
            "overdue_high": "240",
            "overdue_normal": "1440",
            "overdue_low": "4320",
        },
        ("overdue_urgent",),
        ("/staff/admin/settings",),
    ),
    "retention": StaffForm(
        "admin",
        "/staff/admin/settings/retention",
        {"retention_years": "3"},
        ("retention_years",),
        ("/staff/admin/settings",),
    ),
    "mail sender": StaffForm(
        "admin",
        "/staff/admin/settings/mail",
        {"mail_from": "centre@city.example"},
        ("mail_from",),
        ("/staff/admin/settings",),
    ),
    "public address": StaffForm(
        "admin",
        "/staff/admin/settings/address",
        {"base_url": "https://report.city.example"},
        ("base_url",),
        ("/staff/admin/settings",),
    ),
    "legal hold": StaffForm(
        "admin",
        "/staff/admin/settings/legal_hold",
        {"report": "<report>", "hold": "1"},
        ("report",),
        ("/staff/admin/settings",),
    ),
    "mail server": StaffForm(
        "admin",
        "/staff/admin/settings/mail_server",
        {
            "smtp_host": "mail.city.example",
            "smtp_port": "587",
            "smtp_starttls": "1",
            "smtp_user": "centre",
        },
        ("smtp_host", "smtp_port", "smtp_user"),
        ("/staff/admin/settings",),
    ),
    "danger words": StaffForm(
        "admin",
        "/staff/admin/settings/danger_words",
        {"danger_words": "しにたい\nきえたい"},
        ("danger_words",),
        ("/staff/admin/settings",),
    ),
    "danger words preview": StaffForm(
        "admin",
        "/staff/admin/settings/danger_words/preview",
        {"danger_words": "しにたい | high | しにたいして", "samples": "もう しにたい"},
        ("danger_words", "samples"),
    ),
    "emergency checklist": StaffForm(
        "admin",
        "/staff/admin/settings/checklist",
        {"emergency_checklist": "call | 電話した | Called"},
        ("emergency_checklist",),
        ("/staff/admin/settings",),
    ),
}
# POST routes whose forms are tried above (pupil, login, reply, password), and those that
# carry no typed text (a button, a choice among the page's own values, a flag).
POSTS_TRIED_ABOVE = {
    "/p/{token}",
    "/staff/login",
    "/staff/reports/{report_id:id}/reply",
    "/staff/password",
    "/staff/login/code",
    "/staff/two-factor",
}
POSTS_WITHOUT_TEXT = {
    "/staff/logout",
    "/staff/language",
    "/staff/reports/{report_id:id}/unread",
    "/staff/admin/schools/{school_id:id}/active",
    "/staff/admin/schools/{school_id:id}/link",
    "/staff/admin/staff/{staff_id:id}",
    "/staff/admin/staff/{staff_id:id}/active",
    "/staff/admin/staff/{staff_id:id}/review",
    "/staff/admin/staff/{staff_id:id}/password",
    "/staff/admin/staff/{staff_id:id}/two-factor",
    "/staff/admin/recipients/{slug}",
    "/staff/statistics/publish",  # the scope is in the address; the form holds no text
}
CASE_ACTIONS_WITHOUT_TEXT = {"urgency", "checklist", "status", "reopen", "assign"}
# Actions on a record another form makes first (an agency's answer to a 通告, a trainee's
# reply returned), tried in tests/test_cases.py and the browser tests, which make the record.
CASE_ACTIONS_ON_A_RECORD = {"agency_answer", "return_reply"}


def _route_pattern(path: str) -> str:
    """A form's address as its route in the table writes it."""
    for placeholder, param in (
        ("<report>", "{report_id:id}"),
        ("<school>", "{school_id:id}"),
        ("<topic>", "{topic_id:id}"),
    ):
        path = path.replace(placeholder, param)
    path = re.sub(r"/case/\w+$", "/case/{action}", path)
    return re.sub(r"/settings/\w+$", "/settings/{section}", path)


def test_every_form_in_the_route_table_goes_through_the_corpus():
    posted = {r.path for r in routes if isinstance(r, Route) and "POST" in (r.methods or ())}
    tried = {_route_pattern(form.path) for form in STAFF_FORMS.values()}
    untried = posted - tried - POSTS_TRIED_ABOVE - POSTS_WITHOUT_TEXT
    assert not untried, f"add these forms to STAFF_FORMS: {sorted(untried)}"
    assert tried | POSTS_TRIED_ABOVE | POSTS_WITHOUT_TEXT <= posted, "a form that is gone"
    actions = {
        form.path.rsplit("/", 1)[1] for form in STAFF_FORMS.values() if "/case/" in form.path
    }
    assert set(ACTIONS) - actions - CASE_ACTIONS_WITHOUT_TEXT - CASE_ACTIONS_ON_A_RECORD == set()
    sections = {
        form.path.rsplit("/", 1)[1]
        for form in STAFF_FORMS.values()
        if "/settings/" in form.path and not form.path.endswith("/preview")
    }
    assert set(SETTING_SECTIONS) == sections


@dataclass
class StaffWorld:
    places: dict[str, str]  # what the forms' <placeholders> stand for
    csrf: str


def _staff_world(client, city, role: str) -> StaffWorld:
    school, _ = city.school()
    centre = city.staff("centre")
    set_supervisor(city.db, centre.id, True)  # approves the waiting reply
    submit_report(
        city.db, school, topic_id(city.db, "home"), "centre", "いえが こわい", submission_key="c"
    )
    (report_id,) = city.db.execute("SELECT max(id) FROM reports").fetchone()
    report = pupil_report(city.db, report_id)
    add_staff_reply(city.db, centre, report, "まってね", pending_review=True)
    (pending,) = city.db.execute("SELECT max(id) FROM messages").fetchone()
    friends = topic(city.db, topic_id(city.db, "friends"))
    places = {
        "report": str(report_id),
        "school": str(school.id),
        "topic": str(friends.id),
        "pending": str(pending),
        "domain": friends.domain,
        "category": friends.category,
    }
    member = centre if role == "centre" else city.staff(role, school if role == "nurse" else None)
    return StaffWorld(places, log_in(client, member))


def _fill(text: str, places: dict[str, str]) -> str:
    return re.sub(r"<(\w+)>", lambda m: places[m.group(1)], text)


def _every_cell(db) -> list:
    tables = [
        row[0]
        for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if row[0] not in ("staff_sessions", "login_failures", "code_failures", "pupil_sessions")
    ]
    return [(t, sorted(map(repr, db.execute(f"SELECT * FROM [{t}]").fetchall()))) for t in tables]


def _tries(form: StaffForm, places: dict[str, str]):
    """(what is tried, the form's fields with it, True if it must be refused)."""
    fields = {k: v if isinstance(v, list) else _fill(v, places) for k, v in form.fields.items()}
    for field in form.typed:
        for name, value in REFUSED_IN_EVERY_FIELD.items():
            yield f"{field}={name}", {**fields, field: value}, True
        for name, value in MAYBE_KEPT.items():
            yield f"{field}={name}", {**fields, field: value}, False
        yield f"{field}=huge number", {**fields, field: "9" * 23}, False
        if not isinstance(fields.get(field), list):  # a list is a set of checkboxes
            yield f"{field} twice", {**fields, field: ["1", "2"]}, True
        yield f"{field} missing", {k: v for k, v in fields.items() if k != field}, False


@pytest.mark.parametrize("name", STAFF_FORMS)
def test_hostile_input_in_a_staff_form_is_refused_kindly_or_kept_inert(
    client, city, name, tmp_path
):
    form = STAFF_FORMS[name]
    world = _staff_world(client, city, form.role)
    path = _fill(form.path, world.places)
    snapshot = sqlite3.connect(tmp_path / "snapshot.db")
    city.db.conn.backup(snapshot)
    problems = []
    for tried, fields, must_refuse in _tries(form, world.places):
        before = _every_cell(city.db)
        response = client.post(
            path, data={**fields, "csrf_token": world.csrf}, follow_redirects=False
        )
        status = response.status_code
        refused = status == 400
        if refused and 'role="alert"' not in response.text:
            problems.append(f"{tried}: refused without a message")
        if refused and _every_cell(city.db) != before:
            problems.append(f"{tried}: refused but wrote")
        if must_refuse and not refused:
            problems.append(f"{tried}: {status}, expected a refusal")
        if status not in (200, 303, 400):
            problems.append(f"{tried}: {status}")
        if not refused:
            problems += [f"{tried}: {p}" for p in _shown_inert(client, form, world.places)]
            snapshot.backup(city.db.conn)  # the next try meets the same world
    assert not problems, "\n".join(problems)


def _shown_inert(client, form: StaffForm, places) -> list[str]:
    problems = []
    for page in form.shown_at:
        response = client.get(_fill(page, places))
        if response.status_code != 200:
            problems.append(f"{page} answered {response.status_code}")
        elif "<script>window" in response.text or "<img src=x" in response.text:
            problems.append(f"{page} shows live markup")
    return problems


HOSTILE_CODES = ["\x00" * 6, "1" * 300, "<script>", "１２３４５６\u202e", "9" * 23, ""]


@pytest.mark.parametrize("code", HOSTILE_CODES)
def test_hostile_second_factor_codes_are_refused_plainly(client, city, code):
    """At login and when setting two-step login up: a message, no session, nothing enrolled."""
    counsellor = city.staff("centre")
    post_login_form(client, counsellor.login)
    before = snapshot(city)
    at_login = post_code_form(client, code)
    assert at_login.status_code == 400 and 'role="alert"' in at_login.text
    assert "<script>" not in at_login.text and snapshot(city) == before
    school, _ = city.school()
    nurse = city.staff("nurse", school)  # two-step login is hers to turn on
    client.cookies.clear()
    csrf = log_in(client, nurse)
    client.get("/staff/two-factor")
    enrolling = client.post("/staff/two-factor", data={"code": code, "csrf_token": csrf})
    assert enrolling.status_code == 400 and 'role="alert"' in enrolling.text
    assert not two_factor.is_enrolled(city.db, nurse.id)


QUERY_KEYS = ("page", "status", "school", "topic", "assignee", "watch", "week", "classes")
QUERY_KEYS += ("language", "reading", "from", "to", "publish", "saved", "lang")
HOSTILE_QUERY_VALUES = [INJECTION, "\x00", "9" * 23, "-1", "1e9", "あ" * 300, "2026-02-30"]


@pytest.mark.parametrize("role", ["centre", "admin"])
def test_hostile_query_strings_on_every_page_give_no_error_and_no_live_markup(client, city, role):
    world = _staff_world(client, city, role)
    ids = {"report_id": "report", "school_id": "school", "topic_id": "topic", "staff_id": "me"}
    (staff_id,) = city.db.execute("SELECT max(id) FROM staff").fetchone()
    world.places["me"] = str(staff_id)
    world.places["format"] = "csv"
    problems = []
    for route in routes:
        if not isinstance(route, Route) or "GET" not in (route.methods or ()):
            continue
        if "{token}" in route.path:
            continue  # the pupil page reads no query
        path = re.sub(r"{(\w+)(?::\w+)?}", lambda m: f"<{ids.get(m[1], m[1])}>", route.path)
        for value in HOSTILE_QUERY_VALUES:
            query = {key: value for key in QUERY_KEYS}
            response = client.get(_fill(path, world.places), params=query)
            if response.status_code >= 500:
                problems.append(f"{route.path} with {value[:12]!r}: {response.status_code}")
            elif "<script>window" in response.text or "<img src=x" in response.text:
                problems.append(f"{route.path} with {value[:12]!r}: live markup")
    assert not problems, "\n".join(problems)
