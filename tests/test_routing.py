"""Routing: the pupil's choice is respected, the topic only preselects; the server refuses
recipients the city does not offer; each staff member's inbox holds exactly their reports."""

import pytest

from school_report.reports import report_for_staff, submit_report
from school_report.routing import RouteRefused, check_route, recipient_choices
from school_report.schools import add_school
from school_report.staff import add_staff
from school_report.topics import active_topics
from tests.support import inbox

PASSWORD = "a long enough password"


def topic(db, slug):
    return next(t for t in active_topics(db) if t.slug == slug)


@pytest.mark.parametrize(
    ("slug", "first"),
    [
        ("bullying", "school_team"),
        ("teacher", "centre"),
        ("body", "nurse"),
        ("feelings", "nurse"),
        ("home", "centre"),
        ("hurt_at_home", "centre"),
        ("young_carer", "centre"),
    ],
)
def test_the_topic_default_comes_first_and_every_offered_recipient_follows(db, slug, first):
    choices = [r.slug for r in recipient_choices(db, topic(db, slug))]
    assert choices[0] == first
    assert sorted(choices) == ["centre", "nurse", "school_team"]


def test_other_has_no_default_so_the_pupil_chooses(db):
    assert topic(db, "other").default_recipient is None


def test_the_pupil_may_choose_a_recipient_other_than_the_default(db):
    chosen_topic, recipient = check_route(db, topic(db, "home").id, "nurse")
    assert (chosen_topic.slug, recipient.slug) == ("home", "nurse")


def test_a_recipient_the_city_does_not_offer_is_refused(db):
    db.execute("UPDATE recipients SET offered = 0 WHERE slug = 'nurse'")
    assert [r.slug for r in recipient_choices(db, topic(db, "body"))] == ["school_team", "centre"]
    with pytest.raises(RouteRefused):
        check_route(db, topic(db, "body").id, "nurse")
    with pytest.raises(RouteRefused):
        check_route(db, topic(db, "body").id, "principal")


def test_an_inactive_or_unknown_topic_is_refused(db):
    db.execute("UPDATE topics SET active = 0 WHERE slug = 'study'")
    with pytest.raises(RouteRefused):
        check_route(db, topic(db, "bullying").id + 1000, "centre")
    study_id = db.execute("SELECT id FROM topics WHERE slug = 'study'").fetchone()[0]
    with pytest.raises(RouteRefused):
        check_route(db, study_id, "school_team")


def test_each_inbox_holds_exactly_its_schools_reports_for_its_role(db):
    south, north = add_school(db, "South", "elementary"), add_school(db, "North", "junior_high")
    staff = {
        "south nurse": add_staff(db, "sn", PASSWORD, "nurse", south),
        "south team": add_staff(db, "st", PASSWORD, "school_team", south),
        "north nurse": add_staff(db, "nn", PASSWORD, "nurse", north),
        "centre": add_staff(db, "c", PASSWORD, "centre"),
        "admin": add_staff(db, "a", PASSWORD, "admin"),
    }
    bullying = topic(db, "bullying").id
    sent = {}
    for school in (south, north):
        for recipient in ("nurse", "school_team", "centre"):
            submit_report(
                db, school, bullying, recipient, "x", submission_key=f"{school.id}{recipient}"
            )
            sent[(school.name, recipient)] = db.execute("SELECT max(id) FROM reports").fetchone()[0]

    def seen(who):
        return {report.id for report in inbox(db, staff[who])}

    assert seen("south nurse") == {sent[("South", "nurse")]}
    assert seen("south team") == {sent[("South", "school_team")]}
    assert seen("north nurse") == {sent[("North", "nurse")]}
    assert seen("centre") == {sent[("South", "centre")], sent[("North", "centre")]}
    assert seen("admin") == set()
    for who, member in staff.items():
        for report_id in set(sent.values()) - seen(who):
            assert report_for_staff(db, member, report_id) is None, (who, report_id)
