"""The city's own danger words in the admin pages: a word saved with its urgency and the harmless
phrases in which it means nothing, and a live preview of what the words make of sample messages
while the admin types."""

import pytest
from playwright.sync_api import expect

from school_report.admin_log import Actor
from school_report.danger import assess
from school_report.settings import SettingError, get_setting, set_danger_words
from tests.support import log_in, log_in_page

ADMIN = Actor(None, "test admin")
NEGLECT_WORD = "(ほうち|放置)され | 高 | ほうちされた じてんしゃ"


def test_a_city_word_keeps_its_urgency_and_its_harmless_phrases(db):
    set_danger_words(
        db,
        [{"stem": "(ほうち|放置)され", "urgency": "high", "unless": ["ほうちされた じてんしゃ"]}],
        ADMIN,
    )
    assert get_setting(db, "danger_words") == [
        {"stem": "(ほうち|放置)され", "urgency": "high", "unless": ["ほうちされた じてんしゃ"]}
    ]
    found = assess(db, "よるまで 放置されてる")
    assert (found.urgency, found.family, found.words) == ("high", "city", ["放置されてる"])
    assert assess(db, "ほうちされた じてんしゃが ある").urgency is None


def test_a_city_word_with_an_unknown_urgency_is_refused(db):
    with pytest.raises(SettingError) as refused:
        set_danger_words(db, [{"stem": "ひとりぼっち", "urgency": "soon"}], ADMIN)
    assert refused.value.reason == "danger_words_format"
    assert get_setting(db, "danger_words") == []


def test_the_admin_writes_word_urgency_and_exceptions_on_a_line_and_reads_them_back(client, city):
    csrf = log_in(client, city.staff("admin"))
    form = {"csrf_token": csrf, "danger_words": f"{NEGLECT_WORD}\nひとりぼっち\nこわい | high"}
    client.post("/staff/admin/settings/danger_words", data=form)
    assert get_setting(city.db, "danger_words") == [
        {"stem": "(ほうち|放置)され", "urgency": "high", "unless": ["ほうちされた じてんしゃ"]},
        "ひとりぼっち",
        {"stem": "こわい", "urgency": "high", "unless": []},
    ]
    page = client.get("/staff/admin/settings").text
    assert "(ほうち|放置)され | high | ほうちされた じてんしゃ\nひとりぼっち\nこわい | high" in page


def test_a_line_with_an_unknown_urgency_is_refused_kindly_and_nothing_is_saved(client, city):
    csrf = log_in(client, city.staff("admin"))
    form = {"csrf_token": csrf, "danger_words": "ひとりぼっち | すぐ"}
    response = client.post("/staff/admin/settings/danger_words", data=form)
    assert response.status_code == 400 and "保存されていません" in response.text
    assert get_setting(city.db, "danger_words") == []


def test_the_preview_shows_what_the_draft_words_and_built_in_families_find(client, city):
    csrf = log_in(client, city.staff("admin"))
    form = {
        "csrf_token": csrf,
        "danger_words": NEGLECT_WORD,
        "samples": "よるまで ほうちされてる\nほうちされた じてんしゃ\n遺書を書いた",
    }
    preview = client.post("/staff/admin/settings/danger_words/preview", data=form).text
    assert '<mark class="danger-word">ほうちされてる</mark>' in preview
    assert "センター登録語</span>: ほうちされてる" in preview
    assert "ほうちされた じてんしゃ</td>\n    <td>—</td>" in preview
    assert "準備行動</span>: 遺書" in preview
    refused = client.post(
        "/staff/admin/settings/danger_words/preview", data=form | {"danger_words": "ほうち | すぐ"}
    ).text
    assert "保存されていません" in refused


def test_a_counsellor_cannot_use_the_preview(client, city):
    csrf = log_in(client, city.staff("centre"))
    form = {"csrf_token": csrf, "danger_words": "x", "samples": "x"}
    response = client.post("/staff/admin/settings/danger_words/preview", data=form)
    assert response.status_code in (403, 404)


@pytest.mark.browser
def test_the_preview_follows_the_words_as_the_admin_types(live_server, page):
    url, city = live_server.url, live_server.city
    log_in_page(page, url, city.staff("admin"))
    page.goto(f"{url}/staff/admin/settings#danger_words")
    preview = page.locator("#danger-preview")
    expect(preview).to_contain_text("準備行動")
    expect(preview.locator("mark", has_text="ほうちされてる")).to_have_count(0)
    page.locator("#danger-words").fill(NEGLECT_WORD)
    expect(preview.locator("mark", has_text="ほうちされてる")).to_have_count(1)
    expect(preview).to_contain_text("センター登録語")
