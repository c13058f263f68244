"""Duty of care: whoever the pupil writes to, and whenever, danger reaches someone who can act.

After a pupil's report or message is stored, `after_pupil_wrote` looks at the report's stored
urgency (whatever raised it: the topic, danger words, staff) and the hours of whoever reads
it. When a 緊急 report waits for a reader who is not at work, the reader is mailed at once (an
urgent mail no setting stops, `notifications`), the pupil is offered one tap to tell the centre
too, and — if the city so decides — the report is put in the centre's queue to protect the
child's life or body, recorded with that ground, told to the pupil in the thread and kept in
the audit trail.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from school_report import hand_overs
from school_report.admin_log import Actor
from school_report.clock import utc_now
from school_report.db import transaction
from school_report.hours import _clock_time, reader_is_working, reader_reads_from
from school_report.reports import Report, pupil_report
from school_report.settings import SettingError, change_settings, get_setting
from school_report.text import clean_admin_text

HELP_LINE_KINDS = ("children_sos", "child_guidance", "police", "childline", "city")


@dataclass(frozen=True)
class HelpLine:
    kind: str  # one of HELP_LINE_KINDS: which words the pupil reads for it
    name: str  # may carry furigana marks
    number: str
    hours: str | tuple[str, str]  # "24h", or (from, to) on the city's clock
    languages: tuple[str, ...]

    @property
    def dial(self) -> str:
        """The number as a tel: link dials it."""
        return "".join(ch for ch in self.number if ch.isdigit())


def help_lines(db: Database) -> list[HelpLine]:
    """The city's list of numbers that answer now (a city setting)."""
    return [
        HelpLine(
            kind=line.get("kind", "city"),
            name=line["name"],
            number=line["number"],
            hours=line["hours"] if line["hours"] == "24h" else tuple(line["hours"]),
            languages=tuple(line.get("languages", ["ja"])),
        )
        for line in get_setting(db, "help_lines")
    ]


# The national lines the pupil's words know, by number; any other is the city's own.
KNOWN_NUMBERS = {
    "0120-0-78310": "children_sos",
    "189": "child_guidance",
    "110": "police",
    "0120-99-7777": "childline",
}
MAX_HELP_LINES = 12
_NUMBER = re.compile(r"[0-9][0-9-]{1,20}")
# A "|" between columns, not the one inside a furigana mark such as {警察|けいさつ}.
_COLUMN = re.compile(r"\|(?![^{}]*\})")


def parse_help_lines(text: str) -> list[dict]:
    """The help lines as the city writes them, one a line: name | number | hours, where hours
    is 24h or 16:00-21:00. These are Japanese-language services."""
    lines = []
    for row in filter(str.strip, text.splitlines()):
        parts = [part.strip() for part in _COLUMN.split(row)]
        if len(parts) != 3 or not _NUMBER.fullmatch(parts[1]):
            raise SettingError("each line is name | number | hours", "help_lines_invalid")
        name = clean_admin_text(parts[0], 60, SettingError)
        if parts[2].lower() == "24h":
            hours: str | list[str] = "24h"
        else:
            opens, _, closes = parts[2].partition("-")
            if _clock_time(opens.strip()) >= _clock_time(closes.strip()):
                raise SettingError("hours are 24h or 16:00-21:00", "help_lines_invalid")
            hours = [opens.strip(), closes.strip()]
        kind = KNOWN_NUMBERS.get(parts[1], "city")
        lines.append(
            {"kind": kind, "name": name, "number": parts[1], "hours": hours, "languages": ["ja"]}
        )
    if not lines or len(lines) > MAX_HELP_LINES:
        raise SettingError("one to twelve help lines", "help_lines_invalid")
    return lines


def set_help_lines(db: Database, text: str, urgent_to_centre: bool, by: Actor) -> None:
    """The numbers pupils are shown, and whether an urgent report whose reader is away goes to
    the centre's queue unasked (to protect the child's life or body)."""
    change_settings(
        db,
        {"help_lines": parse_help_lines(text), "urgent_to_centre_out_of_hours": urgent_to_centre},
        by,
    )


@dataclass(frozen=True)
class Care:
    """What the pupil's page says after they wrote: the same for the sent page and the
    thread."""

    urgent: bool  # the report is 緊急: show the numbers that answer now
    reads_from: datetime | None  # when the reader is next at work; None while at work now
    may_tell_centre: bool  # offer the one tap: urgent, reader away, centre not told yet
    centre_told: bool  # the centre has the report now (however it came to)


def care_for(db: Database, report: Report, at: datetime | None = None) -> Care:
    at = at or utc_now()
    working = reader_is_working(db, report.answered_by, report.school_id, at)
    reads_from = (
        None if working else reader_reads_from(db, report.answered_by, report.school_id, at)
    )
    urgent = report.urgency == "urgent"
    centre_told = report.answered_by == "centre"
    return Care(
        urgent=urgent,
        reads_from=reads_from,
        may_tell_centre=urgent and not working and not centre_told,
        centre_told=centre_told,
    )


def after_pupil_wrote(db: Database, report_id: int, at: datetime | None = None) -> Care | None:
    """Once the pupil's words are stored: apply the city's policy for an urgent report whose
    reader is away, and say what the pupil's page should show. None if no such report."""
    report = pupil_report(db, report_id)
    if report is None:
        return None
    care = care_for(db, report, at)
    if care.may_tell_centre and get_setting(db, "urgent_to_centre_out_of_hours"):
        with transaction(db):
            hand_overs.copy_to_centre(db, report, "life_or_body")
        report = pupil_report(db, report_id)
        care = care_for(db, report, at)
    return care


def pupil_tells_centre(db: Database, report_id: int) -> bool:
    """The pupil tapped "tell the centre too": their consent, recorded with its time, is the
    ground. Only while the report is urgent and the centre does not have it yet."""
    report = pupil_report(db, report_id)
    if report is None or report.urgency != "urgent":
        return False
    with transaction(db):
        return hand_overs.copy_to_centre(db, report, "consent")


def report_by_submission_key(db: Database, submission_key: str) -> int | None:
    """The report a pupil's sending form created (each form carries its own key)."""
    row = db.execute("SELECT id FROM reports WHERE submission_key = ?", [submission_key]).fetchone()
    return row[0] if row else None
