"""The Starlette application, built by a function from its settings."""

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from school_report import danger_languages
from school_report.code_pool import start_pool, stop_pool
from school_report.db import connect, is_healthy
from school_report.hours import city_zone
from school_report.migrations import migrate
from school_report.settings import get_setting
from web import account, admin, cases, hand_overs, notifications, pupil, staff, statistics
from web.config import Settings
from web.database import ConnectionPerThread, call_domain, limit_worker_threads
from web.logs import redact_server_logs, redacted
from web.request_body import LimitRequestBody
from web.security import SecurityHeaders, security_headers, served_over_https
from web.templating import STATIC, create_environment, is_htmx, render

log = logging.getLogger("school_report.web")


async def healthz(request: Request) -> Response:
    healthy = await call_domain(request, is_healthy)
    return PlainTextResponse("ok" if healthy else "database not answering", 200 if healthy else 503)


routes = [
    Route("/healthz", healthz),
    *pupil.routes,
    *account.routes,
    *staff.routes,
    *cases.routes,
    *admin.routes,
    *notifications.routes,
    *hand_overs.routes,
    *statistics.routes,
    Mount("/static", StaticFiles(directory=STATIC), name="static"),
]


async def error_page(request: Request, exc: Exception) -> Response:
    """The one error path: a kind page (or fragment for htmx) that says what to do next."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    reason = exc.detail if isinstance(exc, HTTPException) else "server_error"
    if status == 500:
        log.exception("unexpected error on %s %s", request.method, redacted(request.url.path))
    template = "_error.html" if is_htmx(request) else "error.html"
    response = render(request, template, {"status": status, "reason": reason}, status)
    if is_htmx(request):
        response.headers["HX-Retarget"] = "#main"
    if status == 500:
        https = served_over_https(request.scope, request.app.state.settings.https)
        response.headers.update(security_headers(request.url.path, https))
    return response


async def login_required(request: Request, exc: staff.LoginRequired) -> Response:
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": exc.to})
    return RedirectResponse(exc.to, status_code=303)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    limit_worker_threads()
    # The first pupil after a start must not wait for the danger patterns to compile.
    threading.Thread(target=danger_languages.warm_up, name="danger-warm-up", daemon=True).start()
    start_pool(app.state.code_salt, app.state.settings.code_pool)
    try:
        async with notifications.mail_sender(app):
            yield
    finally:
        stop_pool()


def create_app(settings: Settings) -> Starlette:
    redact_server_logs()
    db = connect(settings.db_path)
    migrate(db)
    zone = city_zone(db)
    code_salt = get_setting(db, "code_salt")
    db.close()
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(LimitRequestBody),
            Middleware(SecurityHeaders, https=settings.https),
            Middleware(GZipMiddleware, minimum_size=500),
        ],
        exception_handlers={
            HTTPException: error_page,
            Exception: error_page,
            staff.LoginRequired: login_required,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.connections = ConnectionPerThread(settings.db_path)
    app.state.code_salt = code_salt
    # The city's zone is read once: changing it takes a restart.
    app.state.templates = create_environment(zone)
    return app


def app_from_environment() -> Starlette:
    """The factory uvicorn calls (`--factory`)."""
    return create_app(Settings.from_environment())
