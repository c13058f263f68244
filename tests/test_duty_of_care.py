"""Duty of care in the domain: who is at work when, and what happens when a report signals
danger while its reader is away — the city's policy both ways, the pupil's one tap, and the
ground each sharing records."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from school_report.admin_log import COMMAND_LINE
from school_report.audit import case_trail
from school_report.duty_of_care import (
    after_pupil_wrote,
    care_for,
    help_lines,
    pupil_tells_centre,
    set_help_lines,
)
from school_report.hand_overs import pupil_notices
from school_report.hours import (
    centre_hours,
    reader_is_working,
    reader_reads_from,
    set_school_hours,
)
from school_report.reports import pupil_report, submit_report
from school_report.routing import answers_report
from school_report.schools import add_school
from school_report.settings import SettingError, get_setting, set_setting
from school_report.staff import add_staff
from tests.support import PASSWORD, topic_id, unique

TOKYO = ZoneInfo("Asia/Tokyo")
# A Wednesday: 22:30 at night, and 10:00 in the morning, in Tokyo.
NIGHT = datetime(2026, 12, 2, 22, 30, tzinfo=TOKYO)
MORNING = datetime(2026, 12, 2, 10, 0, tzinfo=TOKYO)


@pytest.fixture
def school(db):
    return add_school(db, "みなみ中学校", "junior_high")


def sent_to(db, school, recipient="nurse", topic="hurt_at_home", body="たすけて"):
    submit_report(db, school, topic_id(db, topic), recipient, body, submission_key=unique("k"))
    return pupil_report(db, db.execute("SELECT max(id) FROM reports").fetchone()[0])


def test_a_nurse_works_school_days_and_hours_and_reads_a_night_message_next_morning(db, school):
    assert reader_is_working(db, "nurse", school.id, MORNING)
    assert not reader_is_working(db, "nurse", school.id, NIGHT)
    assert reader_reads_from(db, "nurse", school.id, NIGHT) == datetime(
        2026, 12, 3, 8, 15, tzinfo=TOKYO
    )
    friday_night = datetime(2026, 12, 4, 20, 0, tzinfo=TOKYO)
    assert reader_reads_from(db, "school_team", school.id, friday_night).date().isoformat() == (
        "2026-12-07"
    )


def test_school_breaks_year_end_and_a_schools_own_hours_are_kept(db, school):
    set_setting(db, "school_breaks", [["2026-12-24", "2027-01-07"]])
    assert reader_reads_from(
        db, "nurse", school.id, datetime(2026, 12, 23, 18, 0, tzinfo=TOKYO)
    ) == (datetime(2027, 1, 8, 8, 15, tzinfo=TOKYO))
    hours = get_setting(db, "school_hours")
    hours["schools"] = {
        str(school.id): {"weekdays": [0, 1, 2, 3, 4, 5], "open": "07:30", "close": "18:00"}
    }
    set_setting(db, "school_hours", hours)
    saturday = datetime(2026, 12, 5, 9, 0, tzinfo=TOKYO)
    assert reader_is_working(db, "nurse", school.id, saturday)
    other = add_school(db, "きた小学校", "elementary")
    assert not reader_is_working(db, "nurse", other.id, saturday)


def test_the_centre_keeps_other_hours_on_saturday_and_closes_over_the_year_end(db):
    set_setting(
        db,
        "centre_hours",
        {
            "weekdays": [0, 1, 2, 3, 4, 5],
            "open": "10:00",
            "close": "20:00",
            "by_day": {"5": ["10:00", "16:00"]},
        },
    )
    hours = centre_hours(db)
    assert hours.is_open(datetime(2026, 12, 2, 19, 30, tzinfo=TOKYO))  # weekdays to 20:00
    assert not hours.is_open(datetime(2026, 12, 5, 17, 0, tzinfo=TOKYO))  # Saturday to 16:00
    assert hours.is_open(datetime(2026, 12, 5, 15, 0, tzinfo=TOKYO))
    assert not hours.is_working_day(datetime(2026, 12, 30).date())  # 年末年始
    assert hours.next_opening(datetime(2026, 12, 28, 21, 0, tzinfo=TOKYO)) == datetime(
        2027, 1, 4, 10, 0, tzinfo=TOKYO
    )


def test_an_urgent_report_to_a_nurse_at_night_offers_the_centre_and_shares_nothing_by_itself(
    db, school
):
    sent = sent_to(db, school)
    care = after_pupil_wrote(db, sent.id, NIGHT)
    assert care.urgent and care.may_tell_centre and not care.centre_told
    assert care.reads_from == datetime(2026, 12, 3, 8, 15, tzinfo=TOKYO)
    assert db.execute("SELECT count(*) FROM hand_overs").fetchone() == (0,)
    assert not care_for(db, pupil_report(db, sent.id), MORNING).may_tell_centre


def test_a_report_that_is_not_urgent_offers_no_copy_even_at_night(db, school):
    sent = sent_to(db, school, topic="study", body="しゅくだいが おおい")
    care = after_pupil_wrote(db, sent.id, NIGHT)
    assert not care.urgent and not care.may_tell_centre and care.reads_from is not None


def test_the_pupils_one_tap_tells_the_centre_on_their_consent(db, school):
    centre = add_staff(db, unique("centre"), PASSWORD, "centre")
    sent = sent_to(db, school)
    assert pupil_tells_centre(db, sent.id)
    assert answers_report(db, centre, sent.id)
    row = db.execute("SELECT direction, ground, pupil_consent, staff_id FROM hand_overs")
    assert row.fetchone() == ("copy_to_centre", "consent", "agreed", None)
    (notice,) = pupil_notices(db, sent.id)
    assert (notice.to_recipient, notice.ground) == ("centre", "consent")
    assert not pupil_tells_centre(db, sent.id)  # once is enough
    assert db.execute("SELECT count(*) FROM hand_overs").fetchone() == (1,)


def test_the_one_tap_is_only_for_an_urgent_report(db, school):
    sent = sent_to(db, school, topic="study", body="しゅくだい")
    assert not pupil_tells_centre(db, sent.id)
    assert db.execute("SELECT count(*) FROM hand_overs").fetchone() == (0,)


def test_when_the_city_so_decides_a_night_danger_goes_to_the_centre_to_protect_life_or_body(
    db, school
):
    set_setting(db, "urgent_to_centre_out_of_hours", True)
    centre = add_staff(db, unique("centre"), PASSWORD, "centre")
    sent = sent_to(db, school)
    care = after_pupil_wrote(db, sent.id, NIGHT)
    assert care.centre_told and not care.may_tell_centre
    assert answers_report(db, centre, sent.id)
    assert db.execute("SELECT ground, pupil_consent FROM hand_overs").fetchone() == (
        "life_or_body",
        "not_asked",
    )
    (notice,) = pupil_notices(db, sent.id)
    assert notice.ground == "life_or_body"
    handed = [e for e in case_trail(db, sent.id) if e.kind == "handed_over"]
    assert handed and handed[0].detail["ground"] == "life_or_body"
    assert handed[0].staff_name is None


def test_the_policy_leaves_a_report_alone_while_its_reader_is_at_work(db, school):
    set_setting(db, "urgent_to_centre_out_of_hours", True)
    sent = sent_to(db, school)
    care = after_pupil_wrote(db, sent.id, MORNING)
    assert care.urgent and care.reads_from is None and not care.centre_told
    assert db.execute("SELECT count(*) FROM hand_overs").fetchone() == (0,)


def test_the_help_lines_are_a_city_setting_with_the_national_24_hour_lines_by_default(db):
    lines = help_lines(db)
    assert [line.number for line in lines] == ["0120-0-78310", "189", "110", "0120-99-7777"]
    assert lines[0].dial == "0120078310" and lines[0].hours == "24h"
    assert lines[3].hours == ("16:00", "21:00")
    assert all(line.languages == ("ja",) for line in lines)
    set_setting(
        db,
        "help_lines",
        [
            {
                "kind": "city",
                "name": "{市|し}の こども{電話|でんわ}",
                "number": "096-000-0000",
                "hours": ["09:00", "17:00"],
                "languages": ["ja"],
            }
        ],
    )
    assert [line.name for line in help_lines(db)] == ["{市|し}の こども{電話|でんわ}"]


def test_the_city_writes_its_help_lines_one_a_line_and_the_national_ones_keep_their_words(db):
    set_help_lines(
        db,
        "{警察|けいさつ} | 110 | 24h\nまちの こども でんわ | 096-000-0000 | 09:00-17:00\n",
        True,
        COMMAND_LINE,
    )
    lines = help_lines(db)
    assert [(line.kind, line.number, line.hours) for line in lines] == [
        ("police", "110", "24h"),
        ("city", "096-000-0000", ("09:00", "17:00")),
    ]
    assert get_setting(db, "urgent_to_centre_out_of_hours") is True
    for wrong in ("", "no number | abc | 24h", "x | 110 | 21:00-16:00", "x | 110"):
        with pytest.raises(SettingError):
            set_help_lines(db, wrong, False, COMMAND_LINE)
    assert len(help_lines(db)) == 2


def test_the_city_sets_school_hours_and_breaks_and_a_schools_own_hours_stay(db, school):
    hours = get_setting(db, "school_hours")
    hours["schools"] = {str(school.id): {"weekdays": [5], "open": "09:00", "close": "12:00"}}
    set_setting(db, "school_hours", hours)
    breaks = [(datetime(2027, 3, 25).date(), datetime(2027, 4, 5).date())]
    set_school_hours(db, [0, 1, 2, 3, 4], "08:00", "17:00", breaks, COMMAND_LINE)
    assert get_setting(db, "school_breaks") == [["2027-03-25", "2027-04-05"]]
    assert get_setting(db, "school_hours")["schools"] == hours["schools"]
    other = add_school(db, "にし小学校", "elementary")
    assert reader_is_working(db, "nurse", other.id, datetime(2026, 12, 2, 16, 50, tzinfo=TOKYO))
    with pytest.raises(SettingError):
        set_school_hours(db, [0], "08:00", "17:00", [(breaks[0][1], breaks[0][0])], COMMAND_LINE)
