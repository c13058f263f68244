"""Staff pages: the session, the language, and a report's thread (the inbox and case work are
in `web.cases`)."""

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from school_report import cases, hand_overs, reports
from school_report.case_file import case_file
from school_report.cases import NotAllowed, send_reply
from school_report.routing import answers_report
from school_report.staff import Staff, staff_for_session
from school_report.topics import pupil_messaging
from school_report.two_factor import unfinished_login_step
from web import i18n
from web.csrf import token_for, token_is_valid
from web.database import call_domain
from web.forms import one, read_form
from web.security import served_over_https
from web.sessions import (
    new_pre_session_key,
    read_pre_session_key,
    read_staff_token,
    write_pre_session_key,
)
from web.templating import render

LANGUAGE_COOKIE = "staff_language"
# Sent by a page that refreshes itself (the inbox, every 10 s): no sign that anyone is there,
# so it does not keep the session from ending when idle.
BACKGROUND_POLL_HEADER = "x-background-poll"


class LoginRequired(Exception):
    """The request needs a live staff session, or the staff member must first finish logging in
    (change a reset password, set up two-factor); the error path sends the browser to `to`."""

    def __init__(self, to: str = "/staff/login"):
        super().__init__(to)
        self.to = to


# Where each unfinished step of logging in is done.
UNFINISHED_LOGIN_PAGES = {"password": "/staff/password", "two_factor": "/staff/two-factor"}


def _use_staff_language(request: Request) -> None:
    i18n.current_language.set(i18n.choose_language(request.cookies.get(LANGUAGE_COOKIE)))


async def current_staff(request: Request, *, login_finished: bool = True) -> Staff:
    """The logged-in staff member. Only the pages that finish a login pass
    `login_finished=False`; every other page sends them there first."""
    _use_staff_language(request)
    token = read_staff_token(request)
    activity = request.headers.get(BACKGROUND_POLL_HEADER) != "1"
    staff = token and await call_domain(request, staff_for_session, token, activity=activity)
    if not staff:
        raise LoginRequired
    request.state.staff_token = token
    if login_finished:
        step = await call_domain(request, unfinished_login_step, staff)
        if step:
            raise LoginRequired(UNFINISHED_LOGIN_PAGES[step])
    return staff


async def staff_form(request: Request) -> FormData:
    """A posted staff form, refused unless it carries this session's CSRF token."""
    form = await read_form(request)
    if not token_is_valid(request, request.state.staff_token, one(form, "csrf_token")):
        raise HTTPException(403, "csrf")
    return form


def render_staff(request: Request, staff: Staff, template: str, context: dict, status=200):
    """A staff page: the template gets the staff member and this session's CSRF token."""
    context = {
        **context,
        "staff": staff,
        "csrf_token": token_for(request, request.state.staff_token),
    }
    return render(request, template, context, status)


def _pre_session(key: str) -> str:
    """What a pre-session form's token is bound to: never a session token of ours."""
    return "pre-session:" + key


def render_pre_session(request: Request, template: str, context: dict, status=200):
    """A staff page shown before logging in (the login, the code): its forms, the language
    switch too, carry a token bound to this browser's pre-session key, set here if it has none
    (and renewed, so its life starts again)."""
    key = read_pre_session_key(request) or new_pre_session_key()
    context = {**context, "csrf_token": token_for(request, _pre_session(key))}
    response = render(request, template, context, status)
    write_pre_session_key(request, response, key)
    return response


def pre_session_token_is_valid(request: Request, form: FormData, *, or_session=False) -> bool:
    """The form carries the token of this browser's pre-session key, or (`or_session`, for
    the language switch of a logged-in page) that of its staff session."""
    key = read_pre_session_key(request)
    session = read_staff_token(request) if or_session else None
    bound_to = [binding for binding in (key and _pre_session(key), session) if binding]
    sent = one(form, "csrf_token")
    return any(token_is_valid(request, binding, sent) for binding in bound_to)


async def pre_session_form(request: Request, *, or_session=False) -> FormData:
    """A form posted before logging in, refused (403) without its pre-session token."""
    form = await read_form(request)
    if not pre_session_token_is_valid(request, form, or_session=or_session):
        raise HTTPException(403, "csrf")
    return form


async def choose_language(request: Request) -> Response:
    form = await pre_session_form(request, or_session=True)
    back_to = one(form, "next") if one(form, "next").startswith("/staff") else "/staff"
    response = RedirectResponse(back_to, status_code=303)
    language = i18n.choose_language(one(form, "language"))
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        path="/staff",
        httponly=True,
        samesite="strict",
        secure=served_over_https(request.scope, request.app.state.settings.https),
    )
    return response


async def report_or_404(request: Request, staff: Staff) -> reports.Report:
    """The report of the address, if it is in this staff member's inbox; else 404."""
    report = await call_domain(
        request, reports.report_for_staff, staff, request.path_params["report_id"]
    )
    if report is None:
        raise HTTPException(404, "not_found")
    return report


async def report_page(request: Request) -> Response:
    staff = await current_staff(request)
    report = await report_or_404(request, staff)
    # Read by those who answer: a school reading what it referred leaves it unread for the centre.
    if report.staff_unread and await call_domain(request, answers_report, staff, report.id):
        await call_domain(request, reports.mark_read, report)
    await call_domain(request, hand_overs.mark_hand_over_read, staff, report.id)
    return await report_view(request, staff, report)


async def report_view(request, staff, report, context=None, status=200) -> Response:
    """The report page: the thread, the case panel and the hand-over panel."""
    context = {
        "report": report,
        "messages": await call_domain(
            request, reports.thread, report.id, for_pupil=False, viewer=staff
        ),
        "hand_over": await call_domain(request, hand_overs.hand_over_panel, staff, report),
        "case": await call_domain(request, case_file, staff, report),
        "messaging": await call_domain(request, pupil_messaging, report.id),
        **(context or {}),
    }
    return render_staff(request, staff, "staff/report.html", context, status)


async def reply(request: Request) -> Response:
    staff = await current_staff(request)
    report = await report_or_404(request, staff)
    form = await staff_form(request)
    try:
        await call_domain(request, send_reply, staff, report, one(form, "body"))
    except reports.SubmissionError as error:
        context = {"error": error.reason, "draft": one(form, "body")}
        return await report_view(request, staff, report, context, status=400)
    except NotAllowed as refused:
        raise HTTPException(403, refused.reason) from refused
    return RedirectResponse(f"/staff/reports/{report.id}#latest", status_code=303)


async def mark_unread(request: Request) -> Response:
    staff = await current_staff(request)
    report = await report_or_404(request, staff)
    await staff_form(request)
    try:
        await call_domain(request, cases.mark_unread, staff, report)
    except NotAllowed as refused:
        raise HTTPException(403, refused.reason) from refused
    return RedirectResponse("/staff", status_code=303)


routes = [
    Route("/staff/language", choose_language, methods=["POST"]),
    Route("/staff/reports/{report_id:id}", report_page),
    Route("/staff/reports/{report_id:id}/reply", reply, methods=["POST"]),
    Route("/staff/reports/{report_id:id}/unread", mark_unread, methods=["POST"]),
]
