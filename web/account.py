"""A staff member's own account: logging in (password, then the second factor), logging out,
changing the password and setting up two-factor."""

import asyncio

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from school_report import two_factor
from school_report.login_throttle import (
    LoginAttempt,
    begin_login_attempt,
    forget_login_failures,
    password_was_right,
)
from school_report.staff import (
    Staff,
    StaffError,
    active_staff,
    authenticate,
    change_password,
    end_session,
    must_change_password,
    start_session,
)
from web.database import call_domain
from web.forms import one, read_form
from web.qr import qr_data_uri
from web.sessions import (
    forget_login_pending,
    forget_pre_session_key,
    forget_staff,
    read_login_pending,
    write_login_pending,
    write_staff_token,
)
from web.staff import (
    UNFINISHED_LOGIN_PAGES,
    LoginRequired,
    _use_staff_language,
    current_staff,
    pre_session_form,
    pre_session_token_is_valid,
    render_pre_session,
    render_staff,
    staff_form,
)


async def login_page(request: Request) -> Response:
    _use_staff_language(request)
    return render_pre_session(request, "staff/login.html", {})


async def _attempt(request: Request, login: str, template: str, context: dict):
    """(the refusal page, the try) while this login is locked, else (None, the try, counted
    already); while many logins fail across the service, every try waits first."""
    attempt = await call_domain(request, begin_login_attempt, login)
    if attempt.locked:
        context = {**context, "error": attempt.state, "minutes": attempt.minutes_left()}
        return render_pre_session(request, template, context, status=429), attempt
    if attempt.delay:
        await asyncio.sleep(attempt.delay)
    return None, attempt


async def login(request: Request) -> Response:
    _use_staff_language(request)
    form = await read_form(request)
    if not pre_session_token_is_valid(request, form):
        # Left open past its key's life (or not this browser's): a fresh form, nothing tried.
        return render_pre_session(request, "staff/login.html", {"error": "login_expired"}, 403)
    login_name = one(form, "login")
    context = {"login": login_name}
    refused, attempt = await _attempt(request, login_name, "staff/login.html", context)
    if refused:
        return refused
    staff = await call_domain(request, authenticate, login_name, one(form, "password"))
    if staff is None:
        context = {**context, "error": "login_failed"}
        return render_pre_session(request, "staff/login.html", context, 400)
    return await _password_was_right(request, staff, attempt)


async def _password_was_right(request: Request, staff: Staff, attempt: LoginAttempt) -> Response:
    await call_domain(request, password_was_right, attempt)
    if await call_domain(request, two_factor.is_enrolled, staff.id):
        response = RedirectResponse("/staff/login/code", status_code=303)
        write_login_pending(request, response, staff.id)
        return response
    return await _finish_login(request, staff)


async def _finish_login(request: Request, staff: Staff) -> Response:
    await call_domain(request, forget_login_failures, staff.login)
    token = await call_domain(request, start_session, staff)
    response = RedirectResponse("/staff", status_code=303)
    write_staff_token(request, response, token)
    forget_login_pending(response)
    forget_pre_session_key(response)  # from here the session binds every form's token
    return response


async def _pending_staff(request: Request) -> Staff:
    """Whose password was right a moment ago; otherwise back to the start of logging in."""
    staff_id = read_login_pending(request)
    staff = staff_id is not None and await call_domain(request, active_staff, staff_id)
    if not staff:
        raise LoginRequired
    return staff


async def code_page(request: Request) -> Response:
    _use_staff_language(request)
    await _pending_staff(request)
    return render_pre_session(request, "staff/login_code.html", {})


async def check_code(request: Request) -> Response:
    _use_staff_language(request)
    staff = await _pending_staff(request)
    form = await pre_session_form(request)
    refused, _ = await _attempt(request, staff.login, "staff/login_code.html", {})
    if refused:
        return refused
    if not await call_domain(request, two_factor.verify_second_factor, staff.id, one(form, "code")):
        context = {"error": "two_factor_wrong"}
        return render_pre_session(request, "staff/login_code.html", context, 400)
    return await _finish_login(request, staff)


async def logout(request: Request) -> Response:
    await current_staff(request, login_finished=False)
    await staff_form(request)
    await call_domain(request, end_session, request.state.staff_token)
    response = RedirectResponse("/staff/login", status_code=303)
    forget_staff(response)
    return response


async def _staff_choosing_a_password(request: Request) -> Staff:
    """Where two-step login is required, it is set up first: the temporary password that
    allows setting it up must still be the account's (see `two_factor.may_enrol`)."""
    staff = await current_staff(request, login_finished=False)
    if await call_domain(request, two_factor.needs_enrolment, staff):
        raise LoginRequired(UNFINISHED_LOGIN_PAGES["two_factor"])
    return staff


async def password_page(request: Request) -> Response:
    staff = await _staff_choosing_a_password(request)
    return await _password_view(request, staff)


async def _password_view(request, staff, context=None, status=200) -> Response:
    must = await call_domain(request, must_change_password, staff.id)
    context = {"must_change": must, **(context or {})}
    return render_staff(request, staff, "staff/password.html", context, status)


async def set_password(request: Request) -> Response:
    staff = await _staff_choosing_a_password(request)
    form = await staff_form(request)
    new = one(form, "new_password")
    try:
        if new != one(form, "repeat_password"):
            raise StaffError("the two new passwords differ", "password_mismatch")
        token = await call_domain(
            request, change_password, staff, one(form, "current_password"), new
        )
    except StaffError as error:
        return await _password_view(request, staff, {"error": error.reason}, 400)
    response = RedirectResponse("/staff", status_code=303)
    write_staff_token(request, response, token)
    return response


async def _two_factor_view(request, staff, context=None, status=200) -> Response:
    enrolled = await call_domain(request, two_factor.is_enrolled, staff.id)
    context = {
        "enrolled": enrolled,
        "required": await call_domain(request, two_factor.is_required, staff),
        "may_enrol": await call_domain(request, two_factor.may_enrol, staff),
        **(context or {}),
    }
    if enrolled:
        context["codes_left"] = await call_domain(request, two_factor.recovery_codes_left, staff.id)
    elif context["may_enrol"]:
        secret = await call_domain(request, two_factor.pending_secret, staff)
        context["secret"] = secret
        context["qr_code"] = qr_data_uri(two_factor.provisioning_uri(staff, secret))
    return render_staff(request, staff, "staff/two_factor.html", context, status)


async def two_factor_page(request: Request) -> Response:
    staff = await current_staff(request, login_finished=False)
    return await _two_factor_view(request, staff)


async def enrol_two_factor(request: Request) -> Response:
    staff = await current_staff(request, login_finished=False)
    form = await staff_form(request)
    if await call_domain(request, two_factor.is_enrolled, staff.id):
        raise HTTPException(400, "bad_form")
    try:
        codes = await call_domain(request, two_factor.enrol, staff, one(form, "code"))
    except two_factor.EnrolmentRefused as refused:
        raise HTTPException(403, "two_factor_needs_admin") from refused
    if codes is None:
        return await _two_factor_view(request, staff, {"error": "two_factor_wrong"}, 400)
    return render_staff(request, staff, "staff/recovery_codes.html", {"codes": codes})


routes = [
    Route("/staff/login", login_page, methods=["GET"]),
    Route("/staff/login", login, methods=["POST"]),
    Route("/staff/login/code", code_page, methods=["GET"]),
    Route("/staff/login/code", check_code, methods=["POST"]),
    Route("/staff/logout", logout, methods=["POST"]),
    Route("/staff/password", password_page, methods=["GET"]),
    Route("/staff/password", set_password, methods=["POST"]),
    Route("/staff/two-factor", two_factor_page, methods=["GET"]),
    Route("/staff/two-factor", enrol_two_factor, methods=["POST"]),
]
