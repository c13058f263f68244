"""Reports and threads in the domain: what is stored, what the pupil sees, what is refused."""

import pytest

from school_report.reports import (
    CODE_FAILURES_BEFORE_SLOWING,
    SubmissionError,
    add_pupil_message,
    add_staff_reply,
    code_attempts_state,
    find_report_by_code,
    pupil_report,
    submit_report,
    thread,
)
from school_report.schools import add_school
from school_report.staff import add_staff
from school_report.topics import active_topics
from tests.support import CODE_GUESSES, limit_code_guesses


@pytest.fixture
def school(db):
    return add_school(db, "みなみ小学校", "elementary")


def send(db, school, body="たすけて", key="key-1", recipient="school_team", **fields):
    bullying = active_topics(db)[0]
    return submit_report(db, school, bullying.id, recipient, body, submission_key=key, **fields)


def only_report(db):
    return pupil_report(db, db.execute("SELECT max(id) FROM reports").fetchone()[0])


def test_a_report_stores_no_return_code_only_its_hash(db, school):
    code = send(db, school)
    row = db.execute("SELECT * FROM reports").fetchone()
    for shown in (code.display("ja"), code.display("en"), code.canonical()):
        assert all(shown not in str(value) for value in row)


def test_the_code_opens_its_own_report_and_only_at_its_own_school(db, school):
    code = send(db, school)
    other_school = add_school(db, "きた中学校", "junior_high")
    assert find_report_by_code(db, school, code.display("ja")) == only_report(db).id
    assert find_report_by_code(db, other_school, code.display("ja")) is None


def test_anonymous_unless_the_pupil_writes_a_name(db, school):
    send(db, school)
    assert only_report(db).pupil_name is None
    send(db, school, key="key-2", pupil_name=" さくら ", grade="3", class_name="2くみ")
    report = only_report(db)
    assert (report.pupil_name, report.grade, report.class_name) == ("さくら", "3", "2くみ")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("x" * 4001, "too_long"),
        ("a\x00b", "control_characters"),
    ],
)
def test_bad_messages_are_refused_and_nothing_is_stored(db, school, body, reason):
    with pytest.raises(SubmissionError) as refused:
        send(db, school, body=body)
    assert refused.value.reason == reason
    assert db.execute("SELECT count(*) FROM reports").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM messages").fetchone() == (0,)


def test_the_same_form_sent_twice_makes_one_report(db, school):
    send(db, school, key="same")
    with pytest.raises(SubmissionError) as refused:
        send(db, school, key="same")
    assert refused.value.reason == "already_sent"
    assert db.execute("SELECT count(*) FROM reports").fetchone() == (1,)


def test_the_pupil_sees_replies_and_never_what_is_not_meant_for_them(db, school):
    send(db, school)
    report = only_report(db)
    nurse = add_staff(db, "team", "a long password", "school_team", school)
    add_staff_reply(db, nurse, report, "おはなし ありがとう")
    db.execute(
        "INSERT INTO messages (report_id, author, staff_id, body, pupil_visible, created_at) "
        "VALUES (?, 'staff', ?, 'internal draft', 0, '2026-01-01T00:00:00+00:00')",
        [report.id, nurse.id],
    )
    add_pupil_message(db, report, "また かくね")
    pupil_view = [m.body for m in thread(db, report.id, for_pupil=True)]
    assert pupil_view == ["たすけて", "おはなし ありがとう", "また かくね"]
    assert "internal draft" in [m.body for m in thread(db, report.id, for_pupil=False)]


def test_a_reply_starts_work_and_a_new_pupil_message_marks_the_report_unread(db, school):
    send(db, school)
    team = add_staff(db, "team", "a long password", "school_team", school)
    add_staff_reply(db, team, only_report(db), "ありがとう")
    report = only_report(db)
    assert (report.status, report.staff_unread, report.first_reply_at is not None) == (
        "in_progress",
        False,
        True,
    )
    add_pupil_message(db, report, "まだ こまってる")
    assert only_report(db).staff_unread


def test_wrong_codes_at_one_school_slow_it_down_then_refuse(db, school):
    other = add_school(db, "きた中学校", "junior_high")
    limit_code_guesses(db, school)
    for attempt in range(CODE_GUESSES):
        if attempt == CODE_FAILURES_BEFORE_SLOWING:
            assert code_attempts_state(db, school) == "slow"
        find_report_by_code(db, school, "いぬ 00 いぬ 00 いぬ 00")
    assert code_attempts_state(db, school) == "refused"
    assert code_attempts_state(db, other) == "open"
