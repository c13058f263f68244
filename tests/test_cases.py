"""Triage and case work in the domain: urgency and why, the checklist, the queue's order and
filters, status and outcome, assignment, notes, watch cases, coordination, supervisor review,
the audit trail and the weekly review."""

import sqlite3
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from school_report import case_review, cases, triage
from school_report.agency_notifications import (
    notifications_of,
    notify_agency,
    overdue_safety_checks,
    record_agency_answer,
)
from school_report.audit import case_trail
from school_report.case_file import case_file
from school_report.hours import centre_hours, city_zone
from school_report.overdue import deadlines, opening_deadline
from school_report.reports import (
    SubmissionError,
    add_pupil_message,
    pupil_report,
    report_for_staff,
    submit_report,
    thread,
)
from school_report.schools import add_school
from school_report.settings import get_setting, set_setting
from school_report.staff import add_staff, set_supervisor
from tests.support import PASSWORD, topic_id, unique


@pytest.fixture
def school(db):
    return add_school(db, "みなみ小学校", "elementary")


@pytest.fixture
def counsellor(db):
    return add_staff(db, "sato", PASSWORD, "centre", display_name="佐藤")


def report_to_centre(db, school, body="いえの ことで なやんでいる", topic="home"):
    submit_report(db, school, topic_id(db, topic), "centre", body, submission_key=unique("k"))
    return pupil_report(db, db.execute("SELECT max(id) FROM reports").fetchone()[0])


def kinds(db, report):
    return [event.kind for event in case_trail(db, report.id)]


def test_danger_words_in_the_first_message_make_the_report_urgent_with_the_words_kept(
    db, school, counsellor
):
    report = report_to_centre(db, school, body="もう ｼﾆﾀｲ")
    case = cases.case_of(db, report.id)
    assert pupil_report(db, report.id).urgency == "urgent"
    assert (case.urgency_source, case.urgency_reason) == ("danger_words", ["ｼﾆﾀｲ"])
    assert not case.urgency_confirmed
    assert kinds(db, report) == ["opened", "urgency_changed"]
    raised = case_trail(db, report.id)[1]
    assert (raised.staff_name, raised.detail["was"], raised.detail["to"]) == (
        None,
        "normal",
        "urgent",
    )


def test_a_later_pupil_message_with_danger_words_raises_the_urgency_again(db, school, counsellor):
    report = report_to_centre(db, school, body="ともだちと けんかした", topic="friends")
    assert report.urgency == "normal"
    add_pupil_message(db, report, "おとうさんに なぐられた")
    assert pupil_report(db, report.id).urgency == "urgent"
    assert cases.case_of(db, report.id).urgency_reason == ["なぐられた"]


def test_a_message_without_danger_words_changes_no_urgency(db, school):
    report = report_to_centre(db, school, body="ともだちを たすけられるかな", topic="friends")
    add_pupil_message(db, report, "ありがとう")
    assert pupil_report(db, report.id).urgency == "normal"
    assert kinds(db, report) == ["opened"]


def test_centre_lowers_an_urgency_with_its_reason_and_who_made_it_is_kept(db, school, counsellor):
    report = report_to_centre(db, school, body="しにたい")
    with pytest.raises(SubmissionError, match="urgency_reason_missing"):
        triage.set_urgency(db, counsellor, report, "high", reason="  ")
    assert pupil_report(db, report.id).urgency == "urgent"
    triage.set_urgency(db, counsellor, report, "high", reason="本人と電話で話し、今夜は安全と確認")
    case = cases.case_of(db, report.id)
    assert pupil_report(db, report.id).urgency == "high"
    assert (case.urgency_source, case.urgency_confirmed_by) == ("staff", "佐藤")
    lowered = case_trail(db, report.id)[-1]
    assert (lowered.kind, lowered.staff_name, lowered.detail) == (
        "urgency_changed",
        "佐藤",
        {
            "was": "urgent",
            "to": "high",
            "reason": "staff",
            "why": "本人と電話で話し、今夜は安全と確認",
        },
    )
    triage.set_urgency(db, counsellor, report, "urgent")  # raising needs no reason


def test_confirming_keeps_the_urgency_and_records_who_confirmed(db, school, counsellor):
    report = report_to_centre(db, school, body="しにたい")
    triage.confirm_urgency(db, counsellor, report)
    case = cases.case_of(db, report.id)
    assert case.urgency_confirmed and case.urgency_confirmed_by == "佐藤"
    assert case.urgency_source == "danger_words"
    assert kinds(db, report)[-1] == "urgency_confirmed"


def test_a_ticked_checklist_item_makes_the_case_urgent_and_keeps_who_ticked(db, school, counsellor):
    report = report_to_centre(db, school, body="おなかが すいた", topic="food_money")
    assert report.urgency == "high"
    triage.tick_checklist(db, counsellor, report, {"visible_injury"})
    assert pupil_report(db, report.id).urgency == "urgent"
    items = {item.key: item for item in triage.checklist(db, report.id)}
    assert items["visible_injury"].ticked_by == "佐藤"
    assert items["no_adult_today"].ticked_at is None
    triage.tick_checklist(db, counsellor, report, set())
    assert kinds(db, report)[-3:] == ["checklist_ticked", "urgency_changed", "checklist_unticked"]
    with pytest.raises(SubmissionError):
        triage.tick_checklist(db, counsellor, report, {"not_an_item"})


def test_only_the_centre_ticks_the_emergency_checklist(db, school):
    nurse = add_staff(db, "nurse-c", PASSWORD, "nurse", school)
    submit_report(db, school, topic_id(db, "body"), "nurse", "ころんだ", submission_key="c")
    report = pupil_report(db, db.execute("SELECT max(id) FROM reports").fetchone()[0])
    with pytest.raises(cases.NotAllowed, match="centre_only"):
        triage.tick_checklist(db, nurse, report, {"visible_injury"})
    assert "checklist_ticked" not in kinds(db, report)


def test_a_ticked_case_stays_urgent_until_the_items_are_unticked(db, school, counsellor):
    report = report_to_centre(db, school)
    triage.tick_checklist(db, counsellor, report, {"afraid_to_go_home"})
    with pytest.raises(SubmissionError, match="checklist_ticked"):
        triage.set_urgency(db, counsellor, report, "normal")
    assert pupil_report(db, report.id).urgency == "urgent"
    triage.set_urgency(db, counsellor, report, "urgent")  # confirming it is fine
    triage.tick_checklist(db, counsellor, report, set())
    triage.set_urgency(db, counsellor, report, "normal", reason="けがは古いものと確認")
    assert pupil_report(db, report.id).urgency == "normal"


def test_the_queue_puts_urgent_first_then_whoever_waited_longest(db, school, counsellor):
    first = report_to_centre(db, school, body="いえの こと")
    second = report_to_centre(db, school, body="いえの こと また")
    urgent = report_to_centre(db, school, body="たたかれる")
    db.execute(
        "UPDATE reports SET created_at = ? WHERE id = ?",
        [(datetime.now(UTC) - timedelta(hours=2)).isoformat(timespec="seconds"), second.id],
    )
    order = [row.report.id for row in triage.queue(db, counsellor, triage.QueueFilter()).rows]
    assert order == [urgent.id, second.id, first.id]


def test_queue_filters_and_their_counts(db, school, counsellor):
    other_school = add_school(db, "きた中学校", "junior_high")
    mine = report_to_centre(db, school)
    report_to_centre(db, other_school)
    cases.assign(db, counsellor, mine, counsellor.id)
    assert [
        r.report.id for r in triage.queue(db, counsellor, triage.QueueFilter(assignee="me")).rows
    ] == [mine.id]
    by_school = triage.QueueFilter(school_id=other_school.id)
    assert len(triage.queue(db, counsellor, by_school).rows) == 1
    counts = triage.queue_counts(db, counsellor, triage.QueueFilter(assignee="me"))
    assert counts.status["open"] == 1
    assert {f.label_ja: f.count for f in counts.schools} == {"みなみ小学校": 1}
    assert {f.value: f.count for f in counts.assignees} == {"": 1, str(counsellor.id): 1}


def test_an_unanswered_report_is_overdue_after_its_minutes_of_opening_hours(db, school):
    set_setting(db, "centre_hours", {"weekdays": list(range(7)), "open": "00:00", "close": "23:59"})
    set_setting(db, "centre_holidays", {"public_holidays": False, "closed": [], "open": []})
    report = report_to_centre(db, school, body="しにたい")
    clock = triage.deadlines(db)
    due = clock.due_at(pupil_report(db, report.id))
    assert due is not None and 14 <= (due - datetime.now(UTC)).total_seconds() / 60 <= 15


def test_opening_minutes_skip_the_hours_the_centre_is_closed(db):
    hours = centre_hours(db)
    zone = city_zone(db)
    friday_evening = datetime(2026, 1, 16, 17, 50, tzinfo=zone)
    # 15 minutes: 10 on Friday before 18:00, 5 on Monday after 10:00.
    assert opening_deadline(hours, friday_evening, 15) == datetime(2026, 1, 19, 10, 5, tzinfo=zone)
    assert get_setting(db, "overdue_minutes") == {
        "urgent": 15,
        "high": 480,
        "normal": 1440,
        "low": 2400,
    }


@pytest.mark.parametrize(
    ("arrives", "due"),
    [
        ((2026, 1, 19, 10, 0), (2026, 1, 19, 18, 0)),  # Monday at opening: by closing time
        ((2026, 1, 19, 17, 0), (2026, 1, 19, 18, 0)),  # an hour before closing: still today
        ((2026, 1, 19, 8, 30), (2026, 1, 19, 18, 0)),  # before opening: that day
        ((2026, 1, 23, 19, 0), (2026, 1, 26, 18, 0)),  # Friday evening: Monday's close
        ((2026, 1, 24, 12, 0), (2026, 1, 26, 18, 0)),  # Saturday: Monday's close
    ],
)
def test_a_high_report_is_due_by_closing_time_of_the_day_it_arrives(db, arrives, due):
    zone = city_zone(db)
    arrived = datetime(*arrives, tzinfo=zone).astimezone(UTC).isoformat()
    assert deadlines(db).deadline("high", arrived) == datetime(*due, tzinfo=zone)


def test_a_high_reports_minutes_can_only_bring_its_deadline_earlier(db):
    set_setting(db, "overdue_minutes", {"urgent": 15, "high": 60, "normal": 1440, "low": 2400})
    zone = city_zone(db)
    arrived = datetime(2026, 1, 19, 10, 0, tzinfo=zone).astimezone(UTC).isoformat()
    assert deadlines(db).deadline("high", arrived) == datetime(2026, 1, 19, 11, 0, tzinfo=zone)


def test_closing_needs_an_outcome_and_reopening_is_recorded(db, school, counsellor):
    report = report_to_centre(db, school)
    with pytest.raises(SubmissionError, match="outcome_missing"):
        cases.set_status(db, counsellor, report, "closed")
    cases.set_status(db, counsellor, report, "coordinating")
    cases.set_status(db, counsellor, report, "closed", "not_genuine")
    closed = cases.case_of(db, report.id)
    assert (closed.outcome, closed.closed_at is not None) == ("not_genuine", True)
    with pytest.raises(SubmissionError, match="messaging_closed"):
        add_pupil_message(db, pupil_report(db, report.id), "まだ いる？")
    cases.reopen(db, counsellor, report)
    assert pupil_report(db, report.id).status == "in_progress"
    assert cases.case_of(db, report.id).outcome is None
    assert kinds(db, report)[-3:] == ["status_changed", "closed", "reopened"]
    assert case_trail(db, report.id)[-1].detail == {"outcome": "not_genuine"}


def test_the_queue_counts_follow_every_change_of_a_case_at_once(db, school, counsellor):
    def open_and_mine():
        counts = triage.queue_counts(db, counsellor, triage.QueueFilter())
        mine = {f.value: f.count for f in counts.assignees}.get(str(counsellor.id), 0)
        return counts.status["open"], counts.status["closed"], mine

    first = report_to_centre(db, school)
    assert open_and_mine() == (1, 0, 0)
    second = report_to_centre(db, school)
    assert open_and_mine() == (2, 0, 0)
    cases.assign(db, counsellor, first, counsellor.id)
    assert open_and_mine() == (2, 0, 1)
    cases.set_status(db, counsellor, second, "closed", outcome="resolved")
    assert open_and_mine() == (1, 1, 1)


def test_the_queue_shows_fifty_reports_a_page_and_says_when_more_follow(db, school, counsellor):
    for _ in range(triage.PAGE_SIZE + 1):
        report_to_centre(db, school)
    first = triage.queue(db, counsellor, triage.QueueFilter())
    second = triage.queue(db, counsellor, triage.QueueFilter(page=1))
    assert (len(first.rows), first.more) == (triage.PAGE_SIZE, True)
    assert (len(second.rows), second.more) == (1, False)
    assert {r.report.id for r in first.rows}.isdisjoint({r.report.id for r in second.rows})


def test_a_case_can_be_assigned_only_to_a_colleague_of_the_same_inbox(db, school, counsellor):
    report = report_to_centre(db, school)
    nurse = add_staff(db, "nurse-a", PASSWORD, "nurse", school)
    with pytest.raises(SubmissionError):
        cases.assign(db, counsellor, report, nurse.id)
    colleague = add_staff(db, "suzuki", PASSWORD, "centre", display_name="鈴木")
    cases.assign(db, counsellor, report, colleague.id)
    cases.assign(db, counsellor, report, counsellor.id)
    assert cases.case_of(db, report.id).assignee_name == "佐藤"
    reassigned = case_trail(db, report.id)[-1]
    assert reassigned.detail == {"was": colleague.id, "to": counsellor.id, "to_name": "佐藤"}


def test_internal_notes_are_never_in_the_pupils_thread(db, school, counsellor):
    report = report_to_centre(db, school)
    cases.add_note(db, counsellor, report, "ないぶメモ: 児童相談所に連絡予定")
    assert [note.body for note in cases.notes_of(db, counsellor, report.id)] == [
        "ないぶメモ: 児童相談所に連絡予定"
    ]
    assert all("ないぶメモ" not in m.body for m in thread(db, report.id, for_pupil=True))
    with pytest.raises(SubmissionError, match="empty"):
        cases.add_note(db, counsellor, report, "   ")


def test_the_watch_flag_needs_a_reason_and_is_the_centres(db, school, counsellor):
    report = report_to_centre(db, school)
    with pytest.raises(SubmissionError, match="empty"):
        cases.set_watch(db, counsellor, report, True, "")
    cases.set_watch(db, counsellor, report, True, "同じ学校から3件目")
    assert [
        r.report.id for r in triage.queue(db, counsellor, triage.QueueFilter(watch=True)).rows
    ] == [report.id]
    team = add_staff(db, "team-a", PASSWORD, "school_team", school)
    with pytest.raises(cases.NotAllowed):
        cases.set_watch(db, team, report, False)


def test_an_abuse_notification_is_a_time_stamped_coordination_entry(db, school, counsellor):
    report = report_to_centre(db, school)
    at = datetime.now(UTC) - timedelta(minutes=30)
    cases.log_coordination(
        db,
        counsellor,
        report,
        agency="child_guidance_centre",
        contact_person="担当 田中",
        summary="虐待通告を行った",
        pupil_consent="not_asked",
        abuse_notification=True,
        contacted_at=at,
    )
    (entry,) = cases.coordination_of(db, report.id)
    assert entry.abuse_notification and entry.contacted_at == at.isoformat(timespec="seconds")
    assert case_trail(db, report.id)[-1].detail["abuse_notification"] is True
    with pytest.raises(SubmissionError, match="in_the_future"):
        cases.log_coordination(
            db,
            counsellor,
            report,
            agency="police",
            contact_person="",
            summary="x",
            pupil_consent="agreed",
            abuse_notification=False,
            contacted_at=datetime.now(UTC) + timedelta(hours=1),
        )
    assert len(cases.coordination_of(db, report.id)) == 1


@pytest.mark.parametrize("agency", ["school", "police", "hospital", "other"])
def test_an_abuse_notification_is_never_logged_against_a_school_or_another_agency(
    db, school, counsellor, agency
):
    report = report_to_centre(db, school)
    with pytest.raises(SubmissionError, match="notification_agency"):
        cases.log_coordination(
            db,
            counsellor,
            report,
            agency=agency,
            contact_person="",
            summary="虐待通告",
            pupil_consent="not_asked",
            abuse_notification=True,
            contacted_at=datetime.now(UTC),
        )
    assert cases.coordination_of(db, report.id) == []


def test_a_contact_entered_in_the_citys_time_is_kept_in_utc_like_every_other_time(
    db, school, counsellor
):
    report = report_to_centre(db, school)
    tokyo = datetime(2026, 4, 1, 8, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
    cases.log_coordination(
        db,
        counsellor,
        report,
        agency="school",
        contact_person="",
        summary="担任に連絡",
        pupil_consent="agreed",
        abuse_notification=False,
        contacted_at=tokyo,
    )
    (entry,) = cases.coordination_of(db, report.id)
    assert entry.contacted_at == "2026-03-31T23:30:00+00:00"


def test_a_trainees_reply_waits_for_a_supervisor_before_the_pupil_sees_it(db, school, counsellor):
    report = report_to_centre(db, school)
    trainee = add_staff(db, "trainee", PASSWORD, "centre", display_name="研修生")
    db.execute("UPDATE staff SET needs_review = 1 WHERE id = ?", [trainee.id])
    cases.send_reply(db, trainee, report, "はなしてくれて ありがとう")
    assert [m.author for m in thread(db, report.id, for_pupil=True)] == ["pupil"]
    assert pupil_report(db, report.id).first_reply_at is None
    # Staff outside training are not supervisors for that: the city names supervisors.
    assert cases.pending_replies(db, counsellor) == []
    with pytest.raises(cases.NotAllowed, match="not_a_supervisor"):
        cases.approve_reply(db, counsellor, report, 1, "x")
    set_supervisor(db, counsellor.id, True)
    (pending,) = cases.pending_replies(db, counsellor)
    assert cases.pending_replies(db, trainee) == []
    with pytest.raises(cases.NotAllowed):
        cases.approve_reply(db, trainee, report, pending.message_id, "x")
    cases.approve_reply(db, counsellor, report, pending.message_id, "はなしてくれて ありがとうね")
    seen = thread(db, report.id, for_pupil=True)
    assert seen[-1].body == "はなしてくれて ありがとうね"
    assert pupil_report(db, report.id).status == "in_progress"
    approved = case_trail(db, report.id)[-1]
    assert (approved.kind, approved.detail["written"]) == (
        "reply_approved",
        "はなしてくれて ありがとう",
    )
    with pytest.raises(SubmissionError, match="already_reviewed"):
        cases.approve_reply(db, counsellor, report, pending.message_id, "again")


def test_a_supervisor_returns_a_trainees_reply_with_a_comment_the_pupil_never_sees(
    db, school, counsellor
):
    report = report_to_centre(db, school)
    trainee = add_staff(db, "trainee", PASSWORD, "centre", display_name="研修生")
    db.execute("UPDATE staff SET needs_review = 1 WHERE id = ?", [trainee.id])
    set_supervisor(db, trainee.id, True)  # someone in training is never made a supervisor
    assert not cases.is_supervisor(db, trainee)
    cases.send_reply(db, trainee, report, "だいじょうぶだよ、きにしないで")
    (pending,) = cases.pending_replies(db, counsellor) or [None]
    assert pending is None  # not a supervisor yet
    set_supervisor(db, counsellor.id, True)
    (pending,) = cases.pending_replies(db, counsellor)
    with pytest.raises(SubmissionError, match="empty"):
        cases.return_reply(db, counsellor, report, pending.message_id, " ")
    cases.return_reply(db, counsellor, report, pending.message_id, "気持ちを受け止める言葉から")
    assert [m.author for m in thread(db, report.id, for_pupil=False)] == ["pupil"]
    assert cases.pending_replies(db, counsellor) == []
    returned = case_trail(db, report.id)[-1]
    assert returned.kind == "reply_returned" and returned.detail == {
        "message_id": pending.message_id,
        "written": "だいじょうぶだよ、きにしないで",
        "trainee_id": trainee.id,
        "comment": "気持ちを受け止める言葉から",
    }


def test_nobody_can_edit_the_audit_trail(db, school, counsellor):
    report = report_to_centre(db, school)
    cases.set_headline(db, counsellor, report, "家庭での不安、本人は帰宅を拒否")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE case_events SET kind = 'nothing' WHERE report_id = ?", [report.id])
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("DELETE FROM case_events WHERE report_id = ?", [report.id])
    assert kinds(db, report) == ["opened", "headline_changed"]


def test_the_case_file_marks_danger_words_in_the_pupils_messages(db, school, counsellor):
    report = report_to_centre(db, school, body="きのう けられた。いたい")
    view = case_file(db, counsellor, report_for_staff(db, counsellor, report.id))
    (pieces,) = view.highlights.values()
    assert pieces == [("きのう ", False), ("けられた", True), ("。いたい", False)]
    assert view.may_work and view.is_centre and not view.may_approve  # not a supervisor


def test_the_weekly_review_lists_open_cases_of_the_week_without_pupil_names(db, school, counsellor):
    submit_report(
        db,
        school,
        topic_id(db, "home"),
        "centre",
        "いえの こと",
        submission_key="named",
        pupil_name="やまだ はなこ",
    )
    report = pupil_report(db, db.execute("SELECT max(id) FROM reports").fetchone()[0])
    cases.add_note(db, counsellor, report, "母親と面談の予定。\n二行目は出ない")
    cases.set_watch(db, counsellor, report, True, "再発のおそれ")
    today = datetime.now(city_zone(db)).date()
    (row,) = case_review.weekly_review(db, counsellor, today - timedelta(days=today.weekday()))
    assert (row.report_id, row.school_kind, row.latest_note, row.watch_case) == (
        report.id,
        "elementary",
        "母親と面談の予定。",
        True,
    )
    assert "やまだ" not in repr(row)
    assert case_review.weekly_review(db, counsellor, date(2020, 1, 6)) == []
    team = add_staff(db, "team-b", PASSWORD, "school_team", school)
    with pytest.raises(cases.NotAllowed):
        case_review.weekly_review(db, team, date(2020, 1, 6))


# 通告: followed to the agency's answer, with the 48-hour safety check


def test_an_abuse_notification_runs_a_48_hour_safety_check_until_the_agency_answers(
    db, school, counsellor
):
    report = report_to_centre(db, school)
    two_days_ago = datetime.now(UTC) - timedelta(hours=49)
    notify_agency(
        db,
        counsellor,
        report,
        agency="child_guidance_centre",
        contact_person="児相 田中",
        summary="身体的虐待の疑いで通告",
        notified_at=two_days_ago,
    )
    (notice,) = notifications_of(db, report.id)
    assert notice.duty == "児童虐待防止法 第6条" and notice.late
    assert overdue_safety_checks(db, [report.id]) == {report.id}
    (row,) = triage.queue(db, counsellor, triage.QueueFilter()).rows
    assert row.safety_check_overdue
    # it is a contact with the agency in the coordination log too, marked, for the statistics
    (entry,) = cases.coordination_of(db, report.id)
    assert entry.abuse_notification and entry.agency == "child_guidance_centre"
    record_agency_answer(
        db,
        counsellor,
        report,
        notice.id,
        answer="家庭訪問で安全確認済み",
        safety_confirmed=True,
        answered_at=datetime.now(UTC),
    )
    (notice,) = notifications_of(db, report.id)
    assert not notice.late and notice.safety_confirmed
    assert overdue_safety_checks(db, [report.id]) == set()
    kinds = [event.kind for event in case_trail(db, report.id)]
    assert "agency_notified" in kinds and "agency_answered" in kinds


def test_an_abuse_notification_within_48_hours_is_not_yet_overdue_and_never_goes_to_a_school(
    db, school, counsellor
):
    report = report_to_centre(db, school)
    with pytest.raises(SubmissionError, match="notification_agency"):
        notify_agency(
            db,
            counsellor,
            report,
            agency="school",
            contact_person="",
            summary="x",
            notified_at=datetime.now(UTC),
        )
    notify_agency(
        db,
        counsellor,
        report,
        agency="ward_office",
        contact_person="",
        summary="区役所へ通告",
        notified_at=datetime.now(UTC) - timedelta(hours=47),
    )
    assert overdue_safety_checks(db, [report.id]) == set()


def test_the_advice_of_the_weekly_review_is_kept_on_the_case_and_shown_at_the_next(
    db, school, counsellor
):
    report = report_to_centre(db, school)
    cases.record_advice(db, counsellor, report, "学校と連携し、見守りを続ける", date(2026, 12, 2))
    (advice,) = cases.advice_of(db, report.id)
    assert (advice.text, advice.meeting, advice.staff_name) == (
        "学校と連携し、見守りを続ける",
        "2026-12-02",
        "佐藤",
    )
    monday = datetime.now(UTC).astimezone(city_zone(db)).date()
    monday -= timedelta(days=monday.weekday())
    (row,) = case_review.weekly_review(db, counsellor, monday)
    assert row.latest_advice == "学校と連携し、見守りを続ける"
    with pytest.raises(SubmissionError, match="empty"):
        cases.record_advice(db, counsellor, report, " ", date(2026, 12, 2))
    nurse = add_staff(db, unique("nurse"), PASSWORD, "nurse", school)
    with pytest.raises(cases.NotAllowed):
        cases.record_advice(db, nurse, report, "x", date(2026, 12, 2))
