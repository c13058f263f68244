"""The statistics page and its exports: the city's figures for centre staff and city admins,
a school's own (always protected) for its nurse, team and school admin."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from school_report.clock import utc_now
from school_report.hours import city_zone
from school_report.schools import School, list_schools
from school_report.staff import Staff
from school_report.statistics import StatisticsError, Table, report_tables, threshold
from school_report.statistics_export import to_csv, to_xlsx
from web import i18n
from web.database import call_domain
from web.staff import _render, current_staff
from web.statistics_charts import bar_chart, line_chart

_ = i18n.gettext
CITY_ROLES = ("centre", "admin")
FISCAL_YEAR_STARTS = 4  # Japanese fiscal years begin on 1 April
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@cache
def _names(language: str) -> dict[str, dict[str, str]]:
    """Every label a statistics table shows, in `language` (the current one when called)."""
    return {
        "table": {
            "overview": _("Overview"),
            "contacts": _("Contacts (every message counted)"),
            "by_channel": _("By channel (recipient)"),
            "by_level": _("Reports by category and school level"),
            "by_level_contacts": _("Contacts by category and school level"),
            "top_sub_items": _("Top 5 sub-items"),
            "by_sub_item": _("By sub-item"),
            "by_topic": _("By topic"),
            "by_school": _("By school"),
            "by_grade": _("By grade (where given)"),
            "by_month": _("By month"),
            "by_weekday": _("By weekday"),
            "by_hour": _("By hour of day"),
            "by_identity": _("Anonymous or named"),
            "by_urgency": _("By urgency"),
            "by_status": _("By status"),
            "by_outcome": _("By outcome (closed cases)"),
            "by_language": _("By language"),
            "response_times": _("Time to first reply and to close"),
            "hand_overs": _("Hand-overs"),
            "coordination": _("Coordination contacts by agency"),
        },
        "measure": {
            "reports": _("Reports"),
            "contacts": _("Contacts"),
            "count": _("Number"),
            "watch_cases": _("Watch cases"),
            "abuse_notifications": _("Abuse notifications"),
            "median_hours": _("Median (hours)"),
            "p90_hours": _("90th percentile (hours)"),
        },
        "total": {"total": _("Total")},
        "author": {"pupil": _("Messages from pupils"), "staff": _("Messages from staff")},
        "recipient": {
            "nurse": _("School nurse"),
            "school_team": _("In-school response team"),
            "centre": _("Children's-rights support centre"),
        },
        "kind": {
            "elementary": _("Elementary school"),
            "junior_high": _("Junior high school"),
            "high": _("High school"),
        },
        "category": {
            "home_life": _("Home life"),
            "school_life": _("School life"),
            "life_in_care": _("Life in care"),
            "personality": _("Personality and behaviour"),
            "physical": _("Physical problems"),
            "relationships": _("Relationships"),
            "delinquency": _("Delinquency"),
            "other": _("Other"),
        },
        "weekday": {
            "0": _("Monday"),
            "1": _("Tuesday"),
            "2": _("Wednesday"),
            "3": _("Thursday"),
            "4": _("Friday"),
            "5": _("Saturday"),
            "6": _("Sunday"),
        },
        "named": {"0": _("Anonymous"), "1": _("Named")},
        "urgency": {
            "urgent": _("Urgent"),
            "high": _("High"),
            "normal": _("Normal"),
            "low": _("Low"),
        },
        "status": {
            "new": _("New"),
            "in_progress": _("In progress"),
            "coordinating": _("Coordinating"),
            "monitoring": _("Monitoring"),
            "closed": _("Closed"),
        },
        "outcome": {
            "resolved": _("Resolved"),
            "referred": _("Referred"),
            "no_further_contact": _("No further contact"),
            "not_genuine": _("Not genuine"),
        },
        "language": {"ja": _("Japanese"), "en": _("English")},
        "duration": {"first_reply": _("Until the first reply"), "close": _("Until closed")},
        "direction": {
            "school_to_centre": _("School to centre"),
            "centre_to_school": _("Centre to school"),
        },
        "agency": {
            "school": _("School"),
            "child_guidance_centre": _("Child guidance centre"),
            "ward_office": _("Ward office"),
            "police": _("Police"),
            "hospital": _("Hospital"),
            "welfare_office": _("Welfare office"),
            "other": _("Other"),
        },
    }


def label(kind: str, key: str) -> str:
    """What a row, column or table of the statistics is called, as plain text."""
    if kind == "text":
        return key
    if kind == "hour":
        return f"{int(key):02d}:00"
    if kind == "month":
        return key
    names = _names(i18n.current_language.get())
    if kind == "grade":
        school_kind, _separator, grade = key.partition("|")
        return f"{names['kind'].get(school_kind, school_kind)} {grade}"
    return Markup(names[kind].get(key, key)).unescape()


@dataclass(frozen=True)
class Scope:
    start: date
    end: date
    school: School | None
    publish: bool
    limit: int


def _fiscal_year(today: date) -> tuple[date, date]:
    year = today.year if today.month >= FISCAL_YEAR_STARTS else today.year - 1
    next_start = date(year + 1, FISCAL_YEAR_STARTS, 1)
    return date(year, FISCAL_YEAR_STARTS, 1), next_start - timedelta(days=1)


def _date(text: str, default: date) -> date | None:
    """The date typed, the default when none was, None when it is not a date."""
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _school_of(schools: list[School], text: str) -> School:
    """The school asked for; an unknown one is a page that does not exist."""
    chosen = next((school for school in schools if str(school.id) == text), None)
    if chosen is None:
        raise HTTPException(404, "not_found")
    return chosen


async def _scope(request: Request, staff: Staff, schools: list[School]) -> tuple[Scope, str]:
    """The period and school asked for, within what `staff` may see, and what is wrong with
    the period ("" if nothing; the current fiscal year is shown instead). School staff see
    their own school only, always protected; asking for another school is a 404."""
    query = request.query_params
    today = datetime.now(await call_domain(request, city_zone)).date()
    default_start, default_end = _fiscal_year(today)
    school_text = query.get("school", "")
    if staff.role in CITY_ROLES:
        school = _school_of(schools, school_text) if school_text else None
        publish = query.get("publish") == "1"
    else:
        if school_text and school_text != str(staff.school_id):
            raise HTTPException(404, "not_found")
        school = _school_of(schools, str(staff.school_id))
        publish = True
    start = _date(query.get("from", ""), default_start)
    end = _date(query.get("to", ""), default_end)
    error = "" if start and end else "bad_date"
    limit = await call_domain(request, threshold)
    return Scope(start or default_start, end or default_end, school, publish, limit), error


def _charts(tables: dict[str, Table]) -> dict[str, object]:
    by_level = tables["by_level"]
    return {
        "by_category": bar_chart(
            [label(*row) for row in by_level.rows[:-1]], by_level.column("total")[:-1]
        ),
        "by_month": line_chart(
            [label(*row) for row in tables["by_month"].rows[:-1]],
            tables["by_month"].column("reports")[:-1],
        ),
        "by_hour": bar_chart(
            [label(*row) for row in tables["by_hour"].rows[:-1]],
            tables["by_hour"].column("reports")[:-1],
            vertical=True,
        ),
    }


async def _tables(request: Request, scope: Scope) -> list[Table]:
    return await call_domain(
        request,
        report_tables,
        scope.start,
        scope.end,
        scope.school.id if scope.school else None,
        publish=scope.publish,
        language=i18n.current_language.get(),
    )


def _query(scope: Scope) -> str:
    """The filters as a query string, so an export counts what the page shows."""
    query = {"from": scope.start.isoformat(), "to": scope.end.isoformat()}
    if scope.school:
        query["school"] = str(scope.school.id)
    if scope.publish:
        query["publish"] = "1"
    return urlencode(query)


async def statistics_page(request: Request) -> Response:
    staff = await current_staff(request)
    schools = await call_domain(request, list_schools)
    scope, error = await _scope(request, staff, schools)
    context = {
        "scope": scope,
        "schools": schools,
        "label": label,
        "city_roles": CITY_ROLES,
        "query": _query(scope),
    }
    if not error:
        try:
            tables = await _tables(request, scope)
        except StatisticsError as refused:
            error = refused.reason
    if error:
        return _render(request, staff, "statistics/page.html", {**context, "error": error}, 400)
    named = {table.name: table for table in tables}
    context.update(tables=tables, charts=_charts(named))
    return _render(request, staff, "statistics/page.html", context)


def _heading(scope: Scope) -> list[str]:
    where = scope.school.name if scope.school else _("The whole city")
    lines = [
        f"{_('Statistics')}: {where}",
        f"{_('Period')}: {scope.start.isoformat()} – {scope.end.isoformat()}",
        f"{_('Made')}: {utc_now().isoformat(timespec='seconds')}",
    ]
    if scope.publish:
        lines.append(
            _(
                "Small numbers are hidden: a count below %(limit)d is shown as <%(limit)d, "
                "and x marks a count hidden so that a small one cannot be worked out."
            )
            % {"limit": scope.limit}
        )
    return [Markup(line).unescape() for line in lines]


def export_file(tables: list[Table], scope: Scope, file_format: str) -> bytes:
    """The tables as a CSV or .xlsx file, labelled in the current language: what the page's
    download links and `school-admin stats` write."""
    writer = to_csv if file_format == "csv" else to_xlsx
    return writer(tables, label, _heading(scope))


def file_name(scope: Scope, file_format: str) -> str:
    school = f"_school{scope.school.id}" if scope.school else ""
    return f"statistics_{scope.start.isoformat()}_{scope.end.isoformat()}{school}.{file_format}"


async def statistics_export(request: Request) -> Response:
    staff = await current_staff(request)
    file_format = request.path_params["format"]
    if file_format not in MEDIA_TYPES:
        raise HTTPException(404, "not_found")
    scope, error = await _scope(request, staff, await call_domain(request, list_schools))
    try:
        if error:
            raise StatisticsError(error)
        tables = await _tables(request, scope)
    except StatisticsError as refused:
        raise HTTPException(400, refused.reason) from refused
    return Response(
        export_file(tables, scope, file_format),
        media_type=MEDIA_TYPES[file_format],
        headers={
            "Content-Disposition": f'attachment; filename="{file_name(scope, file_format)}"',
            "Cache-Control": "no-store",
        },
    )


routes = [
    Route("/staff/statistics", statistics_page),
    Route("/staff/statistics/export.{format:str}", statistics_export),
]
