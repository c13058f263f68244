"""Staff pages: login, the inbox of their role and school, and a report's thread."""

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from school_report import reports
from school_report.staff import Staff, authenticate, end_session, staff_for_session, start_session
from web import i18n
from web.csrf import token_for, token_is_valid
from web.database import call_domain
from web.forms import one, read_form
from web.sessions import forget_staff, read_staff_token, write_staff_token
from web.templating import is_htmx, render

LANGUAGE_COOKIE = "staff_language"


class LoginRequired(Exception):
    """The request needs a live staff session; the error path sends the browser to log in."""


def _use_staff_language(request: Request) -> None:
    i18n.current_language.set(i18n.choose_language(request.cookies.get(LANGUAGE_COOKIE)))


async def current_staff(request: Request) -> Staff:
    _use_staff_language(request)
    token = read_staff_token(request)
    staff = token and await call_domain(request, staff_for_session, token)
    if not staff:
        raise LoginRequired
    request.state.staff_token = token
    return staff


async def staff_form(request: Request) -> FormData:
    """A posted staff form, refused unless it carries this session's CSRF token."""
    form = await read_form(request)
    if not token_is_valid(request, request.state.staff_token, one(form, "csrf_token")):
        raise HTTPException(403, "csrf")
    return form


def _render(request: Request, staff: Staff, template: str, context: dict, status=200):
    context = {
        **context,
        "staff": staff,
        "csrf_token": token_for(request, request.state.staff_token),
    }
    return render(request, template, context, status)


async def login_page(request: Request) -> Response:
    _use_staff_language(request)
    return render(request, "staff/login.html", {})


async def login(request: Request) -> Response:
    _use_staff_language(request)
    form = await read_form(request)
    staff = await call_domain(request, authenticate, one(form, "login"), one(form, "password"))
    if staff is None:
        context = {"error": "login_failed", "login": one(form, "login")}
        return render(request, "staff/login.html", context, status=400)
    token = await call_domain(request, start_session, staff)
    response = RedirectResponse("/staff", status_code=303)
    write_staff_token(request, response, token)
    return response


async def logout(request: Request) -> Response:
    await current_staff(request)
    await staff_form(request)
    await call_domain(request, end_session, request.state.staff_token)
    response = RedirectResponse("/staff/login", status_code=303)
    forget_staff(response)
    return response


async def choose_language(request: Request) -> Response:
    form = await read_form(request)
    back_to = one(form, "next") if one(form, "next").startswith("/staff") else "/staff"
    response = RedirectResponse(back_to, status_code=303)
    language = i18n.choose_language(one(form, "language"))
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        path="/staff",
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.https,
    )
    return response


async def inbox(request: Request) -> Response:
    staff = await current_staff(request)
    context = {
        "reports": await call_domain(request, reports.inbox, staff),
        "unread": await call_domain(request, reports.unread_count, staff),
    }
    template = "staff/_inbox_rows.html" if is_htmx(request) else "staff/inbox.html"
    return _render(request, staff, template, context)


async def _report(request: Request, staff: Staff) -> reports.Report:
    report = await call_domain(
        request, reports.report_for_staff, staff, request.path_params["report_id"]
    )
    if report is None:
        raise HTTPException(404, "not_found")
    return report


async def report_page(request: Request) -> Response:
    staff = await current_staff(request)
    report = await _report(request, staff)
    if report.staff_unread:
        await call_domain(request, reports.mark_read, report)
    return await _report_view(request, staff, report)


async def _report_view(request, staff, report, context=None, status=200) -> Response:
    context = {
        "report": report,
        "messages": await call_domain(request, reports.thread, report.id, for_pupil=False),
        **(context or {}),
    }
    return _render(request, staff, "staff/report.html", context, status)


async def reply(request: Request) -> Response:
    staff = await current_staff(request)
    report = await _report(request, staff)
    form = await staff_form(request)
    try:
        await call_domain(request, reports.add_staff_reply, staff, report, one(form, "body"))
    except reports.SubmissionError as error:
        context = {"error": error.reason, "draft": one(form, "body")}
        return await _report_view(request, staff, report, context, status=400)
    return RedirectResponse(f"/staff/reports/{report.id}#latest", status_code=303)


async def mark_unread(request: Request) -> Response:
    staff = await current_staff(request)
    report = await _report(request, staff)
    await staff_form(request)
    await call_domain(request, reports.mark_read, report, read=False)
    return RedirectResponse("/staff", status_code=303)


routes = [
    Route("/staff/login", login_page, methods=["GET"]),
    Route("/staff/login", login, methods=["POST"]),
    Route("/staff/logout", logout, methods=["POST"]),
    Route("/staff/language", choose_language, methods=["POST"]),
    Route("/staff", inbox),
    Route("/staff/reports/{report_id:int}", report_page),
    Route("/staff/reports/{report_id:int}/reply", reply, methods=["POST"]),
    Route("/staff/reports/{report_id:int}/unread", mark_unread, methods=["POST"]),
]
