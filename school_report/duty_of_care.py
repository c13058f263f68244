"""Duty of care: whoever the pupil writes to, and whenever, danger reaches someone who can act.

After a pupil's report or message is stored, `after_pupil_wrote` looks at the report's stored
urgency (whatever raised it: the topic, danger words, staff) and the hours of whoever reads
it. When a 緊急 report waits for a reader who is not at work, the reader is mailed at once (an
urgent mail no setting stops, `notifications`), the pupil is offered one tap to tell the centre
too, and — if the city so decides — the report is put in the centre's queue to protect the
child's life or body, recorded with that ground, told to the pupil in the thread and kept in
the audit trail.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from school_report import hand_overs
from school_report.clock import utc_now
from school_report.db import transaction
from school_report.hours import reader_is_working, reader_reads_from
from school_report.reports import Report, pupil_report
from school_report.settings import get_setting

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
