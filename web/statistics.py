"""The statistics page and its exports: the city's figures for centre staff and city admins,
a school's own (always protected) for its nurse, team and school admin.

Every school-level view is protected unless centre staff or a city admin ask for the internal
one; the city-wide view is internal unless they ask for the published one. An internal view,
and its files, say "internal" in their heading and file name."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from school_report.admin_log import Actor
from school_report.annual_report import Scope as AnnualScope
from school_report.annual_tables import AnnualReport, annual_report
from school_report.clock import utc_now
from school_report.hours import city_zone
from school_report.publications import Change, Revision, frozen, publish
from school_report.schools import School, list_schools
from school_report.staff import Staff
from school_report.statistics import NOT_GIVEN, StatisticsError, Table, threshold
from school_report.statistics_export import to_csv, to_xlsx
from school_report.statistics_tables import Publication, report_tables
from web import i18n
from web.database import call_domain
from web.names import N_
from web.names import NAMES as VALUE_NAMES
from web.staff import current_staff, render_staff, staff_form
from web.statistics_charts import bar_chart, line_chart

_ = i18n.gettext
CITY_ROLES = ("centre", "admin")
FISCAL_YEAR_STARTS = 4  # Japanese fiscal years begin on 1 April
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# Every label a statistics table shows, by the kind of row, column or table it names: the names
# every staff page uses (urgency, status, recipient…), and the tables' own.
NAMES: dict[str, dict[str, str]] = {
    **VALUE_NAMES,
    "table": {
        "cover": N_("Cover"),
        "notes": N_("Notes"),
        "overview": N_("Overview"),
        "contacts": N_("Messages (pupils' and staff's)"),
        "by_channel": N_("By channel (recipient)"),
        "by_level": N_("Reports by category and school level"),
        "by_level_contacts": N_("Contacts by category and school level"),
        "top_sub_items": N_("Top 5 sub-items"),
        "by_sub_item": N_("By sub-item"),
        "by_topic": N_("By topic"),
        "by_school": N_("By school"),
        "by_grade": N_("By grade (where given)"),
        "by_month": N_("By month"),
        "by_weekday": N_("By weekday"),
        "by_hour": N_("By hour of day"),
        "by_identity": N_("Anonymous or named"),
        "by_urgency": N_("By urgency"),
        "by_status": N_("By status"),
        "by_outcome": N_("By outcome (closed cases)"),
        "by_language": N_("By language"),
        "response_times": N_("Time to first reply and to close"),
        "hand_overs": N_("Hand-overs"),
        "coordination": N_("Coordination contacts by agency"),
    },
    "annual_table": {
        "annual_summary": N_("Consultations: cases and contacts"),
        "annual_by_method": N_("By method (cases by first contact)"),
        "annual_by_consulter": N_("By who consulted"),
        "annual_by_level": N_("About whom: by school level"),
        "annual_by_content": N_("Consultation content by category and sub-item (contacts)"),
        "annual_top_children": N_("Top 5 sub-items: children"),
        "annual_top_adults": N_("Top 5 sub-items: adults"),
        "annual_watch": N_("Watch cases"),
        "annual_coordination": N_("Coordination by agency"),
        "annual_activities": N_("Coordination by activity"),
        "annual_notifications": N_("Abuse notifications"),
    },
    "column": {
        "count": N_("Number"),
        "cases": N_("Cases"),
        "contacts": N_("Contacts"),
        "child_cases": N_("Children: cases"),
        "child_contacts": N_("Children: contacts"),
        "adult_cases": N_("Adults: cases"),
        "adult_contacts": N_("Adults: contacts"),
    },
    "coordination": {"contacts": N_("Times (each coordination contact)")},
    "method": {
        "tablet": N_("Tablet"),
        "phone": N_("Phone"),
        "email": N_("E-mail"),
        "visit": N_("Visit"),
        "line": N_("LINE"),
        "letter": N_("Letter"),
        "other": N_("Other"),
    },
    "consulter": {
        "child": N_("The child"),
        "mother": N_("Mother"),
        "father": N_("Father"),
        "grandparent": N_("Grandparent"),
        "relative": N_("Other relative"),
        "teacher": N_("Teacher"),
        "other": N_("Other"),
    },
    "activity": {
        "contact": N_("Contact"),
        "meeting": N_("Meeting"),
        "accompany": N_("Accompanying"),
        "visit": N_("Visit on site"),
        "other": N_("Other"),
    },
    "measure": {
        "cases": N_("Cases"),
        "watch_coordinated": N_("of which went on to coordination"),
        "notifications": N_("Notifications to the child guidance centre"),
        # The tables by day received count reports and their messages, not cases and contacts
        # (実件数, 延べ件数: the annual tables).
        "reports": N_("Reports received"),
        "contacts": N_("Messages"),
        "count": N_("Number"),
        "watch_cases": N_("Watch cases"),
        "abuse_notifications": N_("Abuse notifications"),
        "median_hours": N_("Median (hours)"),
        "p90_hours": N_("90th percentile (hours)"),
        "share": N_("Share (%)"),
        "reports_share": N_("Share (%)"),
        "contacts_share": N_("Share (%)"),
    },
    "total": {"total": N_("Total")},
    "author": {"pupil": N_("Messages from pupils"), "staff": N_("Messages from staff")},
    "kind": {
        "elementary": N_("Elementary school"),
        "junior_high": N_("Junior high school"),
        "high": N_("High school"),
    },
    "category": {
        "home_life": N_("Home life"),
        "school_life": N_("School life"),
        "life_in_care": N_("Life in care"),
        "personality": N_("Personality and behaviour"),
        "physical": N_("Physical problems"),
        "relationships": N_("Relationships"),
        "delinquency": N_("Delinquency"),
        "other": N_("Other"),
    },
    "weekday": {
        "0": N_("Monday"),
        "1": N_("Tuesday"),
        "2": N_("Wednesday"),
        "3": N_("Thursday"),
        "4": N_("Friday"),
        "5": N_("Saturday"),
        "6": N_("Sunday"),
    },
    "named": {"0": N_("Anonymous"), "1": N_("Named")},
    "outcome": {
        "resolved": N_("Resolved"),
        "referred": N_("Referred"),
        "no_further_contact": N_("No further contact"),
        "not_genuine": N_("Not genuine"),
    },
    "language": {
        "ja": N_("Japanese"),
        "en": N_("English"),
        "pt-BR": N_("Portuguese"),
        "zh-Hans": N_("Chinese"),
        "vi": N_("Vietnamese"),
        "fil": N_("Filipino"),
    },
    "duration": {"first_reply": N_("Until the first reply"), "close": N_("Until closed")},
    "direction": {
        "school_to_centre": N_("School to centre"),
        "centre_to_school": N_("Centre to school"),
    },
    "agency": {
        "school": N_("School"),
        "child_guidance_centre": N_("Child guidance centre"),
        "ward_office": N_("Ward office"),
        "police": N_("Police"),
        "hospital": N_("Hospital"),
        "welfare_office": N_("Welfare office"),
        "other": N_("Other"),
    },
    "grade": {
        "elementary": N_("Elementary %(grade)s"),
        "junior_high": N_("Junior high %(grade)s"),
        "high": N_("High school %(grade)s"),
        NOT_GIVEN: N_("Not given"),
    },
}


# A share, last year's count and the change, each of a measure.
COMPARED = {
    "share": N_("Share (%)"),
    "previous": N_("%(measure)s last year"),
    "change": N_("Change (%)"),
}
PERCENT_KINDS = ("share", "change")  # fractions, shown and exported as percentages


def _plain(message: str, **values) -> str:
    """A translated message as plain text (the catalogue's Markup unescaped)."""
    return Markup(_(message) % values if values else _(message)).unescape()


def label(kind: str, key: str) -> str:
    """What a row, column or table of the statistics is called, as plain text."""
    if kind in ("text", "month"):
        return key
    if kind == "sub_item":
        return f"　{key}"  # under its category
    if kind == "table" and key in NAMES["annual_table"]:
        return _plain(NAMES["annual_table"][key])
    if kind == "previous":
        return _plain(COMPARED[kind], measure=label("column", key.rpartition("_")[0]))
    if kind in COMPARED:
        return _plain(COMPARED[kind])
    if kind == "hour":
        return f"{int(key):02d}:00"
    if kind == "grade" and key != NOT_GIVEN:
        school_kind, _separator, grade = key.partition("|")
        return _plain(NAMES["grade"][school_kind], grade=grade)
    message = NAMES.get(kind, {}).get(key)
    return _plain(message) if message else key


@dataclass(frozen=True)
class Scope:
    start: date
    end: date
    school: School | None
    publish: bool
    limit: int
    caseload: str = "centre"  # the annual tables' scope without a school: centre or city

    def annual(self) -> AnnualScope:
        if self.school:
            return AnnualScope("school", self.school.id)
        return AnnualScope(self.caseload)


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


def _where(staff: Staff, schools: list[School], query) -> tuple[School | None, bool]:
    """The school asked for and whether the view is published. School staff see their own
    school only, always published; asking for another school is a 404. For centre staff and
    city admins a school's view is published, the city's internal, unless they ask otherwise."""
    school_text = query.get("school", "")
    if staff.role not in CITY_ROLES:
        if school_text and school_text != str(staff.school_id):
            raise HTTPException(404, "not_found")
        return _school_of(schools, str(staff.school_id)), True
    school = _school_of(schools, school_text) if school_text else None
    asked = query.get("publish", "")
    return school, asked == "1" if asked in ("0", "1") else school is not None


async def _scope(request: Request, staff: Staff, schools: list[School]) -> tuple[Scope, str]:
    """The period, school and view asked for, and what is wrong with the period ("" if
    nothing; the current fiscal year is shown instead)."""
    query = request.query_params
    today = datetime.now(await call_domain(request, city_zone)).date()
    default_start, default_end = _fiscal_year(today)
    school, publish = _where(staff, schools, query)
    start = _date(query.get("from", ""), default_start)
    end = _date(query.get("to", ""), default_end)
    error = "" if start and end else "bad_date"
    limit = await call_domain(request, threshold)
    caseload = "city" if query.get("caseload") == "city" else "centre"
    scope = Scope(start or default_start, end or default_end, school, publish, limit, caseload)
    return scope, error


def _charts(tables: dict[str, Table]) -> dict[str, object]:
    """The charts of the tables shown (a publication may leave the table by level out)."""
    charts = {}
    if "by_level" in tables:
        by_level = tables["by_level"]
        charts["by_category"] = bar_chart(
            [label(*row) for row in by_level.rows[:-1]], by_level.column("total")[:-1]
        )
    if "by_month" in tables:
        by_month = tables["by_month"]
        charts["by_month"] = line_chart(
            [label(*row) for row in by_month.rows[:-1]], by_month.column("reports")[:-1]
        )
    if "by_hour" in tables:
        by_hour = tables["by_hour"]
        charts["by_hour"] = bar_chart(
            [label(*row) for row in by_hour.rows[:-1]],
            by_hour.column("reports")[:-1],
            vertical=True,
        )
    return charts


def _local(moment: str, zone) -> str:
    local = datetime.fromisoformat(moment).astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _revision_line(revision: Revision, zone) -> str:
    if revision.number == 0:
        return _plain(N_("Published on %(when)s."), when=_local(revision.published_at, zone))
    return _plain(
        N_("Revision %(number)d of %(when)s: %(count)d cells changed."),
        number=revision.number,
        when=_local(revision.published_at, zone),
        count=len(revision.changes),
    )


def _change_line(change: Change, tables: list[Table]) -> str:
    """ "By method / Phone / Adults: contacts: 2 → 3"."""
    table = next((table for table in tables if table.name == change.table), None)
    row, column = change.row, change.column
    if table is not None:
        rows = {table.row_id(index): label for index, label in enumerate(table.rows)}
        columns = {key: (kind, key) for kind, key in table.columns}
        row = label(*rows[change.row]).strip() if change.row in rows else row
        column = label(*columns[change.column]) if change.column in columns else column
    before, after = (cell_text(("column", ""), cell) for cell in (change.before, change.after))
    return f"{label('table', change.table)} / {row} / {column}: {before} → {after}"


async def _annual(request: Request, scope: Scope) -> AnnualReport:
    return await call_domain(
        request, annual_report, scope.start, scope.end, scope.annual(), publish=scope.publish
    )


def _annual_charts(tables: list[Table]) -> dict[str, object]:
    """Contacts by method and by who consulted, as bars (hidden counts draw no bar)."""
    charts = {}
    for table in tables:
        if table.name in ("annual_by_method", "annual_by_consulter"):
            rows = table.rows[:-1] if table.total_row else table.rows
            values = table.column("contacts")[: len(rows)]
            charts[table.name] = bar_chart([label(*row) for row in rows], values)
    return charts


async def _publication(request: Request, scope: Scope) -> Publication:
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
    else:
        query["caseload"] = scope.caseload
    query["publish"] = "1" if scope.publish else "0"
    return urlencode(query)


INTERNAL_NOTE = N_(
    "Internal: for the centre's own use, not for publication. Small numbers are not hidden."
)
HIDDEN_NOTE = N_(
    "x marks a hidden count: every count below %(limit)d, and other counts where they would let "
    "one be worked out. Zeros are shown, except in a table whose counts are all hidden. Hidden "
    "counts all look the same. Top sub-items are ranked among the counts shown."
)
MONTHS_NOTE = N_("Published figures count whole months only.")
SCHOOL_NOTE = N_(
    "A school's figures count the reports its pupils sent to the school. Those they sent to the "
    "centre are counted in the city's figures only."
)
LEFT_OUT_NOTES = {
    "too_few_reports": N_("Fewer than %(limit)d reports in this period: no table is shown."),
    "levels_left_out": N_(
        "The tables by school level and by grade are left out: a school level has fewer than "
        "%(limit)d reports in this period."
    ),
}


ERAS = ((2019, N_("Reiwa")), (1989, N_("Heisei")))
FISCAL_YEAR_NAME = N_("%(era)s %(number)s fiscal year (%(year)d)")
FIRST_YEAR = N_("1st")


def fiscal_year_name(start: date, end: date) -> str:
    """ "令和7年度（2025年度）" when the period is one fiscal year, else ""."""
    if (start, end) != _fiscal_year(start) or start.month != FISCAL_YEAR_STARTS:
        return ""
    era_start, era = next(((y, name) for y, name in ERAS if start.year >= y), (0, ""))
    if not era:
        return ""
    number = start.year - era_start + 1
    return _plain(
        FISCAL_YEAR_NAME,
        era=_plain(era),
        number=_plain(FIRST_YEAR) if number == 1 else str(number),
        year=start.year,
    )


SCOPE_NAMES = {
    "centre": N_("The centre's own caseload"),
    "city": N_("The whole city: every recipient"),
}


def scope_name(scope: Scope) -> str:
    if scope.school:
        return _plain(N_("%(school)s: reports sent to the school"), school=scope.school.name)
    return _plain(SCOPE_NAMES[scope.caseload])


def cell_text(column: tuple[str, str], cell) -> str:
    """A cell as the page shows it: a fraction as a percentage to 0.1, a change signed."""
    if cell is None:
        return "–"
    if column[0] in PERCENT_KINDS and isinstance(cell, float):
        sign = "+" if column[0] == "change" and cell > 0 else ""
        return f"{sign}{cell * 100:.1f}%"
    if isinstance(cell, int):
        return f"{cell:,}"
    return str(cell)


ANNUAL_NOTES = {
    "top_left_out": N_(
        "The top five sub-items are left out of a published view: a rank would tell of a "
        "hidden count."
    ),
    "too_few_reports": N_("Fewer than %(limit)d cases in this period: no annual table is shown."),
}


def annual_notes(annual: AnnualReport, scope: Scope) -> list[str]:
    return [_plain(ANNUAL_NOTES[note], limit=annual.limit) for note in annual.notes]


# Each term of the tables and what it means: the glossary page and the workbook's 注記 sheet.
DEFINITIONS = (
    (
        N_("Cases (実件数)"),
        N_(
            "Cases with at least one contact in the period. A case counts once, under the "
            "method and the consulter of its first contact in the period."
        ),
    ),
    (
        N_("Contacts (延べ件数)"),
        N_(
            "Consultations in the period from the consulting side: each message of a pupil, or "
            "each call, visit, e-mail, letter or LINE conversation recorded by staff. A staff "
            "reply is never a contact. Each contact counts in the period of its own date."
        ),
    ),
    (
        N_("Coordination cases (案件数)"),
        N_(
            "Cases with coordination in the period, with that agency or of that activity. A "
            "case that worked with several agencies counts once in the total."
        ),
    ),
    (
        N_("Coordination times (延べ回数)"),
        N_("Each coordination contact with an agency in the period, on its own date."),
    ),
    (
        N_("Watch cases (留意ケース)"),
        N_(
            "Cases first flagged to watch in the period; of them, those with a coordination "
            "contact on or after the day they were flagged, up to the end of the period."
        ),
    ),
    (
        N_("Abuse notifications (通告)"),
        N_("Coordination contacts recorded as a notification of suspected abuse, and their cases."),
    ),
    (
        N_("Share and change"),
        N_(
            "A share is of its column's total, rounded half up to 0.1 %; shares of consultation "
            "content are of contacts. A change is from the same days a year earlier; blank when "
            "there was nothing to compare."
        ),
    ),
    (
        N_("Scopes"),
        N_(
            "The centre's own caseload: the cases whose thread the centre answers (what its "
            "annual report counts). A school's view: the reports its pupils sent to the school "
            "itself. The whole city: every case, whoever answers it."
        ),
    ),
    (
        N_("Reports received"),
        N_(
            "The tables after the annual ones count reports by the day they were received, and "
            "their messages, pupils' and staff's. So the table by school adds up to the reports "
            "received, not to the cases: a case carried over from last year, or answered by "
            "the centre, counts differently there."
        ),
    ),
    (
        N_("x"),
        N_(
            "A hidden count, in a view that leaves the centre: every count below the threshold, "
            "and other counts where they would let one be worked out. Hidden counts all look the "
            "same; a share or change worked out from one is hidden too."
        ),
    ),
)


def notes(publication: Publication, scope: Scope) -> list[str]:
    """What a reader of the tables must know: internal or protected, and what is left out."""
    if not scope.publish:
        return [_plain(INTERNAL_NOTE)]
    lines = [_plain(HIDDEN_NOTE, limit=scope.limit), _plain(MONTHS_NOTE)]
    lines += [_plain(SCHOOL_NOTE)] if scope.school else []
    lines += [_plain(LEFT_OUT_NOTES[note], limit=scope.limit) for note in publication.notes]
    return lines


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
            publication = await _publication(request, scope)
            annual = await _annual(request, scope)
        except StatisticsError as refused:
            error = refused.reason
    if error:
        context["error"] = error
        return render_staff(request, staff, "statistics/page.html", context, 400)
    named = {table.name: table for table in publication.tables}
    shown = await call_domain(request, frozen, annual)
    zone = await call_domain(request, city_zone)
    context.update(
        tables=publication.tables,
        annual_tables=shown.report.tables,
        annual_charts=_annual_charts(shown.report.tables),
        revisions=[_revision_line(revision, zone) for revision in shown.revisions],
        unrecorded=[_change_line(change, annual.tables) for change in shown.unrecorded],
        can_publish=staff.role in CITY_ROLES,
        annual_notes=annual_notes(annual, scope),
        charts=_charts(named),
        notes=notes(publication, scope),
        cell_text=cell_text,
        scope_name=scope_name(scope),
    )
    return render_staff(request, staff, "statistics/page.html", context)


def _heading(publication: Publication, annual: AnnualReport, scope: Scope, zone) -> list[str]:
    statistics, period, made = _plain(N_("Statistics")), _plain(N_("Period")), _plain(N_("Made"))
    dates = f"{scope.start.isoformat()} – {scope.end.isoformat()}"
    year = fiscal_year_name(scope.start, scope.end)
    local = utc_now().astimezone(zone)
    lines = [
        f"{statistics}: {scope_name(scope)}",
        f"{period}: {year}（{dates}）" if year else f"{period}: {dates}",
        f"{made}: {local:%Y-%m-%d %H:%M} {local.tzname()}",
    ]
    return lines + notes(publication, scope) + annual_notes(annual, scope)


def definitions() -> list[tuple[str, str]]:
    """The glossary: each term and what it means, in the reader's language."""
    return [(_plain(term), _plain(meaning)) for term, meaning in DEFINITIONS]


def export_file(
    publication: Publication,
    annual: AnnualReport,
    scope: Scope,
    file_format: str,
    zone,
    revision_lines: Sequence[str] = (),
) -> bytes:
    """The annual tables, then the tables by day received, as a CSV or .xlsx file labelled in
    the current language (the workbook ends with the definitions): what the page's download
    links and `school-admin stats` write."""
    tables = annual.tables + publication.tables
    heading = _heading(publication, annual, scope, zone) + list(revision_lines)
    if file_format == "csv":
        return to_csv(tables, label, heading)
    return to_xlsx(tables, label, heading, definitions())


def file_name(scope: Scope, file_format: str) -> str:
    school = f"_school{scope.school.id}" if scope.school else ""
    internal = "" if scope.publish else "_internal"
    period = f"{scope.start.isoformat()}_{scope.end.isoformat()}"
    return f"statistics_{period}{school}{internal}.{file_format}"


async def statistics_export(request: Request) -> Response:
    staff = await current_staff(request)
    file_format = request.path_params["format"]
    if file_format not in MEDIA_TYPES:
        raise HTTPException(404, "not_found")
    scope, error = await _scope(request, staff, await call_domain(request, list_schools))
    try:
        if error:
            raise StatisticsError(error)
        publication = await _publication(request, scope)
        annual = await _annual(request, scope)
    except StatisticsError as refused:
        raise HTTPException(400, refused.reason) from refused
    zone = await call_domain(request, city_zone)
    shown = await call_domain(request, frozen, annual)
    lines = [_revision_line(revision, zone) for revision in shown.revisions]
    return Response(
        export_file(publication, shown.report, scope, file_format, zone, lines),
        media_type=MEDIA_TYPES[file_format],
        headers={
            "Content-Disposition": f'attachment; filename="{file_name(scope, file_format)}"',
            "Cache-Control": "no-store",
        },
    )


async def publish_annual(request: Request) -> Response:
    """Centre staff or a city admin publish the annual tables shown, or record a revision."""
    staff = await current_staff(request)
    if staff.role not in CITY_ROLES:
        raise HTTPException(404, "not_found")
    await staff_form(request)
    scope, error = await _scope(request, staff, await call_domain(request, list_schools))
    try:
        if error:
            raise StatisticsError(error)
        annual = await _annual(request, scope)
    except StatisticsError as refused:
        raise HTTPException(400, refused.reason) from refused
    await call_domain(request, publish, annual, Actor(staff.id, staff.login))
    return RedirectResponse(f"/staff/statistics?{_query(scope)}", status_code=303)


async def definitions_page(request: Request) -> Response:
    staff = await current_staff(request)
    return render_staff(
        request, staff, "statistics/definitions.html", {"definitions": definitions()}
    )


routes = [
    Route("/staff/statistics", statistics_page),
    Route("/staff/statistics/definitions", definitions_page),
    Route("/staff/statistics/publish", publish_annual, methods=["POST"]),
    Route("/staff/statistics/export.{format:str}", statistics_export),
]
