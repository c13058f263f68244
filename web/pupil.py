"""The pupil's pages. The whole flow lives at one address, the school's entry link: each step
is posted there and swapped in, so a tablet's history shows one neutral entry and no topic.

A form posted without htmx (no JavaScript, or the language and reading buttons, which reload
the whole page) is answered with a redirect to the same address, and the step is rebuilt from
the pupil's session on the server (Post/Redirect/Get): the browser's history then holds no
posted form at all, so Back, reload or "resubmit" after quick exit brings nothing back, and no
return code is ever in a form body the history keeps."""

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from school_report import duty_of_care, hand_overs, reports
from school_report.clock import utc_now
from school_report.codes import ReturnCode
from school_report.hours import centre_is_open, next_centre_opening
from school_report.pupil_sessions import (
    end_pupil_session,
    keep_step,
    kept_step,
    live_pupil_session,
    open_thread_for,
    pupil_session_report,
    sent_code,
    sent_report,
)
from school_report.routing import RouteRefused, centre_answers, check_route, recipient_choices
from school_report.schools import School, school_for_entry_token
from school_report.topics import active_topic, active_topics, pupil_messaging
from web import i18n
from web.database import call_domain
from web.forms import one, one_int, read_form
from web.sessions import PupilState, forget_pupil, read_pupil_state, write_pupil_state
from web.templating import is_htmx, render

SLOW_DOWN_SECONDS = 2
# The code the "for example" hint shows, in each language's words.
EXAMPLE_CODE = ReturnCode(((1, 27), (41, 58), (87, 3)))
# A field people never see (pupil_form adds it, hidden); a script that fills every field does.
HONEYPOT = "extra_note"

Step = Callable[[Request, School, PupilState, FormData], Awaitable[tuple[str, dict[str, Any]]]]


async def _school(request: Request) -> School:
    school = await call_domain(request, school_for_entry_token, request.path_params["token"])
    if school is None:
        raise HTTPException(404, "not_set_up")
    return school


def _pupil_state(request: Request, school: School) -> PupilState:
    """The pupil's state at this school (fresh if they come from another one), with their
    language and reading level in force for this request."""
    state = read_pupil_state(request)
    if state.school_id != school.id:
        state = PupilState(school_id=school.id)
    _use_language(school, state)
    return state


def _use_language(school: School, state: PupilState) -> None:
    i18n.current_language.set(state.language)
    i18n.current_reading.set(i18n.reading_for(state.language, state.reading, school.reading))


async def _page(
    request: Request, school: School, state: PupilState, step: str, context: dict, status=200
) -> Response:
    """The step as a whole page, or alone for htmx; the pupil's idle clock restarts. Every
    page carries the numbers that answer now, behind its "help now" link."""
    context = {
        "help_lines": await call_domain(request, duty_of_care.help_lines),
        **context,
        "school": school,
        "step": f"pupil/_{step}.html",
        "reading": i18n.current_reading.get(),
        "speech_tag": i18n.SPEECH_TAGS[state.language],
        "example_code": EXAMPLE_CODE.display(state.language),
    }
    template = context["step"] if is_htmx(request) else "pupil/page.html"
    response = render(request, template, context, status)
    write_pupil_state(request, response, state)
    return response


# The query of the address a posted step redirects to: show the session's step, not the start.
AGAIN_QUERY = "again"


async def entry(request: Request) -> Response:
    """The start; after a posted step (and on reloading it, or Back to it), the step the
    pupil's session is on, while it lasts: after quick exit or idle, the start."""
    school = await _school(request)
    state = _pupil_state(request, school)
    wanted = AGAIN_QUERY in request.query_params
    kept = wanted and await call_domain(request, kept_step, state.handle)
    if not kept:
        return await _page(request, school, state, "start", {})
    again = AGAIN.get(kept["name"], show_start)
    name, context = await again(request, school, state, FormData(kept["form"]))
    return await _page(request, school, state, name, {**context, **kept["shown"]})


async def step(request: Request) -> Response:
    school = await _school(request)
    form = await read_form(request)
    state = _pupil_state(request, school)
    # The header's language and reading buttons send the step's own form (see pupil/_form.html).
    is_switch = "language" in form or "reading" in form
    handler = switch if is_switch else STEPS.get(one(form, "step"))
    if (handler is None and one(form, "step") != "still_here") or one(form, HONEYPOT):
        raise HTTPException(400, "bad_form")
    state.handle = await call_domain(request, live_pupil_session, state.handle, school.id)
    if one(form, "step") == "still_here":
        return _still_here(request, state)
    status = 200
    try:
        name, context = await handler(request, school, state, form)
    except reports.SubmissionError as error:
        name, context = await _redo(request, school, state, form, error.reason)
        status = 400
    kept = _step_to_keep(name, form, context)
    await call_domain(request, keep_step, state.handle, kept, shows_code=name == "sent")
    if not is_htmx(request):
        response = RedirectResponse(f"{request.url.path}?{AGAIN_QUERY}", status_code=303)
        write_pupil_state(request, response, state)
        return response
    return await _page(request, school, state, name, context, status)


def _still_here(request: Request, state: PupilState) -> Response:
    """The pupil is still here (pupil.js tells, as they type, scroll or answer "still using
    it?"): the idle clocks of their cookie and of their session's handle restart."""
    response = Response(status_code=204)
    write_pupil_state(request, response, state)
    return response


# The fields a step is shown again from (`AGAIN`), kept in the session; never a return code.
KEPT_FIELDS = ("topic", "recipient", "grade", "class_name", "pupil_name", "submission_key")
KEPT_WORDS = ("body", "pending", "keep_from_school")
SHOWN_AGAIN = ("error", "written", "pending")


def _step_to_keep(name: str, form: FormData, context: dict[str, Any]) -> dict[str, Any]:
    """The step just shown, as the session keeps it: its name, the fields that show it again
    and what it said (an error, "sent"); what the pupil is writing only until it is sent."""
    fields = KEPT_FIELDS + (() if context.get("written") or name == "sent" else KEPT_WORDS)
    kept = {field: one(form, field) for field in fields if one(form, field)}
    shown = {key: context[key] for key in SHOWN_AGAIN if context.get(key)}
    return {"name": name, "form": kept, "shown": shown}


async def _redo(request: Request, school: School, state: PupilState, form: FormData, reason: str):
    """The step to show again, with the pupil's words kept, when what they sent was refused."""
    if one(form, "step") == "send" and reason == "already_sent":
        code = await call_domain(request, sent_code, state.handle, one(form, "submission_key"))
        if code:  # sent, but the answer was lost (a crash, a dropped line): the same words
            topic, recipient = await _route(request, form)
            return "sent", _sent_context(code, state, topic, recipient)
    if one(form, "step") == "write":
        report_id = await _opened_report(request, state)
        name, context = await _thread_context(request, report_id)
        return name, {**context, "error": reason, "draft": one(form, "body")}
    if one(form, "step") in {"message", "send"}:
        _, context = await _message_form(request, form)
        return "message", {**context, "error": reason}
    return "start", {"error": reason}


async def show_start(request, school, state, form):
    return "start", {}


async def switch(request, school, state, form):
    """A new language or reading level: the pupil stays on the step they were on, with what
    they had typed, now in the new words."""
    if "language" in form:
        state.language = i18n.choose_language(one(form, "language"), i18n.PUPIL_LANGUAGES)
    if one(form, "reading") in i18n.READINGS:
        state.reading = one(form, "reading")
    _use_language(school, state)
    return await AGAIN.get(one(form, "here") or "", show_start)(request, school, state, form)


async def show_topics(request, school, state, form):
    return "topics", {"topics": await call_domain(request, active_topics)}


async def choose_topic(request, school, state, form):
    topic = await call_domain(request, active_topic, one_int(form, "topic"))
    if topic is None:
        raise HTTPException(400, "bad_form")
    choices = await call_domain(request, recipient_choices, topic)
    offered = [choice.slug for choice in choices]
    chosen = one(form, "recipient") if one(form, "recipient") in offered else offered[0]
    return "recipient", {"topic": topic, "choices": choices, "chosen": chosen}


async def _route(request: Request, form: FormData):
    try:
        return await call_domain(
            request, check_route, one_int(form, "topic"), one(form, "recipient")
        )
    except RouteRefused as error:
        raise HTTPException(400, "bad_form") from error


async def _message_form(request: Request, form: FormData):
    topic, recipient = await _route(request, form)
    context = {
        "topic": topic,
        "recipient": recipient,
        "draft": {name: one(form, name) for name in ("body", "grade", "class_name", "pupil_name")},
        "submission_key": one(form, "submission_key") or secrets.token_urlsafe(16),
        "centre_opens": await _centre_opens(request) if recipient.slug == "centre" else None,
    }
    return "message", context


async def _centre_opens(request: Request, messages=()) -> datetime | None:
    """When the centre next opens, while it is closed (None while it is open, and while the
    newest message is a reply the centre wrote since it closed: it is not closed to them)."""
    now = utc_now()
    if await call_domain(request, centre_is_open, now):
        return None
    opens = await call_domain(request, next_centre_opening, now)
    if messages and messages[-1].staff_role == "centre":
        written = datetime.fromisoformat(messages[-1].created_at)
        if await call_domain(request, next_centre_opening, written) == opens:
            return None
    return opens


async def choose_recipient(request, school, state, form):
    return await _message_form(request, form)


async def review_message(request, school, state, form):
    _, context = await _message_form(request, form)
    reports.clean_report_fields(**context["draft"])
    return "confirm", context


async def send_report(request, school, state, form):
    topic, recipient = await _route(request, form)
    if not one(form, "submission_key"):  # every form carries one; without it replays pass
        raise HTTPException(400, "bad_form")
    code = await call_domain(
        request,
        reports.submit_report,
        school,
        topic.id,
        recipient.slug,
        one(form, "body"),
        submission_key=one(form, "submission_key"),
        grade=one(form, "grade"),
        class_name=one(form, "class_name"),
        pupil_name=one(form, "pupil_name"),
        language=state.language,
        pupil_handle=state.handle,
    )
    report_id = await call_domain(
        request, duty_of_care.report_by_submission_key, one(form, "submission_key")
    )
    care = await call_domain(request, duty_of_care.after_pupil_wrote, report_id)
    return "sent", _sent_context(code, state, topic, recipient, care)


def _sent_context(
    code: ReturnCode, state: PupilState, topic, recipient, care=None, **more
) -> dict[str, Any]:
    words = code.words(state.language)
    return {"code": words, "recipient": recipient, "topic": topic, "care": care, **more}


async def show_sent(request, school, state, form):
    """The secret words again (a language switch, a reload), in the language's words: only to
    the session that sent the report, from the server, never from a form."""
    code = await call_domain(request, sent_code, state.handle)
    if code is None:
        return await show_start(request, school, state, form)
    topic, recipient = await _route(request, form)
    return "sent", _sent_context(code, state, topic, recipient, await _care_of_sent(request, state))


async def _care_of_sent(request: Request, state: PupilState):
    report_id = await call_domain(request, sent_report, state.handle)
    report = report_id and await call_domain(request, reports.pupil_report, report_id)
    return report and await call_domain(request, duty_of_care.care_for, report)


async def tell_centre(request, school, state, form):
    """The pupil's one tap: tell the centre too, of the report this session has just sent (on
    the sent page) or of the thread its code opened. The session proves whose report it is."""
    from_sent = one(form, "here") == "sent"
    handle = state.handle
    report_id = await call_domain(
        request, sent_report if from_sent else pupil_session_report, handle
    )
    if report_id is None:
        return "enter_code", {"error": "session_ended"}
    await call_domain(request, duty_of_care.pupil_tells_centre, report_id)
    if not from_sent:
        name, context = await _thread_context(request, report_id)
        return name, {**context, "centre_told_now": True}
    topic, recipient = await _route(request, form)
    code = await call_domain(request, sent_code, handle)
    care = await _care_of_sent(request, state)
    return "sent", _sent_context(code, state, topic, recipient, care, centre_told_now=True)


async def show_code_form(request, school, state, form):
    return "enter_code", {"pending": one(form, "pending")}


async def open_thread(request, school, state, form):
    tried = await call_domain(request, reports.try_return_code, school, one(form, "code"))
    if tried.attempts == "refused":
        return "enter_code", {"error": "code_refused"}
    if tried.report_id is None:
        if tried.attempts == "slow":
            await asyncio.sleep(SLOW_DOWN_SECONDS)
        return "enter_code", {
            "error": "code_wrong",
            "pending": one(form, "pending"),
            "typed_code": one(form, "code"),
        }
    await call_domain(request, open_thread_for, state.handle, tried.report_id)
    if one(form, "pending"):
        # What the pupil wrote before their session ran out is sent now, not lost.
        return await write_message(request, school, state, form, one(form, "pending"))
    return await _thread_context(request, tried.report_id)


async def _opened_report(request: Request, state: PupilState) -> int | None:
    """The report whose thread the pupil's code opened, while their session lasts."""
    return await call_domain(request, pupil_session_report, state.handle)


async def _thread_context(request: Request, report_id: int | None):
    report = report_id and await call_domain(request, reports.pupil_report, report_id)
    if not report:
        return "enter_code", {"error": "session_ended"}
    centre = await call_domain(request, centre_answers, report.id)
    messages = await call_domain(request, reports.thread, report.id, for_pupil=True)
    return "thread", {
        "report": report,
        "care": await call_domain(request, duty_of_care.care_for, report),
        "messages": messages,
        "may_write": await call_domain(request, reports.pupil_may_write, report),
        "messaging": await call_domain(request, pupil_messaging, report.id),
        "hand_overs": await call_domain(request, hand_overs.pupil_notices, report.id),
        "may_keep_from_school": centre,
        "centre_opens": await _centre_opens(request, messages) if centre else None,
    }


async def show_thread(request, school, state, form):
    """The thread again after a language switch, with what the pupil was writing."""
    name, context = await _thread_context(request, await _opened_report(request, state))
    kept = {"draft": one(form, "body"), "pending": one(form, "body")}
    return name, {**context, **kept, "keep_from_school": one(form, "keep_from_school") == "1"}


async def write_message(request, school, state, form, body: str | None = None):
    body = one(form, "body") if body is None else body
    report_id = await _opened_report(request, state)
    report = report_id and await call_domain(request, reports.pupil_report, report_id)
    if not report or report.school_id != school.id:
        return "enter_code", {"error": "session_ended", "pending": body}
    keep = one(form, "keep_from_school") == "1"
    await call_domain(request, reports.add_pupil_message, report, body, keep_from_school=keep)
    await call_domain(request, duty_of_care.after_pupil_wrote, report.id)
    name, context = await _thread_context(request, report.id)
    return name, {**context, "written": True}


STEPS: dict[str, Step] = {
    "start": show_start,
    "language": switch,
    "reading": switch,
    "topics": show_topics,
    "topic": choose_topic,
    "recipient": choose_recipient,
    "message": review_message,
    "edit": choose_recipient,
    "send": send_report,
    "code": show_code_form,
    "open": open_thread,
    "write": write_message,
    "tell_centre": tell_centre,
}


# The step a pupil was on (its form's `here`), shown again after a language or reading switch.
AGAIN: dict[str, Step] = {
    "start": show_start,
    "topics": show_topics,
    "recipient": choose_topic,
    "message": choose_recipient,
    "confirm": review_message,
    "sent": show_sent,
    "enter_code": show_code_form,
    "thread": show_thread,
}


async def quick_exit(request: Request) -> Response:
    """End the pupil's session, on the server too (a copy of the cookie opens nothing after),
    and land on a neutral page. Every page in the tablet's history is a GET of the entry link
    rebuilt from that session, so Back shows the start (pupil.js also replaces the entry)."""
    await call_domain(request, end_pupil_session, read_pupil_state(request).handle)
    response = RedirectResponse("/", status_code=303)
    forget_pupil(response)
    return response


async def neutral_page(request: Request) -> Response:
    i18n.current_language.set(i18n.choose_language(request.query_params.get("lang")))
    return render(request, "neutral.html", {"today": utc_now()})


routes = [
    Route("/", neutral_page),
    Route("/exit", quick_exit),
    Route("/p/{token}", entry, methods=["GET"]),
    Route("/p/{token}", step, methods=["POST"]),
]
