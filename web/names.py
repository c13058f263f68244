"""Names of stored values (urgency, status, role…) in the staff member's language: one table for
the pages and the exports, so each value is said the same way everywhere. Looking a name up is a
dictionary read: staff pages list fifty reports, and a template macro per value cost more than
the rest of the row."""

from school_report import danger_families
from web import i18n


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated when shown."""
    return message


NAMES: dict[str, dict[str, str]] = {
    "role": {
        "nurse": N_("School nurse"),
        "school_team": N_("In-school response team"),
        "centre": N_("Children's-rights support centre"),
        "school_admin": N_("School administrator"),
        "admin": N_("City administrator"),
    },
    "recipient": {
        "nurse": N_("School nurse"),
        "school_team": N_("In-school response team"),
        "centre": N_("Children's-rights support centre"),
    },
    "urgency": {
        "urgent": N_("Urgent"),
        "high": N_("High"),
        "normal": N_("Normal"),
        "low": N_("Low"),
    },
    "status": {
        "new": N_("New"),
        "in_progress": N_("In progress"),
        "coordinating": N_("Coordinating"),
        "monitoring": N_("Monitoring"),
        "closed": N_("Closed"),
    },
    "outcome": {
        "resolved": N_("Resolved"),
        "referred": N_("Referred to another agency"),
        "no_further_contact": N_("No further contact"),
        "not_genuine": N_("Not genuine (prank)"),
    },
    "agency": {
        "school": N_("School"),
        "child_guidance_centre": N_("Child guidance centre"),
        "ward_office": N_("Ward office"),
        "police": N_("Police"),
        "hospital": N_("Hospital"),
        "welfare_office": N_("Welfare office"),
        "other": N_("Other agency"),
    },
    "consent": {
        "agreed": N_("The pupil agreed"),
        "refused": N_("The pupil did not agree"),
        "not_asked": N_("The pupil was not asked"),
    },
    # The lawful grounds of `school_report.grounds`; "" is a hand-over made before grounds
    # were recorded (m013), which had none.
    "ground": {
        "consent": N_("The pupil's consent"),
        "life_or_body": N_("Protecting the child's life or body"),
        "bullying_duty": N_("Bullying duty (Bullying Prevention Act, art. 23)"),
        "legal_duty": N_("A legal duty named by staff"),
        "": N_("No ground recorded (before grounds were recorded)"),
    },
    "school_kind": {
        "elementary": N_("Elementary"),
        "junior_high": N_("Junior high"),
        "high": N_("High school"),
    },
}


def name_of(kind: str, value: str | None) -> str:
    """The value's name in the current language; a value the table does not know (a role or
    outcome added later) is shown as stored, and none as a dash."""
    if kind == "danger_family":  # the families carry their staff words themselves
        return danger_families.family(value).label(i18n.current_language.get()) if value else "—"
    message = NAMES[kind].get(value or "")
    return i18n.gettext(message) if message else (value or "—")
