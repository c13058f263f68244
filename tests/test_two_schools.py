"""Two schools, every role at each, and every way a report travels: sent to each recipient, a
school referring it to the centre, the centre bringing in each school role. After each step,
who may see which report and who is mailed about it is compared with the rule, stated here
independently of the code: a school's staff see and hear of their own school's reports only,
the centre of every school's; an administrator of one school opens no account beyond it."""

from dataclasses import dataclass

import pytest

from school_report.hand_overs import SCHOOL_RECIPIENTS
from school_report.migrations import RECIPIENTS
from school_report.notifications import set_mail_settings
from school_report.reports import Report, pupil_report, submit_report
from school_report.schools import School, add_school
from school_report.staff import Staff, add_staff
from tests.support import (
    PASSWORD,
    csrf_token_in,
    hand_over_with_consent,
    inbox,
    log_in,
    topic_id,
    unique,
)

CENTRE = "centre"


@dataclass
class TwoSchools:
    schools: list[School]
    staff: list[Staff]  # every mail-reading role at both schools, and two centre counsellors


@pytest.fixture
def two_schools(db) -> TwoSchools:
    schools = [add_school(db, unique("School "), "elementary") for _ in range(2)]
    staff = [
        add_staff(db, unique(role), PASSWORD, role, s)
        for s in schools
        for role in SCHOOL_RECIPIENTS
    ]
    staff += [add_staff(db, unique(CENTRE), PASSWORD, CENTRE) for _ in range(2)]
    for member in staff:
        set_mail_settings(db, member, f"{member.login}@city.example", "immediate")
    return TwoSchools(schools, staff)


def may_see(member: Staff, school: School, recipients: set[str]) -> bool:
    """The rule: the report's recipient or a side it was handed to, at its school (the centre
    at any school)."""
    return member.role in recipients and (member.role == CENTRE or member.school_id == school.id)


def send(db, school: School, recipient: str) -> Report:
    key = unique("key")
    submit_report(
        db, school, topic_id(db, "friends"), recipient, "ともだちのこと", submission_key=key
    )
    (report_id,) = db.execute("SELECT id FROM reports WHERE submission_key = ?", [key]).fetchone()
    return pupil_report(db, report_id)


def mailed(db) -> set[int]:
    """Who was queued a mail since the last call."""
    staff_ids = {staff_id for (staff_id,) in db.execute("SELECT staff_id FROM mail_outbox")}
    db.execute("DELETE FROM mail_outbox")
    return staff_ids


def one_of(city: TwoSchools, role: str, school: School | None) -> Staff:
    return next(
        s for s in city.staff if s.role == role and (role == CENTRE or s.school_id == school.id)
    )


def journeys(db, city: TwoSchools):
    """Every way a report travels, at each school; yields (step, report, school, the sides it
    is with now, the sides told of this step)."""
    for school in city.schools:
        for recipient in RECIPIENTS:
            report = send(db, school, recipient)
            yield f"sent to {recipient}", report, school, {recipient}, {recipient}
        for role in SCHOOL_RECIPIENTS:
            report = send(db, school, role)
            mailed(db)
            hand_over_with_consent(db, one_of(city, role, school), report, CENTRE)
            yield f"{role} referred to the centre", report, school, {role, CENTRE}, {CENTRE}
        for role in SCHOOL_RECIPIENTS:
            report = send(db, school, CENTRE)
            mailed(db)
            hand_over_with_consent(db, one_of(city, CENTRE, None), report, role)
            yield f"centre brought in {role}", report, school, {CENTRE, role}, {role}


def test_each_report_is_seen_and_mailed_only_where_the_rule_says(db, two_schools):
    wrong, seen_so_far = [], {}
    for step, report, school, with_sides, told in journeys(db, two_schools):
        seen_so_far[report.id] = (step, school, with_sides)
        expected_mail = {s.id for s in two_schools.staff if may_see(s, school, told)}
        if mailed(db) != expected_mail:
            wrong.append(f"{step} at {school.name}: mail to the wrong people")
    for member in two_schools.staff:
        visible = {report.id for report in inbox(db, member)}
        for report_id, (step, school, with_sides) in seen_so_far.items():
            if (report_id in visible) != may_see(member, school, with_sides):
                where = "no school" if member.school_id is None else f"school {member.school_id}"
                wrong.append(f"{step} at {school.name}, as {member.role} of {where}")
    assert len(seen_so_far) == 2 * (len(RECIPIENTS) + 2 * len(SCHOOL_RECIPIENTS))
    assert not wrong, "\n".join(wrong)


# Accounts: a school's administrator manages their own school's accounts, and no other: not
# another school's, nor the accounts with no school at all (the centre's, the city admins').


def test_a_school_administrator_opens_and_changes_only_their_own_schools_accounts(client, city):
    school_a, _ = city.school()
    school_b, _ = city.school()
    accounts = {
        "own nurse": (city.staff("nurse", school_a), True),
        "own team": (city.staff("school_team", school_a), True),
        "other school's nurse": (city.staff("nurse", school_b), False),
        "other school's administrator": (city.staff("school_admin", school_b), False),
        "centre counsellor (no school)": (city.staff("centre"), False),
        "city administrator (no school)": (city.staff("admin"), False),
    }
    log_in(client, city.staff("school_admin", school_a))
    token = csrf_token_in(client.get("/staff/admin/staff").text)
    wrong = []
    for name, (account, own) in accounts.items():
        page = client.get(f"/staff/admin/staff/{account.id}")
        disabled = client.post(
            f"/staff/admin/staff/{account.id}/active",
            data={"csrf_token": token, "active": "0"},
            follow_redirects=False,
        )
        (active,) = city.db.execute(
            "SELECT active FROM staff WHERE id = ?", [account.id]
        ).fetchone()
        if own != (page.status_code == 200) or disabled.status_code != (303 if own else 404):
            wrong.append(f"{name}: page {page.status_code}, disabling {disabled.status_code}")
        if not own and not active:
            wrong.append(f"{name}: disabled")
    assert not wrong, wrong
    own_nurse = accounts["own nurse"][0]
    # The same form does change an account of their own school: the refusals above are real.
    assert city.db.execute("SELECT active FROM staff WHERE id = ?", [own_nurse.id]).fetchone() == (
        0,
    )
