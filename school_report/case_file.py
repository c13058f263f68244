"""Everything staff see beside a report's thread: the case, its triage, notes, coordination
and audit trail, gathered in one read, as the viewer's side may see them: after a hand-over a
school sees neither the centre's own work (checklist, watch flag, coordination, headline) nor
danger words from messages it may not read."""

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from school_report import cases, triage
from school_report.agency_notifications import AgencyNotification, notifications_of
from school_report.audit import CaseEvent, case_trail
from school_report.clock import utc_now
from school_report.danger import assess_text
from school_report.danger_words import highlighted, lexicon
from school_report.overdue import deadlines
from school_report.reports import Report
from school_report.routing import message_condition
from school_report.staff import Staff


@dataclass(frozen=True)
class CaseFile:
    case: cases.Case
    may_work: bool  # the viewer answers the thread and may change the case
    is_centre: bool
    may_approve: bool  # the viewer may approve replies waiting for a supervisor
    in_training: bool  # the viewer's own replies wait for a supervisor
    checklist: list[triage.ChecklistItem]
    # Pupil messages holding danger words, in pieces: (text, is a danger word).
    highlights: dict[int, list[tuple[str, bool]]]
    pending_reply_ids: set[int]
    colleagues: list[cases.Colleague]
    notes: list[cases.Note]
    coordination: list[cases.Coordination]
    agency_notifications: list[AgencyNotification]  # 通告, the centre's
    advice: list[cases.Advice]  # from the weekly case review, the centre's
    trail: list[CaseEvent]
    due_at: datetime | None

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.due_at < utc_now()

    @property
    def safety_check_overdue(self) -> bool:
        return any(notice.late for notice in self.agency_notifications)

    def checklist_label(self, key: str, language: str) -> str:
        """An item's label as the city words it (its key, if the city has removed it)."""
        return next((item.label(language) for item in self.checklist if item.key == key), key)


def _highlights(db: Database, staff: Staff, report_id: int) -> dict[int, list[tuple[str, bool]]]:
    """The danger words of the pupil messages this staff member may read."""
    entries = lexicon(db)
    condition, params = message_condition(staff)
    found = {}
    for message_id, body in db.execute(
        "SELECT m.id, m.body FROM messages m JOIN reports r ON r.id = m.report_id "
        f"WHERE m.report_id = ? AND m.author = 'pupil' AND {condition}",
        [report_id, *params],
    ):
        hits = assess_text(body, entries).hits
        if hits:
            found[message_id] = highlighted(body, list(hits))
    return found


def case_file(db: Database, staff: Staff, report: Report) -> CaseFile:
    may_work = cases.may_work(db, staff, report.id)
    in_training = cases.needs_review(db, staff)
    is_centre = staff.role == "centre"
    return CaseFile(
        case=cases.case_for(db, staff, report.id),
        may_work=may_work,
        is_centre=is_centre,
        may_approve=may_work and cases.is_supervisor(db, staff),
        in_training=in_training,
        checklist=triage.checklist(db, report.id) if is_centre else [],
        highlights=_highlights(db, staff, report.id),
        pending_reply_ids=cases.pending_reply_ids(db, report.id),
        colleagues=cases.colleagues(db, staff),
        notes=cases.notes_of(db, staff, report.id),
        coordination=cases.coordination_of(db, report.id) if is_centre else [],
        agency_notifications=notifications_of(db, report.id) if is_centre else [],
        advice=cases.advice_of(db, report.id) if is_centre else [],
        trail=case_trail(db, report.id, viewer=staff),
        due_at=deadlines(db).due_at(report),
    )
