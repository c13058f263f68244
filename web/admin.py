"""The city's administration pages: schools and their pupil links, staff accounts, topics and
routing, city settings, and the admin log.

A city admin sees everything. A school admin sees their own school, its link and posters and
its staff; another school's page or account is a 404, and city-wide pages are refused.
"""

from dataclasses import replace
from datetime import date

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from school_report import hours, settings, topics, two_factor
from school_report.admin_log import Actor, log_entries
from school_report.clock import utc_now
from school_report.migrations import (
    READINGS,
    RECIPIENTS,
    ROLES,
    SCHOOL_KINDS,
    SCHOOL_ROLES,
    URGENCIES,
)
from school_report.schools import (
    School,
    SchoolError,
    add_school,
    current_entry_token,
    entry_url,
    get_school,
    issue_entry_link,
    list_schools,
    set_school_active,
    update_school,
)
from school_report.settings import SettingError
from school_report.staff import (
    Staff,
    StaffAccount,
    StaffError,
    add_staff,
    disable_staff,
    enable_staff,
    reset_password,
    set_needs_review,
    set_staff_role,
    staff_account,
    staff_accounts,
    temporary_password,
)
from school_report.topics import TopicError
from web import i18n
from web.database import call_domain
from web.forms import one, one_int
from web.qr import qr_data_uri
from web.staff import _render, current_staff, staff_form
from web.templating import render

ADMIN = "/staff/admin"
DOMAIN_ERRORS = (SchoolError, StaffError, TopicError, SettingError)
MAX_POSTER_CLASSES = 60


def _actor(staff: Staff) -> Actor:
    return Actor(staff.id, staff.login)


async def _administrator(request: Request) -> Staff:
    staff = await current_staff(request)
    if staff.role not in ("admin", "school_admin"):
        raise HTTPException(403, "admin_only")
    return staff


async def _city_admin(request: Request) -> Staff:
    staff = await _administrator(request)
    if staff.role != "admin":
        raise HTTPException(403, "admin_only")
    return staff


def _school_scope(staff: Staff) -> int | None:
    """The one school a school admin may see; None for a city admin (every school)."""
    return staff.school_id if staff.role == "school_admin" else None


async def _school(request: Request, staff: Staff) -> School:
    school = await call_domain(request, get_school, request.path_params["school_id"])
    if school is None or _school_scope(staff) not in (None, school.id):
        raise HTTPException(404, "not_found")
    return school


async def _account(request: Request, staff: Staff) -> StaffAccount:
    account = await call_domain(request, staff_account, request.path_params["staff_id"])
    if account is None or _school_scope(staff) not in (None, account.school_id):
        raise HTTPException(404, "not_found")
    return account


async def _change(request: Request, fn, *args, **kwargs) -> str | None:
    """Make a change through the domain: None once saved, else the reason it was refused."""
    try:
        await call_domain(request, fn, *args, **kwargs)
    except DOMAIN_ERRORS as error:
        return error.reason
    return None


def _saved(to: str, what: str = "1") -> RedirectResponse:
    return RedirectResponse(f"{to}?saved={what}", status_code=303)


async def home(request: Request) -> Response:
    staff = await _administrator(request)
    if staff.role == "school_admin":
        return RedirectResponse(f"{ADMIN}/schools/{staff.school_id}", status_code=303)
    return RedirectResponse(f"{ADMIN}/schools", status_code=303)


# Schools and their pupil links


async def _schools_view(request, staff, context=None, status=200) -> Response:
    context = {
        "schools": await call_domain(request, list_schools),
        "kinds": SCHOOL_KINDS,
        **(context or {}),
    }
    return _render(request, staff, "admin/schools.html", context, status)


async def schools_page(request: Request) -> Response:
    return await _schools_view(request, await _city_admin(request))


async def new_school(request: Request) -> Response:
    staff = await _city_admin(request)
    form = await staff_form(request)
    try:
        school = await call_domain(
            request, add_school, one(form, "name"), one(form, "kind"), by=_actor(staff)
        )
    except SchoolError as error:
        context = {"error": error.reason, "draft": dict(form)}
        return await _schools_view(request, staff, context, 400)
    return _saved(f"{ADMIN}/schools/{school.id}", "added")


def _entry_url(request: Request, token: str) -> str:
    return entry_url(request.app.state.settings.base_url, token)


async def _current_url(request: Request, school: School) -> str | None:
    secret = request.app.state.settings.secret
    token = await call_domain(request, current_entry_token, school, secret)
    return token and _entry_url(request, token)


async def _school_view(request, staff, school, context=None, status=200) -> Response:
    url = await _current_url(request, school)
    context = {
        "school": school,
        "kinds": SCHOOL_KINDS,
        "readings": READINGS,
        "entry_url": url,
        "qr_code": url and qr_data_uri(url),
        "accounts": await call_domain(request, staff_accounts, school.id),
        "saved": request.query_params.get("saved"),
        **(context or {}),
    }
    return _render(request, staff, "admin/school.html", context, status)


async def school_page(request: Request) -> Response:
    staff = await _administrator(request)
    return await _school_view(request, staff, await _school(request, staff))


async def save_school(request: Request) -> Response:
    staff = await _city_admin(request)
    school = await _school(request, staff)
    form = await staff_form(request)
    fields = (one(form, "name"), one(form, "kind"), one(form, "reading"))
    error = await _change(request, update_school, school, *fields, _actor(staff))
    if error:
        context = {"error": error, "draft": dict(form)}
        return await _school_view(request, staff, school, context, 400)
    return _saved(f"{ADMIN}/schools/{school.id}")


async def school_active(request: Request) -> Response:
    staff = await _city_admin(request)
    school = await _school(request, staff)
    form = await staff_form(request)
    active = one(form, "active") == "1"
    await call_domain(request, set_school_active, school, active, _actor(staff))
    return _saved(f"{ADMIN}/schools/{school.id}", "active" if active else "inactive")


async def rotate_link(request: Request) -> Response:
    """Issue a new pupil link; the old one stops working at once."""
    staff = await _administrator(request)
    school = await _school(request, staff)
    await staff_form(request)
    secret = request.app.state.settings.secret
    await call_domain(request, issue_entry_link, school, secret, _actor(staff))
    return _saved(f"{ADMIN}/schools/{school.id}", "link")


async def poster(request: Request) -> Response:
    """Printable A4 posters, one a class (or one for the school), in the pupils' words."""
    staff = await _administrator(request)
    school = await _school(request, staff)
    url = await _current_url(request, school)
    if url is None:
        raise HTTPException(404, "no_link")
    classes = [line.strip()[:20] for line in request.query_params.get("classes", "").splitlines()]
    classes = [name for name in classes if name][:MAX_POSTER_CLASSES] or [""]
    # The poster is for pupils: their language and the school's reading level.
    i18n.current_language.set(i18n.DEFAULT_LANGUAGE)
    i18n.current_reading.set(school.reading)
    context = {"school": school, "url": url, "qr_code": qr_data_uri(url, 10), "classes": classes}
    return render(request, "admin/poster.html", context)


# Staff accounts


def _roles(staff: Staff) -> tuple[str, ...]:
    return ROLES if staff.role == "admin" else SCHOOL_ROLES


async def _schools_for(request: Request, staff: Staff) -> list[School]:
    every = await call_domain(request, list_schools)
    return [school for school in every if _school_scope(staff) in (None, school.id)]


async def _role_and_school(request: Request, staff: Staff, form: FormData):
    """The role and school chosen in a staff form: only those this administrator may give."""
    role = one(form, "role")
    if role not in _roles(staff):
        raise HTTPException(400, "bad_form")
    if _school_scope(staff) is not None:
        return role, await call_domain(request, get_school, staff.school_id)
    if not one(form, "school"):
        return role, None
    school = await call_domain(request, get_school, one_int(form, "school"))
    if school is None:
        raise HTTPException(400, "bad_form")
    return role, school


async def _accounts_view(request, staff, context=None, status=200) -> Response:
    context = {
        "accounts": await call_domain(request, staff_accounts, _school_scope(staff)),
        "roles": _roles(staff),
        "schools": await _schools_for(request, staff),
        **(context or {}),
    }
    return _render(request, staff, "admin/accounts.html", context, status)


async def accounts_page(request: Request) -> Response:
    """The accounts, and a form to add one (at the school it was opened from, if any)."""
    draft = {"school": request.query_params.get("school", "")}
    return await _accounts_view(request, await _administrator(request), {"draft": draft})


async def add_account(request: Request) -> Response:
    """A new account with a temporary password, shown this once, to be changed at first login."""
    staff = await _administrator(request)
    form = await staff_form(request)
    role, school = await _role_and_school(request, staff, form)
    password = temporary_password()
    try:
        added = await call_domain(
            request,
            add_staff,
            one(form, "login"),
            password,
            role,
            school,
            one(form, "display_name").strip() or None,
            must_change_password=True,
            by=_actor(staff),
        )
    except StaffError as error:
        context = {"error": error.reason, "draft": dict(form)}
        return await _accounts_view(request, staff, context, 400)
    account = await call_domain(request, staff_account, added.id)
    return await _account_view(request, staff, account, {"temporary_password": password})


async def _account_view(request, staff, account, context=None, status=200) -> Response:
    context = {
        "account": account,
        "roles": _roles(staff),
        "schools": await _schools_for(request, staff),
        "two_factor": await call_domain(request, two_factor.is_enrolled, account.id),
        "saved": request.query_params.get("saved"),
        **(context or {}),
    }
    return _render(request, staff, "admin/account.html", context, status)


async def account_page(request: Request) -> Response:
    staff = await _administrator(request)
    return await _account_view(request, staff, await _account(request, staff))


async def _account_change(request: Request, change) -> Response:
    """Apply `change(staff, account, form)` (it returns a reason or None) and show the result."""
    staff = await _administrator(request)
    account = await _account(request, staff)
    form = await staff_form(request)
    error = await change(staff, account, form)
    if error:
        return await _account_view(request, staff, account, {"error": error}, 400)
    return _saved(f"{ADMIN}/staff/{account.id}")


async def save_role(request: Request) -> Response:
    async def change(staff, account, form):
        role, school = await _role_and_school(request, staff, form)
        return await _change(request, set_staff_role, account.id, role, school, _actor(staff))

    return await _account_change(request, change)


async def set_account_active(request: Request) -> Response:
    async def change(staff, account, form):
        fn = enable_staff if one(form, "active") == "1" else disable_staff
        return await _change(request, fn, account.id, _actor(staff))

    return await _account_change(request, change)


async def set_review(request: Request) -> Response:
    async def change(staff, account, form):
        on = one(form, "needs_review") == "1"
        return await _change(request, set_needs_review, account.id, on, _actor(staff))

    return await _account_change(request, change)


async def reset_account_two_factor(request: Request) -> Response:
    async def change(staff, account, form):
        return await _change(request, two_factor.reset_two_factor, account.id, _actor(staff))

    return await _account_change(request, change)


async def reset_account_password(request: Request) -> Response:
    """The temporary password is shown on this response only; it is stored as a hash."""
    staff = await _administrator(request)
    account = await _account(request, staff)
    await staff_form(request)
    password = await call_domain(request, reset_password, account.id, _actor(staff))
    account = await call_domain(request, staff_account, account.id)
    return await _account_view(request, staff, account, {"temporary_password": password})


# Topics and routing


async def _topics_view(request, staff, context=None, status=200) -> Response:
    context = {
        "topics": await call_domain(request, topics.all_topics),
        "recipients": await call_domain(request, topics.recipient_settings),
        "saved": request.query_params.get("saved"),
        **(context or {}),
    }
    return _render(request, staff, "admin/topics.html", context, status)


async def topics_page(request: Request) -> Response:
    return await _topics_view(request, await _city_admin(request))


async def _topic(request: Request) -> topics.Topic:
    found = await call_domain(request, topics.topic, request.path_params["topic_id"])
    if found is None:
        raise HTTPException(404, "not_found")
    return found


async def _topic_view(request, staff, topic, context=None, status=200) -> Response:
    context = {
        "topic": topic,
        "domains": topics.DOMAINS,
        "categories": topics.CATEGORIES,
        "recipient_slugs": RECIPIENTS,
        "urgencies": URGENCIES,
        **(context or {}),
    }
    return _render(request, staff, "admin/topic.html", context, status)


async def topic_page(request: Request) -> Response:
    staff = await _city_admin(request)
    return await _topic_view(request, staff, await _topic(request))


async def save_topic(request: Request) -> Response:
    staff = await _city_admin(request)
    topic = await _topic(request)
    form = await staff_form(request)
    changed = replace(
        topic,
        label_ja=one(form, "label_ja"),
        label_en=one(form, "label_en"),
        icon=one(form, "icon"),
        domain=one(form, "domain"),
        category=one(form, "category"),
        default_recipient=one(form, "default_recipient") or None,
        urgency=one(form, "urgency"),
        position=one_int(form, "position"),
        active=one(form, "active") == "1",
    )
    error = await _change(request, topics.update_topic, changed, _actor(staff))
    if error:
        return await _topic_view(request, staff, changed, {"error": error}, 400)
    return _saved(f"{ADMIN}/topics", "topic")


async def save_recipient(request: Request) -> Response:
    staff = await _city_admin(request)
    form = await staff_form(request)
    offered, messaging = one(form, "offered") == "1", one(form, "messaging") == "1"
    slug = request.path_params["slug"]
    error = await _change(request, topics.set_recipient, slug, offered, messaging, _actor(staff))
    if error:
        return await _topics_view(request, staff, {"error": error}, 400)
    return _saved(f"{ADMIN}/topics", "recipients")


async def topics_preview(request: Request) -> Response:
    """The pupil's topic screen as a pupil of the chosen language and reading level sees it."""
    staff = await _city_admin(request)
    reading = request.query_params.get("reading")
    i18n.current_language.set(i18n.choose_language(request.query_params.get("language")))
    i18n.current_reading.set(reading if reading in READINGS else "ruby")
    context = {"topics": await call_domain(request, topics.active_topics)}
    return _render(request, staff, "admin/preview.html", context)


# City settings


def _dates(text: str) -> list[date]:
    try:
        return [date.fromisoformat(line.strip()) for line in text.splitlines() if line.strip()]
    except ValueError as error:
        raise SettingError("dates are written like 2026-12-29", "dates_invalid") from error


def _number(form: FormData, name: str, reason: str) -> int:
    try:
        return int(one(form, name))
    except ValueError as error:
        raise SettingError(f"{name} must be a whole number", reason) from error


def _checklist(text: str) -> list[dict[str, str]]:
    """Lines of `key | 日本語 | English`."""
    items = []
    for line in filter(str.strip, text.splitlines()):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3:
            raise SettingError("each line is key | 日本語 | English", "checklist_items")
        items.append(dict(zip(("key", "label_ja", "label_en"), parts, strict=True)))
    return items


def _weekdays(form: FormData) -> list[int]:
    try:
        return [int(day) for day in form.getlist("weekday")]
    except ValueError as error:
        raise HTTPException(400, "bad_form") from error


# Each settings section: the domain function that saves it, with what it takes from the form.
SETTING_SECTIONS = {
    "hours": lambda form: (
        hours.set_centre_hours,
        _weekdays(form),
        one(form, "open"),
        one(form, "close"),
    ),
    "holidays": lambda form: (
        hours.set_centre_holidays,
        one(form, "public_holidays") == "1",
        _dates(one(form, "closed")),
        _dates(one(form, "open")),
    ),
    "overdue": lambda form: (
        settings.set_overdue_minutes,
        {u: _number(form, f"overdue_{u}", "overdue_range") for u in URGENCIES},
    ),
    "retention": lambda form: (
        settings.set_retention_years,
        _number(form, "retention_years", "retention_range"),
    ),
    "mail": lambda form: (settings.set_mail_from, one(form, "mail_from")),
    "danger_words": lambda form: (
        settings.set_danger_words,
        one(form, "danger_words").splitlines(),
    ),
    "checklist": lambda form: (
        settings.set_emergency_checklist,
        _checklist(one(form, "emergency_checklist")),
    ),
}


def _city_settings(db) -> dict:
    keys = ("centre_hours", "centre_holidays", "overdue_minutes", "retention_years", "mail_from")
    values = {key: settings.get_setting(db, key) for key in keys}
    values["danger_words"] = settings.get_setting(db, "danger_words", [])
    values["emergency_checklist"] = settings.get_setting(db, "emergency_checklist", [])
    centre = hours.centre_hours(db)
    this_year = utc_now().astimezone(hours.city_zone(db)).year
    values["public_holidays"] = [
        (day, name, centre.is_holiday(day))
        for year in (this_year, this_year + 1)
        for day, name in hours.public_holidays(year)
    ]
    return values


async def _settings_view(request, staff, context=None, status=200) -> Response:
    context = {
        "values": await call_domain(request, _city_settings),
        "urgencies": URGENCIES,
        "saved": request.query_params.get("saved"),
        "draft": {},
        **(context or {}),
    }
    return _render(request, staff, "admin/settings.html", context, status)


async def settings_page(request: Request) -> Response:
    return await _settings_view(request, await _city_admin(request))


async def save_settings(request: Request) -> Response:
    staff = await _city_admin(request)
    section = request.path_params["section"]
    if section not in SETTING_SECTIONS:
        raise HTTPException(404, "not_found")
    form = await staff_form(request)
    try:
        fn, *args = SETTING_SECTIONS[section](form)
        await call_domain(request, fn, *args, _actor(staff))
    except SettingError as error:
        context = {"error": error.reason, "section": section, "draft": dict(form)}
        return await _settings_view(request, staff, context, 400)
    return RedirectResponse(f"{ADMIN}/settings?saved={section}#{section}", status_code=303)


# The admin log


async def log_page(request: Request) -> Response:
    staff = await _administrator(request)
    entries = await call_domain(request, log_entries, _school_scope(staff))
    return _render(request, staff, "admin/log.html", {"entries": entries})


routes = [
    Route(ADMIN, home),
    Route(f"{ADMIN}/schools", schools_page, methods=["GET"]),
    Route(f"{ADMIN}/schools", new_school, methods=["POST"]),
    Route(f"{ADMIN}/schools/{{school_id:int}}", school_page, methods=["GET"]),
    Route(f"{ADMIN}/schools/{{school_id:int}}", save_school, methods=["POST"]),
    Route(f"{ADMIN}/schools/{{school_id:int}}/active", school_active, methods=["POST"]),
    Route(f"{ADMIN}/schools/{{school_id:int}}/link", rotate_link, methods=["POST"]),
    Route(f"{ADMIN}/schools/{{school_id:int}}/poster", poster),
    Route(f"{ADMIN}/staff", accounts_page, methods=["GET"]),
    Route(f"{ADMIN}/staff", add_account, methods=["POST"]),
    Route(f"{ADMIN}/staff/{{staff_id:int}}", account_page, methods=["GET"]),
    Route(f"{ADMIN}/staff/{{staff_id:int}}", save_role, methods=["POST"]),
    Route(f"{ADMIN}/staff/{{staff_id:int}}/active", set_account_active, methods=["POST"]),
    Route(f"{ADMIN}/staff/{{staff_id:int}}/review", set_review, methods=["POST"]),
    Route(f"{ADMIN}/staff/{{staff_id:int}}/password", reset_account_password, methods=["POST"]),
    Route(f"{ADMIN}/staff/{{staff_id:int}}/two-factor", reset_account_two_factor, methods=["POST"]),
    Route(f"{ADMIN}/topics", topics_page),
    Route(f"{ADMIN}/topics/preview", topics_preview),
    Route(f"{ADMIN}/topics/{{topic_id:int}}", topic_page, methods=["GET"]),
    Route(f"{ADMIN}/topics/{{topic_id:int}}", save_topic, methods=["POST"]),
    Route(f"{ADMIN}/recipients/{{slug}}", save_recipient, methods=["POST"]),
    Route(f"{ADMIN}/settings", settings_page),
    Route(f"{ADMIN}/settings/{{section}}", save_settings, methods=["POST"]),
    Route(f"{ADMIN}/log", log_page),
]
