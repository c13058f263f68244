"""What the detector changes for the centre: a report raised with its family and language
recorded, the queue ordered within 緊急 by the family's severity before waiting time, and the
case page and queue saying why and in which language the child wrote."""

from datetime import UTC, datetime, timedelta

import pytest

from school_report import cases, triage
from school_report.audit import case_trail
from school_report.reports import add_pupil_message, pupil_report, submit_report
from school_report.schools import add_school
from school_report.staff import add_staff
from tests.support import PASSWORD, log_in, send_report, topic_id, unique


@pytest.fixture
def school(db):
    return add_school(db, "きた小学校", "elementary")


@pytest.fixture
def counsellor(db):
    return add_staff(db, "suzuki", PASSWORD, "centre", display_name="鈴木")


def report_to_centre(db, school, body, hours_ago=0):
    submit_report(db, school, topic_id(db, "home"), "centre", body, submission_key=unique("k"))
    report_id = db.execute("SELECT max(id) FROM reports").fetchone()[0]
    created = (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat(timespec="seconds")
    db.execute("UPDATE reports SET created_at = ? WHERE id = ?", [created, report_id])
    return pupil_report(db, report_id)


def queue_order(db, staff) -> list[int]:
    return [row.report.id for row in triage.queue(db, staff, triage.QueueFilter()).rows]


def test_a_farewell_letter_comes_before_an_older_threat_and_a_slap_after_both(
    db, school, counsellor
):
    slap = report_to_centre(db, school, "ともだちに たたかれた", hours_ago=5)
    threat = report_to_centre(db, school, "言ったらころすって言われた", hours_ago=3)
    letter = report_to_centre(db, school, "いしょを かいた")
    raised_by_staff = report_to_centre(db, school, "いえの こと", hours_ago=4)
    triage.set_urgency(db, counsellor, raised_by_staff, "urgent")

    assert [pupil_report(db, r.id).urgency for r in (slap, threat, letter)] == [
        "high",
        "urgent",
        "urgent",
    ]
    assert queue_order(db, counsellor)[:4] == [letter.id, threat.id, raised_by_staff.id, slap.id]


def test_the_family_and_language_are_recorded_and_the_raise_still_awaits_confirmation(
    db, school, counsellor
):
    report = report_to_centre(db, school, "もう しにたい")
    case = cases.case_of(db, report.id)
    assert (case.danger_family, case.language_detected) == ("suicide", "ja")
    assert (case.urgency_source, case.urgency_reason) == ("danger_words", ["しにたい"])
    assert not case.urgency_confirmed
    raised = case_trail(db, report.id)[-1].detail
    assert (raised["family"], raised["language"]) == ("suicide", "ja")


def test_a_later_more_severe_family_moves_an_urgent_report_up_without_a_new_raise(
    db, school, counsellor
):
    report = report_to_centre(db, school, "ちくったら なぐるぞって いわれた")
    assert cases.case_of(db, report.id).danger_family == "threat"
    add_pupil_message(db, report, "ロープを買ってきた。もう しにたい")
    case = cases.case_of(db, report.id)
    assert case.danger_family == "preparation"
    assert [e.kind for e in case_trail(db, report.id)].count("urgency_changed") == 1


def test_a_message_in_another_language_is_marked_for_an_interpreter(db, school):
    report = report_to_centre(db, school, "I am scared to go home")
    assert cases.case_of(db, report.id).language_detected == "en"


def test_the_case_page_and_queue_say_why_and_call_for_an_interpreter(client, city):
    _, token = city.school()
    send_report(
        client, token, city.db, topic="home", recipient="centre", body="遺書をかいた", key="a"
    )
    letter = city.db.execute("SELECT max(id) FROM reports").fetchone()[0]
    send_report(client, token, city.db, topic="home", recipient="centre", body="help me", key="b")
    english = city.db.execute("SELECT max(id) FROM reports").fetchone()[0]
    log_in(client, city.staff("centre"))

    case_page = client.get(f"/staff/reports/{letter}").text
    assert "準備行動</span>: <mark>遺書</mark>" in case_page
    assert "通訳が必要" not in case_page
    assert "英語 — 通訳が必要" in client.get(f"/staff/reports/{english}").text
    queue = client.get("/staff").text
    assert "準備行動" in queue and 'class="tag language-tag">英語' in queue
