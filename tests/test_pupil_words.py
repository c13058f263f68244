"""What the pupil reads in their own words: the thread's times as a child says them, and the
help lines' language, in every pupil language."""

from datetime import UTC, datetime

import pytest

from school_report.reports import add_staff_reply, pupil_report
from tests.support import return_code_in, send_report, topic_id, unique
from web import pupil, templating

# Thursday 3 December 2026, noon in Kumamoto; the reply came at 1:08 that night.
NOON = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
NIGHT = "2026-12-02T16:08:00+00:00"


def thread_at(client, city, monkeypatch, language: str, written_at: str) -> str:
    """The pupil's thread at NOON in `language`, the pupil and the nurse having written at
    `written_at`."""
    school, token = city.school()
    code = return_code_in(
        send_report(
            client, token, city.db, recipient="nurse", topic="body", key=unique("words-")
        ).text
    )
    report = pupil_report(city.db, city.db.execute("SELECT max(id) FROM reports").fetchone()[0])
    add_staff_reply(city.db, city.staff("nurse", school), report, "ほけんしつに きてね")
    city.db.execute("UPDATE messages SET created_at = ?", [written_at])
    monkeypatch.setattr(templating, "utc_now", lambda: NOON)
    client.post(f"/p/{token}", data={"step": "language", "language": language})
    page = client.post(f"/p/{token}", data={"step": "open", "code": code}).text
    return "".join(part.split("</p>")[0] for part in page.split('<p class="who">')[1:])


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (
            "ja",
            "<ruby>今日<rt>きょう</rt></ruby> <ruby>1時<rt>いちじ</rt></ruby>"
            "<ruby>8分<rt>はっぷん</rt></ruby>",
        ),
        ("en", "today, 1:08\u202fAM"),
        ("pt-BR", "hoje, 01:08"),
        ("zh-Hans", "今天 01:08"),
        ("vi", "hôm nay, 01:08"),
        ("fil", "ngayong araw, 1:08\u202fAM"),
    ],
)
def test_the_thread_says_when_in_words_a_child_reads(client, city, monkeypatch, language, said):
    times = thread_at(client, city, monkeypatch, language, NIGHT)
    assert times.count(said) == 2, times
    assert "2026-12-03" not in times.replace('datetime="2026-12-02T16:08:00+00:00"', "")


def test_older_messages_say_yesterday_or_the_date(client, city, monkeypatch):
    yesterday = thread_at(client, city, monkeypatch, "en", "2026-12-01T23:30:00+00:00")
    assert "yesterday, 8:30\u202fAM" in yesterday
    older = thread_at(client, city, monkeypatch, "ja", "2025-11-20T01:00:00+00:00")
    assert "2025<ruby>年<rt>ねん</rt></ruby><ruby>11月<rt>じゅういちがつ</rt></ruby>" in older


# Sunday 6 December 2026, 03:00 in Kumamoto: the centre is closed, the help lines are shown.
SUNDAY_NIGHT = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "told"),
    [
        ("en", "These numbers answer in Japanese."),
        ("pt-BR", "Esses números atendem em japonês."),
        ("zh-Hans", "这些电话用日语接听。"),
        ("vi", "Các số điện thoại này trả lời bằng tiếng Nhật."),
        ("fil", "Sa wikang Hapon sumasagot ang mga numerong ito."),
        ("ja", None),
    ],
)
def test_the_help_lines_say_they_answer_in_japanese(client, city, monkeypatch, language, told):
    _, token = city.school()
    monkeypatch.setattr(pupil, "utc_now", lambda: SUNDAY_NIGHT)
    client.post(f"/p/{token}", data={"step": "language", "language": language})
    form = {"step": "recipient", "topic": str(topic_id(city.db, "home")), "recipient": "centre"}
    help_now = client.post(f"/p/{token}", data=form).text.split('class="help-now"')[1]
    help_now = help_now.split("</aside>")[0]
    assert "0120-0-78310" in help_now
    assert (told in help_now) if told else ("Japanese" not in help_now and "hint" not in help_now)
