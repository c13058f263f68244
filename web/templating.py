"""Templates: one Jinja environment, one base page, partials returned alone to htmx."""

import hashlib
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from school_report.clock import utc_now
from school_report.written_in import written_in
from web import i18n, when
from web.names import name_of
from web.pictures import picture_file

TEMPLATES = Path(__file__).parent / "templates"
# An installed wheel carries the static files inside this package (setup.py puts them there);
# the repository keeps them in static/ beside it.
STATIC = next(
    folder
    for folder in (Path(__file__).parent / "static", Path(__file__).parent.parent / "static")
    if folder.is_dir()
)


@cache
def static_url(name: str) -> str:
    """The URL of a static file with its content hash, so it can be cached for a year."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={digest}"


def _picture_url(icon: str) -> str | None:
    """The drawn picture for an emoji (web.pictures), or None to show the emoji itself."""
    name = picture_file(icon)
    return static_url(name) if name else None


def _as_datetime(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else _parsed(value)


@lru_cache(maxsize=4096)
def _parsed(text: str) -> datetime:
    """Stored times are read again at every refresh of a page: each is parsed once."""
    return datetime.fromisoformat(text)


def _age(value: str) -> str:
    """How long ago, in the largest whole unit: what staff need to see who has waited."""
    minutes = int((utc_now() - _as_datetime(value)).total_seconds() // 60)
    if minutes < 60:
        return i18n.gettext("%(num)d min") % {"num": minutes}
    if minutes < 48 * 60:
        return i18n.gettext("%(num)d h") % {"num": minutes // 60}
    return i18n.gettext("%(num)d days") % {"num": minutes // (24 * 60)}


def create_environment(zone: ZoneInfo) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates ship with the code: no file checks at every include of every page.
        auto_reload=False,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    env.globals["static_url"] = static_url
    env.globals["picture_url"] = _picture_url
    env.globals["name_of"] = name_of
    env.globals["ruby"] = lambda text: i18n.with_ruby(text, i18n.current_reading.get())
    # Staff switch between Japanese and English; pupils between every pupil language.
    env.globals["language_names"] = {
        code: i18n.LANGUAGE_NAMES[code] for code in i18n.STAFF_LANGUAGES
    }
    env.globals["pupil_language_names"] = i18n.LANGUAGE_NAMES
    env.filters["local_datetime"] = lambda v: (
        _as_datetime(v).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    )
    env.filters["local_date"] = lambda v: _as_datetime(v).astimezone(zone).strftime("%Y-%m-%d")
    # For pupils: 「12月7日（月）の 10時ごろ」, "Monday, December 7, at about 10:00 AM".
    env.filters["in_words"] = lambda v: when.in_words(_as_datetime(v).astimezone(zone))
    env.filters["age"] = _age
    # For pupils, a thread message's time: 「きょう 1時8分」, "yesterday, 9:30 PM".
    env.filters["said_at"] = lambda v: when.said_at(
        _as_datetime(v).astimezone(zone), utc_now().astimezone(zone)
    )
    # A thread message's language (its `lang`), and the voice that reads it aloud.
    env.filters["written_in"] = written_in
    env.globals["speech_tags"] = i18n.SPEECH_TAGS
    return env


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    env: Environment = request.app.state.templates
    body = env.get_template(template).render(
        request=request,
        language=i18n.current_language.get(),
        **(context or {}),
    )
    response = HTMLResponse(body, status_code=status)
    response.headers["Vary"] = "HX-Request"
    return response
