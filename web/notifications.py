"""Staff e-mail notifications: each staff member's own settings page, and the mail sender that
runs beside the app for as long as it serves."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from school_report import notifications
from web.database import call_domain
from web.forms import one
from web.staff import current_staff, render_staff, staff_form

log = logging.getLogger("school_report.mail")

# How often the sender looks for due mail: an urgent report is mailed within this time.
SEND_EVERY_SECONDS = 5.0


async def settings_page(request: Request) -> Response:
    staff = await current_staff(request)
    settings = await call_domain(request, notifications.mail_settings, staff)
    return _page(request, staff, settings, saved="saved" in request.query_params)


def _page(request, staff, settings, error=None, saved=False) -> Response:
    context = {
        "settings": settings,
        "modes": notifications.NOTIFY_MODES,
        "urgent_always": notifications.urgent_always_mailed(staff),
        "error": error,
        "saved": saved,
    }
    return render_staff(request, staff, "staff/notifications.html", context, 400 if error else 200)


async def save_settings(request: Request) -> Response:
    staff = await current_staff(request)
    form = await staff_form(request)
    email, notify = one(form, "email"), one(form, "notify")
    try:
        await call_domain(request, notifications.set_mail_settings, staff, email, notify)
    except notifications.MailSettingsRefused as error:
        return _page(request, staff, notifications.MailSettings(email, notify), error.reason)
    return RedirectResponse("/staff/notifications?saved=1", status_code=303)


async def _send_mail_forever(app: Starlette) -> None:
    """Deliver due mail every few seconds, in a worker thread with that thread's own database
    connection; an error is logged and the next round tries again."""
    settings = app.state.settings

    def send_due_mail() -> None:
        db = app.state.connections.get()
        notifications.send_due_mail(db, settings.public_address(db))

    while True:
        try:
            await run_in_threadpool(send_due_mail)
        except Exception:
            log.exception("the mail sender failed; it tries again shortly")
        await asyncio.sleep(SEND_EVERY_SECONDS)


@asynccontextmanager
async def mail_sender(app: Starlette) -> AsyncIterator[None]:
    """The app's lifespan: the mail sender runs while the app serves."""
    task = asyncio.create_task(_send_mail_forever(app))
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


routes = [
    Route("/staff/notifications", settings_page, methods=["GET"]),
    Route("/staff/notifications", save_settings, methods=["POST"]),
]
