"""The city's administration pages: schools and their pupil links, staff accounts, topics and
routing, city settings, and the admin log.

A city admin sees everything. A school admin sees their own school, its link and posters and
its staff; another school's page or account is a 404, and city-wide pages are refused.
"""

import json
import re
from collections.abc import Awaitable
from dataclasses import replace
from datetime import date

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from school_report import (
    danger,
    danger_words,
    duty_of_care,
    hours,
    notifications,
    retention,
    settings,
    topics,
    two_factor,
)
from school_report.admin_log import Actor, log_entries
from school_report.migrations import (
    READINGS,
    RECIPIENTS,
    SCHOOL_KINDS,
    URGENCIES,
)
from school_report.refused import Refused
from school_report.schools import (
    School,
    SchoolError,
    add_school,
    current_entry_token,
    entry_url,
    get_school,
    issue_entry_link,
    list_schools,
    poster_token,
    set_school_active,
    update_school,
)
from school_report.settings import SettingError
from school_report.staff import (
    Staff,
    StaffAccount,
    add_staff,
    city_admin_needed,
    disable_staff,
    enable_staff,
    reset_password,
    roles_given_by,
    set_needs_review,
    set_staff_role,
    staff_account,
    staff_accounts,
    temporary_password,
)
from school_report.text import clean_admin_text
from web import i18n
from web.config import BASE_URL_VARIABLE, UNSET_BASE_URL
from web.database import call_domain
from web.forms import one, one_int
from web.qr import qr_data_uri
from web.staff import current_staff, render_staff, staff_form
from web.templating import render

ADMIN = "/staff/admin"
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
    except Refused as error:
        return error.reason
    return None


async def _view(
    request: Request,
    staff: Staff,
    template: str,
    facts: Awaitable[dict],
    context: dict | None = None,
    status: int = 200,
) -> Response:
    """An admin page: what it shows (`facts`), with this request's `context` over it (a
    refusal's reason, the form as it was typed) and the notice of what was just saved."""
    shown = {"saved": request.query_params.get("saved"), **await facts, **(context or {})}
    return render_staff(request, staff, template, shown, status)


def _saved(to: str, what: str = "1") -> RedirectResponse:
    return RedirectResponse(f"{to}?saved={what}", status_code=303)


async def home(request: Request) -> Response:
    staff = await _administrator(request)
    if staff.role == "school_admin":
        return RedirectResponse(f"{ADMIN}/schools/{staff.school_id}", status_code=303)
    return RedirectResponse(f"{ADMIN}/schools", status_code=303)


# Schools and their pupil links


async def _schools_facts(request: Request) -> dict:
    return {"schools": await call_domain(request, list_schools), "kinds": SCHOOL_KINDS}


async def schools_page(request: Request) -> Response:
    staff = await _city_admin(request)
    return await _view(request, staff, "admin/schools.html", _schools_facts(request))


async def new_school(request: Request) -> Response:
    staff = await _city_admin(request)
    form = await staff_form(request)
    try:
        school = await call_domain(
            request, add_school, one(form, "name"), one(form, "kind"), by=_actor(staff)
        )
    except SchoolError as error:
        context = {"error": error.reason, "draft": dict(form)}
        facts = _schools_facts(request)
        return await _view(request, staff, "admin/schools.html", facts, context, 400)
    return _saved(f"{ADMIN}/schools/{school.id}", "added")


async def _public_address(request: Request) -> str:
    return await call_domain(request, request.app.state.settings.public_address)


async def _entry_url(request: Request, token: str) -> str:
    return entry_url(await _public_address(request), token)


async def _address_warning(request: Request) -> dict:
    """What the page says before a link is printed: no address set (links carry a development
    server's), or one that differs from the address this page was reached at."""
    address = await _public_address(request)
    here = f"{request.url.scheme}://{request.url.netloc}"
    unset = request.app.state.settings.base_url_source == "unset" and address == UNSET_BASE_URL
    return {
        "public_address": address,
        "address_unset": unset,
        "address_elsewhere": not unset and not address.startswith(here),
        "reached_at": here,
    }


async def _school_facts(request: Request, school: School) -> dict:
    secret = request.app.state.settings.secret
    token = await call_domain(request, current_entry_token, school, secret)
    url = token and await _entry_url(request, token)
    return {
        **await _address_warning(request),
        "school": school,
        "kinds": SCHOOL_KINDS,
        "readings": READINGS,
        "entry_url": url,
        "qr_code": url and qr_data_uri(url),
        "accounts": await call_domain(request, staff_accounts, school.id),
    }


async def school_page(request: Request) -> Response:
    staff = await _administrator(request)
    school = await _school(request, staff)
    return await _view(request, staff, "admin/school.html", _school_facts(request, school))


async def save_school(request: Request) -> Response:
    staff = await _city_admin(request)
    school = await _school(request, staff)
    form = await staff_form(request)
    fields = (one(form, "name"), one(form, "kind"), one(form, "reading"))
    error = await _change(request, update_school, school, *fields, _actor(staff))
    if error:
        context = {"error": error, "draft": dict(form)}
        facts = _school_facts(request, school)
        return await _view(request, staff, "admin/school.html", facts, context, 400)
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
    """Printable A4 posters, one a class (or one for the school), in the pupils' words; none
    for a deactivated school, whose link does not open."""
    staff = await _administrator(request)
    school = await _school(request, staff)
    secret = request.app.state.settings.secret
    try:
        url = await _entry_url(request, await call_domain(request, poster_token, school, secret))
    except SchoolError as refused:
        facts = _school_facts(request, school)
        return await _view(
            request, staff, "admin/school.html", facts, {"error": refused.reason}, 409
        )
    classes = [line.strip()[:20] for line in request.query_params.get("classes", "").splitlines()]
    classes = [name for name in classes if name][:MAX_POSTER_CLASSES] or [""]
    # The poster is for pupils: their language and the school's reading level.
    i18n.current_language.set(i18n.DEFAULT_LANGUAGE)
    i18n.current_reading.set(school.reading)
    context = {"school": school, "url": url, "qr_code": qr_data_uri(url, 10), "classes": classes}
    return render(request, "admin/poster.html", context)


# Staff accounts


def _roles(staff: Staff) -> tuple[str, ...]:
    return roles_given_by(staff.role)


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


async def _accounts_facts(request: Request, staff: Staff) -> dict:
    return {
        "accounts": await call_domain(request, staff_accounts, _school_scope(staff)),
        "roles": _roles(staff),
        "schools": await _schools_for(request, staff),
    }


async def accounts_page(request: Request) -> Response:
    """The accounts, and a form to add one (at the school it was opened from, if any)."""
    staff = await _administrator(request)
    draft = {"school": request.query_params.get("school", "")}
    facts = _accounts_facts(request, staff)
    return await _view(request, staff, "admin/accounts.html", facts, {"draft": draft})


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
            one(form, "display_name") or None,
            must_change_password=True,
            by=_actor(staff),
        )
    except Refused as error:
        context = {"error": error.reason, "draft": dict(form)}
        facts = _accounts_facts(request, staff)
        return await _view(request, staff, "admin/accounts.html", facts, context, 400)
    account = await call_domain(request, staff_account, added.id)
    facts = _account_facts(request, staff, account)
    return await _view(
        request, staff, "admin/account.html", facts, {"temporary_password": password}
    )


async def _account_facts(request: Request, staff: Staff, account: StaffAccount) -> dict:
    return {
        "account": account,
        "roles": _roles(staff),
        "schools": await _schools_for(request, staff),
        "two_factor": await call_domain(request, two_factor.is_enrolled, account.id),
        # Resets and role changes lock a person out, or let someone in as them: never one's
        # own account, and a report reader's only by a city admin (the domain refuses too).
        "may_change_access": account.id != staff.id and not city_admin_needed(account, staff.role),
    }


async def account_page(request: Request) -> Response:
    staff = await _administrator(request)
    account = await _account(request, staff)
    return await _view(
        request, staff, "admin/account.html", _account_facts(request, staff, account)
    )


async def _account_change(request: Request, change) -> Response:
    """Apply `change(staff, account, form)` (it returns a reason or None) and show the result."""
    staff = await _administrator(request)
    account = await _account(request, staff)
    form = await staff_form(request)
    error = await change(staff, account, form)
    if error:
        facts = _account_facts(request, staff, account)
        return await _view(request, staff, "admin/account.html", facts, {"error": error}, 400)
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


async def _access_reset(request: Request, reset) -> Response:
    """Reset an account's password or two-factor with `reset(db, staff_id, by)`; a temporary
    password it returns is shown on this response only (it is stored as a hash)."""
    staff = await _administrator(request)
    account = await _account(request, staff)
    await staff_form(request)
    try:
        password = await call_domain(request, reset, account.id, _actor(staff))
    except Refused as error:
        facts = _account_facts(request, staff, account)
        return await _view(
            request, staff, "admin/account.html", facts, {"error": error.reason}, 400
        )
    account = await call_domain(request, staff_account, account.id)
    context = {"temporary_password": password, "saved": None if password else "1"}
    facts = _account_facts(request, staff, account)
    return await _view(request, staff, "admin/account.html", facts, context)


async def reset_account_password(request: Request) -> Response:
    return await _access_reset(request, reset_password)


async def reset_account_two_factor(request: Request) -> Response:
    """A lost phone. Where two-step login is required, the temporary password that lets the
    person set it up again is shown on this response only."""
    return await _access_reset(request, two_factor.reset_two_factor)


# Topics and routing


async def _topics_facts(request: Request) -> dict:
    return {
        "topics": await call_domain(request, topics.all_topics),
        "recipients": await call_domain(request, topics.recipient_settings),
    }


async def topics_page(request: Request) -> Response:
    staff = await _city_admin(request)
    return await _view(request, staff, "admin/topics.html", _topics_facts(request))


async def _topic(request: Request) -> topics.Topic:
    found = await call_domain(request, topics.topic, request.path_params["topic_id"])
    if found is None:
        raise HTTPException(404, "not_found")
    return found


async def _topic_facts(topic: topics.Topic) -> dict:
    return {
        "topic": topic,
        "other_languages": topics.OTHER_LABEL_LANGUAGES,
        "domains": topics.DOMAINS,
        "categories": topics.CATEGORIES,
        "recipient_slugs": RECIPIENTS,
        "urgencies": URGENCIES,
    }


async def topic_page(request: Request) -> Response:
    staff = await _city_admin(request)
    topic = await _topic(request)
    return await _view(request, staff, "admin/topic.html", _topic_facts(topic))


def _edited_topic(topic: topics.Topic, form: FormData) -> topics.Topic:
    """The topic as the form has it (the domain checks it)."""
    return replace(
        topic,
        label_ja=one(form, "label_ja"),
        label_en=one(form, "label_en"),
        labels={lang: one(form, f"label_{lang}") for lang in topics.OTHER_LABEL_LANGUAGES},
        icon=one(form, "icon"),
        domain=one(form, "domain"),
        category=one(form, "category"),
        default_recipient=one(form, "default_recipient") or None,
        urgency=one(form, "urgency"),
        position=one_int(form, "position"),
        active=one(form, "active") == "1",
    )


async def save_topic(request: Request) -> Response:
    staff = await _city_admin(request)
    topic = await _topic(request)
    changed = _edited_topic(topic, await staff_form(request))
    error = await _change(request, topics.update_topic, changed, _actor(staff))
    if error:
        context = {"error": error}
        if error == "ruby_missing":
            context["ruby_example"] = topics.furigana_example(changed.label_ja)
        facts = _topic_facts(changed)
        return await _view(request, staff, "admin/topic.html", facts, context, 400)
    return _saved(f"{ADMIN}/topics", "topic")


async def save_recipient(request: Request) -> Response:
    staff = await _city_admin(request)
    form = await staff_form(request)
    offered, messaging = one(form, "offered") == "1", one(form, "messaging") == "1"
    slug = request.path_params["slug"]
    error = await _change(request, topics.set_recipient, slug, offered, messaging, _actor(staff))
    if error:
        facts = _topics_facts(request)
        return await _view(request, staff, "admin/topics.html", facts, {"error": error}, 400)
    return _saved(f"{ADMIN}/topics", "recipients")


def _as_pupil_sees_it(request: Request, template: str, context: dict, reading: str) -> Markup:
    """A pupil template in the pupil's language and reading level (`context["language"]`),
    for a staff page that stays in the staff member's own."""
    language = i18n.current_language.set(context["language"])
    level = i18n.current_reading.set(reading)
    try:
        html = request.app.state.templates.get_template(template).render(request=request, **context)
    finally:
        i18n.current_language.reset(language)
        i18n.current_reading.reset(level)
    return Markup(html)


async def topics_preview(request: Request) -> Response:
    """The pupil's topic screen as a pupil of the chosen language and reading level sees it."""
    staff = await _city_admin(request)
    language = i18n.choose_language(request.query_params.get("language"), i18n.PUPIL_LANGUAGES)
    reading = i18n.reading_for(language, request.query_params.get("reading"), "ruby")

    async def facts() -> dict:
        shown = {"topics": await call_domain(request, topics.active_topics), "language": language}
        return {
            "preview": _as_pupil_sees_it(request, "pupil/_topics.html", shown, reading),
            "pupil_language": language,
            "pupil_languages": i18n.PUPIL_LANGUAGES,
            "readings": READINGS,
            "reading": reading,
        }

    return await _view(request, staff, "admin/preview.html", facts())


# City settings


def _dates(text: str) -> list[date]:
    try:
        return [date.fromisoformat(line.strip()) for line in text.splitlines() if line.strip()]
    except ValueError as error:
        raise SettingError("dates are written like 2026-12-29", "dates_invalid") from error


def _breaks(text: str) -> list[tuple[date, date]]:
    """School breaks, one a line: its first and last day (2026-12-24 2027-01-07)."""
    days = [_dates(line.replace(" ", "\n")) for line in text.splitlines() if line.strip()]
    if any(len(pair) != 2 for pair in days):
        raise SettingError("each break is its first and last day", "dates_invalid")
    return [(first, last) for first, last in days]


_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


def _number(form: FormData, name: str, reason: str) -> int:
    text = one(form, name).strip()
    if not _WHOLE_NUMBER.fullmatch(text):
        raise SettingError(f"{name} must be a whole number", reason)
    return int(text)


def _checklist(text: str) -> list[dict[str, str]]:
    """Lines of `key | 日本語 | English`."""
    items = []
    for line in filter(str.strip, text.splitlines()):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3:
            raise SettingError("each line is key | 日本語 | English", "checklist_items")
        items.append(dict(zip(("key", "label_ja", "label_en"), parts, strict=True)))
    return items


# How an admin may write a city word's urgency.
_URGENCY_WORDS = {
    **{urgency: urgency for urgency in URGENCIES},
    "緊急": "urgent",
    "高": "high",
    "通常": "normal",
    "低": "low",
}


_FIELD_BAR = re.compile(r"\|(?![^()]*\))")  # a bar outside a word's (a|b) choices


def _danger_words(text: str) -> list[str | dict]:
    """Lines of `word`, or `word | urgency | harmless phrase; another`: the urgency (urgent if
    left out) in English or Japanese, the phrases in which the word means nothing."""
    words: list[str | dict] = []
    for line in filter(str.strip, text.splitlines()):
        stem, *rest = (part.strip() for part in _FIELD_BAR.split(line, maxsplit=2))
        urgency, unless = [*rest, "", ""][:2]
        if urgency and urgency not in _URGENCY_WORDS:
            raise SettingError(f"unknown urgency {urgency!r}", "danger_words_format")
        phrases = [phrase.strip() for phrase in unless.split(";") if phrase.strip()]
        if not rest:
            words.append(stem)
        else:
            words.append(
                {"stem": stem, "urgency": _URGENCY_WORDS[urgency or "urgent"], "unless": phrases}
            )
    return words


def danger_word_lines(words: list) -> str:
    """The city's words as the settings page writes them, one a line."""
    return "\n".join(
        word
        if isinstance(word, str)
        else " | ".join(
            filter(
                None,
                [word["stem"], word.get("urgency", "urgent"), "; ".join(word.get("unless", []))],
            )
        )
        for word in words
    )


SAMPLE_MESSAGES = (
    "ほうかご ひとりで ほうちされてる",
    "ほうちされた じてんしゃが ある",
    "テストむずすぎて死ぬw",
    "遺書を書いた",
)


MAX_SAMPLE_CHARS = 2000


def _previews(samples: str, words: str) -> list[tuple]:
    """Each sample message as the draft words and the built-in families read it: its
    assessment and its text in pieces, marked where a word was found. SettingError if the
    words or samples could not be saved as typed."""
    samples = clean_admin_text(
        samples, MAX_SAMPLE_CHARS, SettingError, required=False, multiline=True
    )
    city_words = danger_words.read_city_words(settings.checked_danger_words(_danger_words(words)))
    shown = [line for line in samples.splitlines() if line.strip()][:20]
    found = [danger.assess_text(sample, city_words) for sample in shown]
    return [
        (assessment, danger_words.highlighted(sample, list(assessment.hits)))
        for sample, assessment in zip(shown, found, strict=True)
    ]


async def danger_words_preview(request: Request) -> Response:
    """What the draft city words would make of sample messages, as the admin types (htmx)."""
    staff = await _city_admin(request)
    form = await staff_form(request)
    try:
        previews = await run_in_threadpool(
            _previews, one(form, "samples"), one(form, "danger_words")
        )
    except Refused as error:
        context = {"error": error.reason}
        return render_staff(request, staff, "admin/_danger_preview.html", context, 400)
    return render_staff(request, staff, "admin/_danger_preview.html", {"previews": previews})


def _weekdays(form: FormData) -> list[int]:
    try:
        return [int(day) for day in form.getlist("weekday")]
    except ValueError as error:
        raise HTTPException(400, "bad_form") from error


# Each settings section: the domain function that saves it, with what it takes from the form
# (the admin comes last).
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
    "legal_hold": lambda form: (
        retention.set_legal_hold,
        _number(form, "report", "no_such_report"),
        one(form, "hold") == "1",
    ),
    "address": lambda form: (settings.set_base_url, one(form, "base_url")),
    "mail": lambda form: (settings.set_mail_from, one(form, "mail_from")),
    "mail_server": lambda form: (
        notifications.set_mail_server,
        one(form, "smtp_host").strip(),
        _number(form, "smtp_port", "mail_server_invalid"),
        one(form, "smtp_starttls") == "1",
        one(form, "smtp_user").strip(),
    ),
    "danger_words": lambda form: (
        settings.set_danger_words,
        _danger_words(one(form, "danger_words")),
    ),
    "checklist": lambda form: (
        settings.set_emergency_checklist,
        _checklist(one(form, "emergency_checklist")),
    ),
    "help_lines": lambda form: (
        duty_of_care.set_help_lines,
        one(form, "help_lines"),
        one(form, "urgent_to_centre") == "1",
    ),
    "school_hours": lambda form: (
        hours.set_school_hours,
        _weekdays(form),
        one(form, "open"),
        one(form, "close"),
        _breaks(one(form, "school_breaks")),
    ),
}


async def _settings_facts(request: Request) -> dict:
    return {
        **await _address_warning(request),
        "address_variable": BASE_URL_VARIABLE,
        "address_from_environment": request.app.state.settings.base_url_source == "environment",
        "values": await call_domain(request, settings.city_settings),
        "public_holidays": await call_domain(request, hours.holiday_calendar),
        "legal_holds": await call_domain(request, retention.legal_holds),
        "password_variable": notifications.PASSWORD_VARIABLE,
        "urgencies": URGENCIES,
        "danger_word_lines": danger_word_lines,
        "sample_messages": "\n".join(SAMPLE_MESSAGES),
        "draft": {},
    }


async def settings_page(request: Request) -> Response:
    staff = await _city_admin(request)
    return await _view(request, staff, "admin/settings.html", _settings_facts(request))


async def save_settings(request: Request) -> Response:
    staff = await _city_admin(request)
    section = request.path_params["section"]
    if section not in SETTING_SECTIONS:
        raise HTTPException(404, "not_found")
    form = await staff_form(request)
    try:
        fn, *args = SETTING_SECTIONS[section](form)
        await call_domain(request, fn, *args, _actor(staff))
    except (Refused, retention.RetentionError) as error:
        # A legal hold is refused only for a report that does not exist.
        reason = getattr(error, "reason", "no_such_report")
        context = {"error": reason, "section": section, "draft": dict(form)}
        facts = _settings_facts(request)
        return await _view(request, staff, "admin/settings.html", facts, context, 400)
    return RedirectResponse(f"{ADMIN}/settings?saved={section}#{section}", status_code=303)


# The admin log


def _logged_value(text: str | None):
    """A logged value as it was saved (JSON where it was not plain text), for the page to
    show in words."""
    try:
        return json.loads(text) if text else text
    except ValueError:
        return text


async def log_page(request: Request) -> Response:
    staff = await _administrator(request)

    async def facts() -> dict:
        entries = await call_domain(request, log_entries, _school_scope(staff))
        return {
            "entries": [
                (entry, _logged_value(entry.old_value), _logged_value(entry.new_value))
                for entry in entries
            ],
            "urgencies": URGENCIES,
        }

    return await _view(request, staff, "admin/log.html", facts())


routes = [
    Route(ADMIN, home),
    Route(f"{ADMIN}/schools", schools_page, methods=["GET"]),
    Route(f"{ADMIN}/schools", new_school, methods=["POST"]),
    Route(f"{ADMIN}/schools/{{school_id:id}}", school_page, methods=["GET"]),
    Route(f"{ADMIN}/schools/{{school_id:id}}", save_school, methods=["POST"]),
    Route(f"{ADMIN}/schools/{{school_id:id}}/active", school_active, methods=["POST"]),
    Route(f"{ADMIN}/schools/{{school_id:id}}/link", rotate_link, methods=["POST"]),
    Route(f"{ADMIN}/schools/{{school_id:id}}/poster", poster),
    Route(f"{ADMIN}/staff", accounts_page, methods=["GET"]),
    Route(f"{ADMIN}/staff", add_account, methods=["POST"]),
    Route(f"{ADMIN}/staff/{{staff_id:id}}", account_page, methods=["GET"]),
    Route(f"{ADMIN}/staff/{{staff_id:id}}", save_role, methods=["POST"]),
    Route(f"{ADMIN}/staff/{{staff_id:id}}/active", set_account_active, methods=["POST"]),
    Route(f"{ADMIN}/staff/{{staff_id:id}}/review", set_review, methods=["POST"]),
    Route(f"{ADMIN}/staff/{{staff_id:id}}/password", reset_account_password, methods=["POST"]),
    Route(f"{ADMIN}/staff/{{staff_id:id}}/two-factor", reset_account_two_factor, methods=["POST"]),
    Route(f"{ADMIN}/topics", topics_page),
    Route(f"{ADMIN}/topics/preview", topics_preview),
    Route(f"{ADMIN}/topics/{{topic_id:id}}", topic_page, methods=["GET"]),
    Route(f"{ADMIN}/topics/{{topic_id:id}}", save_topic, methods=["POST"]),
    Route(f"{ADMIN}/recipients/{{slug}}", save_recipient, methods=["POST"]),
    Route(f"{ADMIN}/settings", settings_page),
    Route(f"{ADMIN}/settings/danger_words/preview", danger_words_preview, methods=["POST"]),
    Route(f"{ADMIN}/settings/{{section}}", save_settings, methods=["POST"]),
    Route(f"{ADMIN}/log", log_page),
]
