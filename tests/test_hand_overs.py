"""Hand-overs between a school and the centre in the domain: who then sees the report, its
messages and its notes, who answers it, what the pupil's consent allows, and what is recorded."""

from datetime import UTC, datetime

import pytest

from school_report import triage
from school_report.case_file import case_file
from school_report.cases import (
    NotAllowed,
    add_note,
    assign,
    case_for,
    log_coordination,
    mark_unread,
    notes_of,
    set_headline,
    set_status,
    set_watch,
)
from school_report.grounds import GroundRefused
from school_report.hand_overs import (
    HandOverRefused,
    hand_over,
    hand_over_targets,
    hand_overs_of,
    mark_hand_over_read,
    pupil_notices,
    unread_hand_overs,
)
from school_report.reports import (
    add_pupil_message,
    add_staff_reply,
    mark_read,
    pupil_report,
    report_for_staff,
    submit_report,
    thread,
    unread_count,
)
from school_report.routing import answers_report
from school_report.schools import add_school
from school_report.staff import add_staff
from tests.support import PASSWORD, inbox, topic_id, unique


@pytest.fixture
def school(db):
    return add_school(db, "みなみ小学校", "elementary")


@pytest.fixture
def people(db, school):
    other = add_school(db, "きた中学校", "junior_high")
    return {
        role: add_staff(db, unique(role.replace(" ", "-")), PASSWORD, role.split()[0], where)
        for role, where in (
            ("nurse", school),
            ("school_team", school),
            ("centre", None),
            ("nurse elsewhere", other),
        )
    }


def report(db, school, recipient="nurse", body="いえに かえりたくない"):
    submit_report(db, school, topic_id(db, "home"), recipient, body, submission_key=unique("k"))
    return pupil_report(db, db.execute("SELECT max(id) FROM reports").fetchone()[0])


def refer(db, staff, sent, to="centre", consent="agreed", **fields):
    consent = fields.pop("consent", consent)
    fields = {"ground": "consent", "reason": "福祉の相談です", **fields}
    hand_over(db, staff, sent, to, pupil_consent=consent, **fields)


def sees(db, staff, sent):
    return report_for_staff(db, staff, sent.id) is not None


def bodies(db, staff, sent):
    return [m.body for m in thread(db, sent.id, for_pupil=False, viewer=staff)]


def test_a_nurse_refers_a_report_and_the_centre_answers_it_while_the_school_reads_on(
    db, school, people
):
    nurse, team, centre = people["nurse"], people["school_team"], people["centre"]
    sent = report(db, school)
    assert not sees(db, centre, sent)
    refer(db, nurse, sent)
    assert sees(db, centre, sent) and answers_report(db, centre, sent.id)
    assert [r.id for r in inbox(db, centre)] == [sent.id]
    assert sees(db, nurse, sent) and not answers_report(db, nurse, sent.id)
    assert not sees(db, team, sent) and not sees(db, people["nurse elsewhere"], sent)
    add_staff_reply(db, centre, sent, "センターです。おはなし きかせてね")
    assert "センターです。おはなし きかせてね" in bodies(db, nurse, sent)


def test_the_centre_brings_in_the_school_team_which_reads_the_thread_but_does_not_answer(
    db, school, people
):
    centre, team, nurse = people["centre"], people["school_team"], people["nurse"]
    sent = report(db, school, "centre")
    assert hand_over_targets(db, centre, sent) == ["nurse", "school_team"]
    refer(db, centre, sent, "school_team", reason="学校での見守りをお願いします")
    assert sees(db, team, sent) and not answers_report(db, team, sent.id)
    assert bodies(db, team, sent) == ["いえに かえりたくない"]
    assert not sees(db, nurse, sent)
    assert answers_report(db, centre, sent.id)
    assert hand_over_targets(db, centre, sent) == ["nurse"]
    assert hand_over_targets(db, team, sent) == []


def test_a_summary_only_hand_over_shows_the_school_none_of_the_pupils_messages(db, school, people):
    centre, nurse = people["centre"], people["nurse"]
    sent = report(db, school, "centre")
    refer(db, centre, sent, "nurse", shares="summary", summary="体調を気にかけてください")
    assert sees(db, nurse, sent)
    assert bodies(db, nurse, sent) == []
    assert bodies(db, centre, sent) == ["いえに かえりたくない"]


def test_a_summary_only_hand_over_needs_the_summary(db, school, people):
    sent = report(db, school, "centre")
    with pytest.raises(HandOverRefused) as refused:
        refer(db, people["centre"], sent, "nurse", shares="summary", summary=" ")
    assert refused.value.reason == "summary_missing"
    assert not sees(db, people["nurse"], sent)


def test_internal_notes_stay_with_the_side_that_wrote_them(db, school, people):
    nurse, centre = people["nurse"], people["centre"]
    sent = report(db, school)
    add_note(db, nurse, sent, "学校のメモ")
    refer(db, nurse, sent)
    add_note(db, centre, sent, "センター内部のメモ")
    assert [n.body for n in notes_of(db, nurse, sent.id)] == ["学校のメモ"]
    assert [n.body for n in notes_of(db, centre, sent.id)] == ["センター内部のメモ"]


def test_a_message_the_pupil_keeps_from_the_school_is_never_shown_to_the_school(db, school, people):
    centre, nurse = people["centre"], people["nurse"]
    sent = report(db, school, "centre")
    add_pupil_message(db, sent, "がっこうには いわないで", keep_from_school=True)
    add_pupil_message(db, sent, "ありがとう")
    refer(db, centre, sent, "nurse")
    assert bodies(db, nurse, sent) == ["いえに かえりたくない", "ありがとう"]
    kept = [m for m in thread(db, sent.id, for_pupil=False, viewer=centre) if m.keep_from_school]
    assert [m.body for m in kept] == ["がっこうには いわないで"]


def test_a_referring_school_does_not_read_what_the_pupil_then_keeps_from_it(db, school, people):
    nurse = people["nurse"]
    sent = report(db, school)
    refer(db, nurse, sent)
    add_pupil_message(db, sent, "せんせいには ないしょ", keep_from_school=True)
    assert "せんせいには ないしょ" not in bodies(db, nurse, sent)
    assert "せんせいには ないしょ" in bodies(db, people["centre"], sent)


def test_asking_to_keep_a_message_from_the_school_is_ignored_while_the_school_has_the_thread(
    db, school, people
):
    nurse = people["nurse"]
    sent = report(db, school)
    add_pupil_message(db, sent, "ほけんの せんせいへ", keep_from_school=True)
    assert "ほけんの せんせいへ" in bodies(db, nurse, sent)


@pytest.mark.parametrize(
    ("who", "recipient", "to", "consent", "ground", "reason"),
    [
        ("nurse", "nurse", "centre", "not_asked", None, "ground_missing"),
        ("nurse", "nurse", "centre", "refused", "consent", "ground_consent_not_given"),
        ("centre", "centre", "nurse", "not_asked", "consent", "ground_consent_not_given"),
        # 児童虐待防止法 第6条 is a notification to 児相/市町村/福祉事務所, never to a school
        (
            "centre",
            "centre",
            "school_team",
            "not_asked",
            "legal_duty",
            "ground_legal_duty_not_to_school",
        ),
        ("centre", "centre", "nurse", "refused", "bullying_duty", "ground_bullying_duty_scope"),
        ("nurse", "nurse", "centre", "not_asked", "bullying_duty", "ground_bullying_duty_scope"),
        ("nurse", "nurse", "centre", "not_asked", "legal_duty", "ground_duty_unnamed"),
    ],
)
def test_a_hand_over_without_a_lawful_ground_is_refused_and_nothing_is_recorded(
    db, school, people, who, recipient, to, consent, ground, reason
):
    sent = report(db, school, recipient)
    with pytest.raises(GroundRefused) as refused:
        refer(db, people[who], sent, to, consent, ground=ground)
    assert refused.value.reason == reason
    assert db.execute("SELECT count(*) FROM hand_overs").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM case_events WHERE kind = 'handed_over'").fetchone() == (
        0,
    )


def test_the_centre_brings_in_a_school_without_consent_only_to_protect_life_or_body(
    db, school, people
):
    sent = report(db, school, "centre", "もう しにたい")
    refer(db, people["centre"], sent, "nurse", "not_asked", ground="life_or_body")
    assert db.execute("SELECT pupil_consent, ground, legal_duty FROM hand_overs").fetchone() == (
        "not_asked",
        "life_or_body",
        0,
    )
    (notice,) = pupil_notices(db, sent.id)
    assert notice.ground == "life_or_body"


def test_a_school_refers_on_a_legal_duty_it_names_and_the_trail_keeps_the_name(db, school, people):
    sent = report(db, school)
    duty = "児童虐待防止法 第6条（センター経由で通告）"
    refer(db, people["nurse"], sent, consent="refused", ground="legal_duty", duty=duty)
    assert db.execute("SELECT ground, duty, legal_duty FROM hand_overs").fetchone() == (
        "legal_duty",
        duty,
        1,
    )
    (detail,) = db.execute("SELECT detail FROM case_events WHERE kind = 'handed_over'").fetchone()
    assert '"ground": "legal_duty"' in detail and "第6条" in detail


def test_a_nurse_tells_the_schools_team_of_bullying_on_the_bullying_duty(db, school, people):
    nurse, team = people["nurse"], people["school_team"]
    submit_report(
        db, school, topic_id(db, "bullying"), "nurse", "むしされてる", submission_key=unique("k")
    )
    sent = pupil_report(db, db.execute("SELECT max(id) FROM reports").fetchone()[0])
    assert hand_over_targets(db, nurse, sent) == ["centre", "school_team"]
    refer(db, nurse, sent, "school_team", "not_asked", ground="bullying_duty")
    assert sees(db, team, sent) and not answers_report(db, team, sent.id)
    assert answers_report(db, nurse, sent.id)
    (notice,) = pupil_notices(db, sent.id)
    assert (notice.direction, notice.ground) == ("nurse_to_team", "bullying_duty")


def test_the_bullying_duty_covers_bullying_only(db, school, people):
    sent = report(db, school, "nurse", "いえに かえりたくない")
    with pytest.raises(GroundRefused) as refused:
        refer(db, people["nurse"], sent, "school_team", "not_asked", ground="bullying_duty")
    assert refused.value.reason == "ground_bullying_duty_scope"


def test_a_school_may_refer_without_having_asked_to_protect_life_or_body(db, school, people):
    sent = report(db, school)
    refer(db, people["nurse"], sent, consent="not_asked", ground="life_or_body")
    assert sees(db, people["centre"], sent)


def test_a_referral_lands_at_the_centre_new_unread_and_unassigned(db, school, people):
    nurse, centre = people["nurse"], people["centre"]
    sent = report(db, school)
    assign(db, nurse, sent, nurse.id)
    set_status(db, nurse, sent, "in_progress")
    mark_read(db, sent)
    refer(db, nurse, sent)
    (status, assigned, unread) = db.execute(
        "SELECT status, assigned_to, staff_unread FROM reports WHERE id = ?", [sent.id]
    ).fetchone()
    assert (status, assigned, unread) == ("new", None, 1)
    assert unread_hand_overs(db, centre, [sent.id]) == {sent.id}
    mark_hand_over_read(db, centre, sent.id)
    assert unread_hand_overs(db, centre, [sent.id]) == set()
    (record,) = hand_overs_of(db, sent.id)
    assert record.read_at is not None


@pytest.mark.parametrize(
    ("who", "to"),
    [
        ("school_team", "centre"),  # not theirs: the pupil wrote to the nurse
        ("nurse elsewhere", "centre"),
        ("school_team", "nurse"),  # a team refers to the centre only
        ("centre", "nurse"),  # the centre does not have it yet
    ],
)
def test_only_who_answers_a_report_may_hand_it_over_and_only_as_the_rules_allow(
    db, school, people, who, to
):
    sent = report(db, school)
    with pytest.raises(HandOverRefused) as refused:
        refer(db, people[who], sent, to)
    assert refused.value.reason == "hand_over_not_possible"
    assert db.execute("SELECT count(*) FROM hand_overs").fetchone() == (0,)


def test_a_report_is_referred_once_and_its_trail_records_it(db, school, people):
    nurse = people["nurse"]
    sent = report(db, school)
    refer(db, nurse, sent)
    with pytest.raises(HandOverRefused):
        refer(db, nurse, sent)
    (detail,) = db.execute(
        "SELECT detail FROM case_events WHERE report_id = ? AND kind = 'handed_over'", [sent.id]
    ).fetchone()
    assert '"to": "centre"' in detail and '"consent": "agreed"' in detail


def test_an_empty_reason_is_refused_and_nothing_is_recorded(db, school, people):
    sent = report(db, school)
    with pytest.raises(HandOverRefused) as refused:
        refer(db, people["nurse"], sent, reason="   ")
    assert refused.value.reason == "reason_missing"
    assert db.execute("SELECT count(*) FROM case_events WHERE kind = 'handed_over'").fetchone() == (
        0,
    )


def test_the_pupil_is_told_who_knows_and_on_what_ground_never_the_staffs_own_words(
    db, school, people
):
    sent = report(db, school)
    refer(db, people["nurse"], sent, consent="agreed", reason="ないしょの りゆう")
    (notice,) = pupil_notices(db, sent.id)
    assert (notice.to_recipient, notice.ground) == ("centre", "consent")
    assert "ないしょ" not in repr(notice)


def test_a_school_team_refers_its_report_and_keeps_reading_it(db, school, people):
    team, centre = people["school_team"], people["centre"]
    sent = report(db, school, "school_team", "ともだちに むしされる")
    refer(db, team, sent, reason="家庭の事情も関わるため")
    assert answers_report(db, centre, sent.id) and not answers_report(db, team, sent.id)
    assert sees(db, team, sent) and not sees(db, people["nurse"], sent)
    assert bodies(db, team, sent) == ["ともだちに むしされる"]


# What each side sees of the other's work after a hand-over


def test_danger_words_the_pupil_kept_from_the_school_are_not_shown_to_it(db, school, people):
    nurse, centre = people["nurse"], people["centre"]
    sent = report(db, school)
    refer(db, nurse, sent)
    add_pupil_message(db, sent, "ほんとうは しにたい", keep_from_school=True)
    assert case_for(db, centre, sent.id).urgency_reason == ["しにたい"]
    seen = case_file(db, nurse, report_for_staff(db, nurse, sent.id))
    assert (seen.case.urgency_source, seen.case.urgency_reason) == ("danger_words", [])
    raised = [e for e in seen.trail if e.kind == "urgency_changed"]
    assert raised and all("words" not in e.detail for e in raised)
    assert "しにたい" not in repr(seen)  # nor in the marked danger words of the thread
    (row,) = triage.queue(db, nurse, triage.QueueFilter()).rows
    assert row.case.urgency_reason == []


def test_danger_words_of_a_thread_shared_only_as_a_summary_are_not_shown(db, school, people):
    centre, nurse = people["centre"], people["nurse"]
    sent = report(db, school, "centre", "おとうさんに たたかれた")
    assert case_for(db, centre, sent.id).urgency_reason == ["たたかれた"]
    refer(db, centre, sent, "nurse", shares="summary", summary="見守りをお願いします")
    seen = case_file(db, nurse, report_for_staff(db, nurse, sent.id))
    assert seen.case.urgency_reason == [] and "たたかれた" not in repr(seen)


def test_a_school_reading_every_message_sees_the_words_that_raised_the_urgency(db, school, people):
    centre, team = people["centre"], people["school_team"]
    sent = report(db, school, "centre", "もう しにたい")
    refer(db, centre, sent, "school_team", reason="見守り")
    assert case_for(db, team, sent.id).urgency_reason == ["しにたい"]


def centre_works_the_case(db, centre, sent):
    triage.tick_checklist(db, centre, sent, {"visible_injury"})
    set_watch(db, centre, sent, True, "同じ家庭から二件目")
    set_headline(db, centre, sent, "センターの見立て")
    add_note(db, centre, sent, "センター内部のメモ")
    log_coordination(
        db,
        centre,
        sent,
        agency="child_guidance_centre",
        contact_person="",
        summary="虐待通告",
        pupil_consent="not_asked",
        abuse_notification=True,
        contacted_at=datetime.now(UTC),
    )


@pytest.mark.parametrize("direction", ["school_to_centre", "centre_to_school"])
def test_a_school_never_sees_the_centres_own_work_on_a_case(db, school, people, direction):
    nurse, centre = people["nurse"], people["centre"]
    sent = report(db, school, "nurse" if direction == "school_to_centre" else "centre")
    if direction == "school_to_centre":
        refer(db, nurse, sent)
    else:
        refer(db, centre, sent, "nurse")
    centre_works_the_case(db, centre, sent)
    seen = case_file(db, nurse, report_for_staff(db, nurse, sent.id))
    assert not {e.kind for e in seen.trail} & {
        "checklist_ticked",
        "watch_flagged",
        "coordination_logged",
        "headline_changed",
        "note_added",
    }
    assert (seen.case.headline, seen.case.watch_case, seen.case.watch_reason) == (None, False, None)
    assert seen.checklist == [] and seen.coordination == []
    assert "visible_injury" not in repr(seen) and "同じ家庭" not in repr(seen)
    assert "handed_over" in {e.kind for e in seen.trail}
    (row,) = triage.queue(db, nurse, triage.QueueFilter()).rows
    assert (row.case.headline, row.case.watch_reason) == (None, None)
    full = case_file(db, centre, report_for_staff(db, centre, sent.id))
    assert {"checklist_ticked", "watch_flagged", "coordination_logged"} <= {
        e.kind for e in full.trail
    }
    assert full.checklist_label("visible_injury", "ja") != "visible_injury"


def test_a_schools_own_case_work_stays_visible_to_it_after_it_refers(db, school, people):
    nurse, centre = people["nurse"], people["centre"]
    sent = report(db, school)
    set_headline(db, nurse, sent, "保健室での様子が心配")
    add_note(db, nurse, sent, "学校のメモ")
    set_status(db, nurse, sent, "in_progress")
    refer(db, nurse, sent)
    add_note(db, centre, sent, "センター内部のメモ")
    seen = case_file(db, nurse, report_for_staff(db, nurse, sent.id))
    assert seen.case.headline == "保健室での様子が心配"
    kinds = [e.kind for e in seen.trail]
    assert kinds.count("note_added") == 1 and "headline_changed" in kinds
    assert "status_changed" in kinds
    assert case_for(db, centre, sent.id).headline == "保健室での様子が心配"


# Unread belongs to the side that answers


def test_a_referred_report_is_unread_for_the_centre_and_never_for_the_school_that_reads_it(
    db, school, people
):
    nurse, centre = people["nurse"], people["centre"]
    sent = report(db, school)
    refer(db, nurse, sent)
    assert (unread_count(db, nurse), unread_count(db, centre)) == (0, 1)
    (row,) = triage.queue(db, nurse, triage.QueueFilter()).rows
    assert not row.report.staff_unread
    mark_read(db, sent)
    add_pupil_message(db, sent, "がっこうには ないしょ", keep_from_school=True)
    assert (unread_count(db, nurse), unread_count(db, centre)) == (0, 1)


def test_a_school_cannot_mark_a_report_it_referred_unread_for_the_centre(db, school, people):
    nurse, centre = people["nurse"], people["centre"]
    sent = report(db, school)
    refer(db, nurse, sent)
    mark_read(db, sent)
    with pytest.raises(NotAllowed):
        mark_unread(db, nurse, sent)
    assert unread_count(db, centre) == 0
    mark_unread(db, centre, sent)
    assert unread_count(db, centre) == 1


# Refusals in staff words


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"reason": "り" * 1001}, "reason_too_long"),
        ({"consent": ""}, "consent_missing"),
        ({"reason": "理由\x07"}, "hand_over_form"),
    ],
)
def test_a_refused_hand_over_names_the_field_in_staff_words(db, school, people, fields, reason):
    sent = report(db, school)
    with pytest.raises(HandOverRefused) as refused:
        refer(db, people["nurse"], sent, **fields)
    assert refused.value.reason == reason


def test_a_summary_over_its_limit_is_refused_as_the_summarys(db, school, people):
    sent = report(db, school, "centre")
    with pytest.raises(HandOverRefused) as refused:
        refer(db, people["centre"], sent, "nurse", shares="summary", summary="よ" * 2001)
    assert refused.value.reason == "summary_too_long"
