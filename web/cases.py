"""Case work in the staff pages: the inbox (for the centre, the city-wide triage queue), the
case panel beside a report, the watch-case list, the coordination log and the weekly review."""

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from starlette.datastructures import FormData, QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from school_report import agency_notifications, case_review, cases, triage
from school_report.case_file import case_file
from school_report.hours import city_zone
from school_report.migrations import STATUSES
from school_report.reports import Report, SubmissionError
from school_report.staff import Staff
from school_report.statistics_export import as_text
from web import i18n
from web.database import call_domain
from web.forms import one, whole_number
from web.names import name_of
from web.staff import current_staff, render_staff, report_or_404, report_view, staff_form
from web.templating import is_htmx

NO_INBOX_ROLES = ("admin", "school_admin")
# Deeper than this nobody pages by hand; a filter finds it sooner.
MAX_PAGE = 1000


def _page_number(query: QueryParams) -> int:
    return min(whole_number(query.get("page", "")) or 0, MAX_PAGE)


def _pages(request: Request, queue: triage.QueuePage) -> dict[str, str | None]:
    """Addresses of the previous and next page of a queue, its filters kept."""

    def address(page: int) -> str:
        query = {**request.query_params, "page": str(page)}
        return f"{request.scope['path']}?{urlencode(query)}"

    return {
        "previous": address(queue.page - 1) if queue.page else None,
        "next": address(queue.page + 1) if queue.more else None,
    }


def queue_filter(query: QueryParams, staff: Staff) -> triage.QueueFilter:
    """The filters in the address; school staff may only choose status and assignee."""
    status = query.get("status") or "open"
    assignee = query.get("assignee", "")
    if status not in (*STATUSES, "open", "all"):
        raise HTTPException(400, "bad_form")
    if assignee not in ("", "me", "none"):
        assignee = str(whole_number(assignee))
    filters = triage.QueueFilter(
        school_id=whole_number(query.get("school", "")),
        topic_id=whole_number(query.get("topic", "")),
        status=status,
        assignee=assignee,
        watch=query.get("watch") == "1",
        page=_page_number(query),
    )
    if filters.centre_only and staff.role != "centre":
        raise HTTPException(403, "centre_only")
    return filters


async def inbox(request: Request) -> Response:
    staff = await current_staff(request)
    if staff.role in NO_INBOX_ROLES:  # they have no inbox: their work is the admin pages
        return RedirectResponse("/staff/admin", status_code=303)
    filters = queue_filter(request.query_params, staff)
    page = await call_domain(
        request, triage.inbox, staff, filters, with_colleagues=not is_htmx(request)
    )
    context = {
        "filters": filters,
        "query": str(request.query_params),
        "queue": page.queue,
        "pages": _pages(request, page.queue),
        "counts": page.counts,
        "unread": page.unread,
        "pending": page.pending,
        "colleagues": page.colleagues,
    }
    template = "staff/_inbox_rows.html" if is_htmx(request) else "staff/inbox.html"
    return render_staff(request, staff, template, context)


async def _centre_staff(request: Request) -> Staff:
    staff = await current_staff(request)
    if staff.role != "centre":
        raise HTTPException(403, "centre_only")
    return staff


async def watch_list(request: Request) -> Response:
    staff = await _centre_staff(request)
    filters = triage.QueueFilter(watch=True, page=_page_number(request.query_params))
    queue = await call_domain(request, triage.queue, staff, filters)
    context = {"queue": queue, "pages": _pages(request, queue)}
    return render_staff(request, staff, "staff/watch.html", context)


async def coordination_log(request: Request) -> Response:
    staff = await _centre_staff(request)
    entries = await call_domain(request, cases.coordination_log, staff)
    return render_staff(request, staff, "staff/coordination.html", {"entries": entries})


# The case panel beside a report

Action = Callable[[Request, Staff, Report, FormData], Awaitable[None]]


async def _urgency(request, staff, report, form) -> None:
    if one(form, "confirm"):
        await call_domain(request, triage.confirm_urgency, staff, report)
    else:
        urgency, reason = one(form, "urgency"), one(form, "urgency_reason")
        await call_domain(request, triage.set_urgency, staff, report, urgency, reason)


async def _checklist(request, staff, report, form) -> None:
    keys = {str(key) for key in form.getlist("item")}
    await call_domain(request, triage.tick_checklist, staff, report, keys)


async def _headline(request, staff, report, form) -> None:
    await call_domain(request, cases.set_headline, staff, report, one(form, "headline"))


async def _status(request, staff, report, form) -> None:
    outcome = one(form, "outcome") or None
    await call_domain(request, cases.set_status, staff, report, one(form, "status"), outcome)


async def _reopen(request, staff, report, form) -> None:
    await call_domain(request, cases.reopen, staff, report)


async def _assign(request, staff, report, form) -> None:
    chosen = one(form, "assignee")
    assignee = staff.id if chosen == "me" else whole_number(chosen)
    await call_domain(request, cases.assign, staff, report, assignee)


async def _note(request, staff, report, form) -> None:
    await call_domain(request, cases.add_note, staff, report, one(form, "body"))


async def _watch(request, staff, report, form) -> None:
    watch = one(form, "watch") == "1"
    await call_domain(request, cases.set_watch, staff, report, watch, one(form, "reason"))


async def _local_time(request: Request, text: str) -> datetime:
    """A `datetime-local` field, read in the city's zone; empty means now."""
    if not text:
        return datetime.now(UTC)
    try:
        local = datetime.fromisoformat(text)
    except ValueError as error:
        raise SubmissionError("bad_date") from error
    return local.replace(tzinfo=await call_domain(request, city_zone))


async def _coordination(request, staff, report, form) -> None:
    await call_domain(
        request,
        cases.log_coordination,
        staff,
        report,
        agency=one(form, "agency"),
        contact_person=one(form, "contact_person"),
        summary=one(form, "summary"),
        pupil_consent=one(form, "pupil_consent"),
        abuse_notification=False,  # a 通告 is recorded as one, with its 48-hour clock
        contacted_at=await _local_time(request, one(form, "contacted_at")),
    )


async def _notify_agency(request, staff, report, form) -> None:
    await call_domain(
        request,
        agency_notifications.notify_agency,
        staff,
        report,
        agency=one(form, "agency"),
        contact_person=one(form, "contact_person"),
        summary=one(form, "summary"),
        notified_at=await _local_time(request, one(form, "notified_at")),
    )


async def _agency_answer(request, staff, report, form) -> None:
    notification_id = whole_number(one(form, "notification_id"))
    if notification_id is None:
        raise HTTPException(400, "bad_form")
    await call_domain(
        request,
        agency_notifications.record_agency_answer,
        staff,
        report,
        notification_id,
        answer=one(form, "answer"),
        safety_confirmed=one(form, "safety_confirmed") == "1",
        answered_at=await _local_time(request, one(form, "answered_at")),
    )


async def _approve(request, staff, report, form) -> None:
    message_id = whole_number(one(form, "message_id"))
    if message_id is None:
        raise HTTPException(400, "bad_form")
    await call_domain(request, cases.approve_reply, staff, report, message_id, one(form, "body"))


async def _return_reply(request, staff, report, form) -> None:
    message_id = whole_number(one(form, "message_id"))
    if message_id is None:
        raise HTTPException(400, "bad_form")
    await call_domain(request, cases.return_reply, staff, report, message_id, one(form, "comment"))


async def _advice(request, staff, report, form) -> None:
    try:
        meeting = date.fromisoformat(one(form, "meeting")) if one(form, "meeting") else None
    except ValueError as error:
        raise SubmissionError("bad_date") from error
    meeting = meeting or await _today(request)
    await call_domain(request, cases.record_advice, staff, report, one(form, "advice"), meeting)


ACTIONS: dict[str, Action] = {
    "urgency": _urgency,
    "checklist": _checklist,
    "headline": _headline,
    "status": _status,
    "reopen": _reopen,
    "assign": _assign,
    "note": _note,
    "watch": _watch,
    "coordination": _coordination,
    "notify": _notify_agency,
    "agency_answer": _agency_answer,
    "approve": _approve,
    "return_reply": _return_reply,
    "advice": _advice,
}


async def case_action(request: Request) -> Response:
    """One change to a case. htmx gets the case panel back; a plain form, the report page."""
    staff = await current_staff(request)
    report = await report_or_404(request, staff)
    action = ACTIONS.get(request.path_params["action"])
    if action is None:
        raise HTTPException(404, "not_found")
    form = await staff_form(request)
    try:
        await action(request, staff, report, form)
    except cases.NotAllowed as refused:
        raise HTTPException(403, refused.reason) from refused
    except SubmissionError as error:
        context = {"case_error": error.reason, "error_in": request.path_params["action"]}
        context["drafts"] = {name: one(form, name) for name in form if name != "csrf_token"}
        return await _case_view(request, staff, report, context, status=400)
    in_thread = request.path_params["action"] in ("approve", "return_reply")
    if is_htmx(request) and not in_thread:
        return await _case_view(request, staff, await report_or_404(request, staff))
    anchor = "latest" if in_thread else "case-work"
    return RedirectResponse(f"/staff/reports/{report.id}#{anchor}", status_code=303)


async def _case_view(request, staff, report, context=None, status=200) -> Response:
    if is_htmx(request) and request.path_params["action"] not in ("approve", "return_reply"):
        context = {
            "report": report,
            "case": await call_domain(request, case_file, staff, report),
            **(context or {}),
        }
        return render_staff(request, staff, "staff/_case_work.html", context, status)
    return await report_view(request, staff, report, context, status)


# The weekly case review (支援方針会議)


async def _week(request: Request) -> date:
    """The Monday of the week asked for (?week=YYYY-MM-DD, any day of it); this week if none."""
    asked = request.query_params.get("week")
    try:
        day = date.fromisoformat(asked) if asked else await _today(request)
    except ValueError as error:
        raise HTTPException(400, "bad_form") from error
    return day - timedelta(days=day.weekday())


async def _today(request: Request) -> date:
    return datetime.now(UTC).astimezone(await call_domain(request, city_zone)).date()


async def _review(request: Request, template: str) -> Response:
    staff = await _centre_staff(request)
    week = await _week(request)
    context = {
        "week": week,
        "week_end": week + timedelta(days=6),
        "previous_week": week - timedelta(days=7),
        "next_week": week + timedelta(days=7),
        "rows": await call_domain(request, case_review.weekly_review, staff, week),
    }
    return render_staff(request, staff, template, context)


async def weekly_review(request: Request) -> Response:
    return await _review(request, "staff/weekly.html")


async def weekly_review_print(request: Request) -> Response:
    return await _review(request, "staff/weekly_print.html")


async def weekly_review_csv(request: Request) -> Response:
    staff = await _centre_staff(request)
    week = await _week(request)
    rows = await call_domain(request, case_review.weekly_review, staff, week)
    language, zone = i18n.current_language.get(), await call_domain(request, city_zone)
    out = io.StringIO()
    writer = csv.writer(out)
    header = ("Report", "Opened", "Topic", "School level", "Urgency", "Status", "Assigned to")
    writer.writerow([i18n.gettext(h) for h in (*header, "Headline", "Latest note", "Watch case")])
    for row in rows:
        opened = datetime.fromisoformat(row.created_at).astimezone(zone).date().isoformat()
        cells = [
            row.report_id,
            opened,
            row.topic_ja if language == "ja" else row.topic_en,
            name_of("school_kind", row.school_kind),
            name_of("urgency", row.urgency),
            name_of("status", row.status),
            row.assignee_name or "",
            row.headline or "",
            row.latest_note or "",
            row.watch_reason if row.watch_case else "",
        ]
        writer.writerow([as_text(str(cell)) for cell in cells])
    # A byte-order mark so that spreadsheet programs read the Japanese as UTF-8.
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="case-review-{week.isoformat()}.csv"',
            "Cache-Control": "no-store",
        },
    )


routes = [
    Route("/staff", inbox),
    Route("/staff/watch", watch_list),
    Route("/staff/coordination", coordination_log),
    Route("/staff/weekly", weekly_review),
    Route("/staff/weekly/print", weekly_review_print),
    Route("/staff/weekly.csv", weekly_review_csv),
    Route("/staff/reports/{report_id:id}/case/{action}", case_action, methods=["POST"]),
]
