"""Handing a report over between a school and the centre, from the staff report page."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from school_report import hand_overs
from school_report.grounds import GroundRefused
from web.database import call_domain
from web.forms import one
from web.staff import current_staff, report_or_404, report_view, staff_form

FIELDS = ("to_recipient", "pupil_consent", "ground", "duty", "reason", "shares", "summary")


async def hand_over(request: Request) -> Response:
    staff = await current_staff(request)
    report = await report_or_404(request, staff)
    form = await staff_form(request)
    draft = {name: one(form, name) for name in FIELDS}
    try:
        await call_domain(
            request,
            hand_overs.hand_over,
            staff,
            report,
            draft["to_recipient"],
            pupil_consent=draft["pupil_consent"],
            ground=draft["ground"] or None,
            reason=draft["reason"],
            duty=draft["duty"],
            shares=draft["shares"] or "thread",
            summary=draft["summary"],
        )
    except (hand_overs.HandOverRefused, GroundRefused) as error:
        context = {"hand_over_error": error.reason, "hand_over_draft": draft}
        return await report_view(request, staff, report, context, status=400)
    return RedirectResponse(f"/staff/reports/{report.id}#hand-over", status_code=303)


routes = [Route("/staff/reports/{report_id:id}/hand-over", hand_over, methods=["POST"])]
