"""A staff member's own account: logging in (password, then the second factor), logging out,
changing the password and setting up two-factor."""

import asyncio

import segno
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from school_report import two_factor
from school_report.login_throttle import (
    SLOW_DOWN_SECONDS,
    forget_login_failures,
    login_throttle,
    record_login_failure,
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
from web.sessions import (
    forget_login_pending,
    forget_staff,
    read_login_pending,
    write_login_pending,
    write_staff_token,
)
from web.staff import LoginRequired, _render, _use_staff_language, current_staff, staff_form
from web.templating import render


async def login_page(request: Request) -> Response:
    _use_staff_language(request)
    return render(request, "staff/login.html", {})


async def _throttled(request: Request, login: str, template: str, context: dict):
    """The refusal page while this login (or the whole service) is locked, else None; under
    a password-spraying attack every attempt is slowed first."""
    throttle = await call_domain(request, login_throttle, login)
    if throttle.locked:
        context = {**context, "error": throttle.state, "minutes": throttle.minutes_left()}
        return render(request, template, context, status=429)
    if throttle.state == "slow":
        await asyncio.sleep(SLOW_DOWN_SECONDS)
    return None


async def login(request: Request) -> Response:
    _use_staff_language(request)
    form = await read_form(request)
    login_name = one(form, "login")
    context = {"login": login_name}
    if refused := await _throttled(request, login_name, "staff/login.html", context):
        return refused
    staff = await call_domain(request, authenticate, login_name, one(form, "password"))
    if staff is None:
        await call_domain(request, record_login_failure, login_name)
        return render(request, "staff/login.html", {**context, "error": "login_failed"}, 400)
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
    return render(request, "staff/login_code.html", {})


async def check_code(request: Request) -> Response:
    _use_staff_language(request)
    staff = await _pending_staff(request)
    form = await read_form(request)
    if refused := await _throttled(request, staff.login, "staff/login_code.html", {}):
        return refused
    if not await call_domain(request, two_factor.verify_second_factor, staff.id, one(form, "code")):
        await call_domain(request, record_login_failure, staff.login)
        return render(request, "staff/login_code.html", {"error": "two_factor_wrong"}, 400)
    return await _finish_login(request, staff)


async def logout(request: Request) -> Response:
    await current_staff(request, login_finished=False)
    await staff_form(request)
    await call_domain(request, end_session, request.state.staff_token)
    response = RedirectResponse("/staff/login", status_code=303)
    forget_staff(response)
    return response


async def password_page(request: Request) -> Response:
    staff = await current_staff(request, login_finished=False)
    return await _password_view(request, staff)


async def _password_view(request, staff, context=None, status=200) -> Response:
    must = await call_domain(request, must_change_password, staff.id)
    context = {"must_change": must, **(context or {})}
    return _render(request, staff, "staff/password.html", context, status)


async def set_password(request: Request) -> Response:
    staff = await current_staff(request, login_finished=False)
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


def _qr_code(uri: str) -> str:
    """The enrolment QR code as a data: URI, which the Content-Security-Policy allows as an
    image (an inline SVG element would need inline styles)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


async def _two_factor_view(request, staff, context=None, status=200) -> Response:
    enrolled = await call_domain(request, two_factor.is_enrolled, staff.id)
    context = {
        "enrolled": enrolled,
        "required": await call_domain(request, two_factor.is_required, staff),
        **(context or {}),
    }
    if enrolled:
        context["codes_left"] = await call_domain(request, two_factor.recovery_codes_left, staff.id)
    else:
        secret = await call_domain(request, two_factor.pending_secret, staff)
        context["secret"] = secret
        context["qr_code"] = _qr_code(two_factor.provisioning_uri(staff, secret))
    return _render(request, staff, "staff/two_factor.html", context, status)


async def two_factor_page(request: Request) -> Response:
    staff = await current_staff(request, login_finished=False)
    return await _two_factor_view(request, staff)


async def enrol_two_factor(request: Request) -> Response:
    staff = await current_staff(request, login_finished=False)
    form = await staff_form(request)
    if await call_domain(request, two_factor.is_enrolled, staff.id):
        raise HTTPException(400, "bad_form")
    codes = await call_domain(request, two_factor.confirm_enrolment, staff, one(form, "code"))
    if codes is None:
        return await _two_factor_view(request, staff, {"error": "two_factor_wrong"}, 400)
    return _render(request, staff, "staff/recovery_codes.html", {"codes": codes})


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
