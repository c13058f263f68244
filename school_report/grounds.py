"""Lawful grounds for sharing a report beyond the recipient the pupil chose.

A report goes to the recipient the pupil chose. Every sharing beyond that — a referral, a
hand-over, a copy to the centre, a notification (通告) — records exactly one ground from this
table, and the pupil reads in the thread who else knows and why:

- `consent`: the pupil said いいよ (本人の同意), recorded with its time;
- `life_or_body`: protecting the child's life or body when consent cannot be had in time
  (suicide risk, abuse with injury) — the ground the personal-information rules of public
  bodies recognise;
- `bullying_duty`: いじめ防止対策推進法 第23条: school staff who hear of bullying must tell the
  school's organisation for bullying measures (第22条): a nurse → the school's team, bullying only;
- `legal_duty`: another duty to notify named by staff, chiefly 児童虐待防止法 第6条, which is a
  notification to 市町村, a 福祉事務所 or the 児童相談所 — never a ground for giving a school the
  thread.

The centre, being outside the school, shares with a school only on `consent` or `life_or_body`.
`lawful_sharing` is the one place these rules are checked: every sharing asks it.
"""

from school_report.refused import ReasonRefused

GROUNDS = ("consent", "life_or_body", "bullying_duty", "legal_duty")
# The topics the bullying duty covers (their slugs stay when the city renames them).
BULLYING_TOPICS = ("bullying",)
# Who may receive a 通告 under 児童虐待防止法 第6条: never a school. The 市町村 of a city with
# wards is its ward office (区役所), as in the coordination log's agencies.
NOTIFICATION_AGENCIES = ("child_guidance_centre", "ward_office", "welfare_office")
ABUSE_NOTIFICATION_DUTY = "児童虐待防止法 第6条"
# Who shares with whom. A school is the nurse or the school team; a 通告 goes to an agency.
SCHOOL_SIDE = ("nurse", "school_team")
MAX_DUTY_CHARS = 200


class GroundRefused(ReasonRefused):
    """A sharing has no lawful ground as asked; `reason` names why for the staff's words."""


def lawful_sharing(
    ground: str | None,
    *,
    from_side: str,
    to: str,
    pupil_consent: str,
    topic_slug: str,
    duty: str = "",
) -> None:
    """Refuse (GroundRefused) a sharing from `from_side` (a recipient slug, or "pupil" for the
    pupil's own tap, or "service" for the city's policy) to `to` (a recipient slug or one of
    NOTIFICATION_AGENCIES) unless `ground` allows it."""
    if ground not in GROUNDS:
        raise GroundRefused("ground_missing")
    if ground == "consent" and pupil_consent != "agreed":
        raise GroundRefused("ground_consent_not_given")
    if ground == "bullying_duty" and not (
        from_side == "nurse" and to == "school_team" and topic_slug in BULLYING_TOPICS
    ):
        raise GroundRefused("ground_bullying_duty_scope")
    if ground == "legal_duty":
        if to in SCHOOL_SIDE:
            raise GroundRefused("ground_legal_duty_not_to_school")
        if not duty.strip():
            raise GroundRefused("ground_duty_unnamed")
    if from_side == "centre" and to in SCHOOL_SIDE and ground not in ("consent", "life_or_body"):
        raise GroundRefused("ground_centre_to_school")


def grounds_for(from_side: str) -> tuple[str, ...]:
    """The grounds a side may choose from when it shares (the form offers only these)."""
    if from_side == "centre":
        return ("consent", "life_or_body")
    if from_side == "nurse":
        return GROUNDS
    return ("consent", "life_or_body", "legal_duty")


def notification_to_agency(agency: str) -> None:
    """A 通告 goes to 児童相談所, 市町村 or 福祉事務所 only: never to a school."""
    if agency not in NOTIFICATION_AGENCIES:
        raise GroundRefused("notification_agency")
