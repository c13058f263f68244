"""Every child can read it: pupil pages in six languages, reading levels with furigana stored
with the words, topics and return-code words in every language, and staff told which
language the pupil wrote in."""

import importlib.util
import re
import unicodedata
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from school_report.codes import ReturnCode, code_words, normalise, parse_return_code
from school_report.reports import LANGUAGES
from school_report.topics import active_topics
from tests.support import CODE_GROUP, form_token, log_in, return_code_in, send_report
from web import i18n, when
from web.templating import TEMPLATES

NEW_LANGUAGES = ("pt-BR", "zh-Hans", "vi", "fil")
# What a pupil can meet: their pages, the frame around them, and the errors they can get.
PUPIL_TEMPLATES = [*sorted((TEMPLATES / "pupil").glob("*.html"))] + [
    TEMPLATES / name for name in ("base.html", "_error.html", "error.html", "neutral.html")
]
# The code that writes words for pupils (the reasons are checked one by one below).
PUPIL_CODE = [i18n.TRANSLATIONS.parent / "when.py"]
PUPIL_REASONS = (
    "empty",
    "too_long",
    "control_characters",
    "already_sent",
    "messaging_closed",
    "code_wrong",
    "code_refused",
    "session_ended",
    "not_set_up",
    "not_found",
    "too_many_reports",
    "csrf",
    "too_large",
    "bad_form",
    "server_error",
)
HEADINGS = {
    "ja": "こまっていること、ありますか？",
    "en": "Is something worrying you?",
    "pt-BR": "Tem alguma coisa te preocupando?",
    "zh-Hans": "你有烦恼吗？",
    "vi": "Em có điều gì lo lắng không?",
    "fil": "May bumabagabag ba sa iyo?",
}


def pupil_msgids() -> list[str]:
    sources = [("jinja2", path) for path in PUPIL_TEMPLATES]
    sources += [("python", path) for path in PUPIL_CODE]
    msgids = []
    for method, path in sources:
        for _, message, _, _ in extract_from_file(
            method, path, options={"extensions": "jinja2.ext.i18n"}
        ):
            msgids.append(message[0] if isinstance(message, tuple) else message)
    return sorted(set(msgids))


def update_tool():
    tool = importlib.util.spec_from_file_location("update", i18n.TRANSLATIONS / "update.py")
    update = importlib.util.module_from_spec(tool)
    tool.loader.exec_module(update)
    return update


def catalogue_entries(path) -> dict[str, object]:
    """msgid -> the message as the .po (or .pot) file holds it, guessed (fuzzy) ones too."""
    with path.open("rb") as po:
        return {(m.id[0] if isinstance(m.id, tuple) else m.id): m for m in read_po(po) if m.id}


def reason_text(client, reason: str, language: str) -> str:
    env = client.app.state.templates
    macro = env.get_template("_reasons.html").module.reason_text
    token = i18n.current_language.set(language)
    try:
        return str(macro(reason)).strip()
    finally:
        i18n.current_language.reset(token)


def in_language(client, token: str, language: str):
    return client.post(f"/p/{token}", data={"step": "language", "language": language})


# -- the pupil's languages ---------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_pupil_reads_the_whole_flow_in_their_language(client, city, language):
    _, token = city.school()
    start = in_language(client, token, language).text
    assert HEADINGS[language] in start and f'<html lang="{language}">' in start
    topics = client.post(f"/p/{token}", data={"step": "topics"}).text
    for topic in active_topics(city.db):
        assert str(Markup.escape(i18n.with_ruby(topic.label(language), "plain"))) in topics
    sent = send_report(client, token, city.db, body="Socorro / 救命 / Cứu em")
    names = {str(Markup.escape(word[language])) for word in code_words()}
    assert {word for word, _ in CODE_GROUP.findall(sent.text)} <= names


def test_each_language_is_named_in_itself_on_the_switch(client, city):
    _, token = city.school()
    page = client.get(f"/p/{token}").text
    for code, name in i18n.LANGUAGE_NAMES.items():
        assert f'value="{code}" lang="{code}" aria-pressed' in page and f">{name}</button>" in page


def test_the_language_lasts_for_the_session_only(client, city):
    _, token = city.school()
    in_language(client, token, "vi")
    assert HEADINGS["vi"] in client.post(f"/p/{token}", data={"step": "start"}).text
    client.cookies.clear()
    assert HEADINGS["ja"] in client.get(f"/p/{token}").text


def test_an_unknown_language_is_refused_quietly_and_japanese_stays(client, city):
    _, token = city.school()
    page = in_language(client, token, "xx-evil").text
    assert page.count('aria-pressed="true"') == 2  # Japanese, and the school's reading level
    assert 'value="ja" lang="ja" aria-pressed="true"' in page


def test_staff_pages_stay_in_japanese_and_english(client, city):
    form = {"language": "vi", "csrf_token": form_token(client)}
    response = client.post("/staff/language", data=form, follow_redirects=False)
    assert response.cookies.get("staff_language") == "ja"
    login = client.get("/staff/login").text
    assert "Tiếng Việt" not in login and "English" in login


@pytest.mark.parametrize("language", NEW_LANGUAGES)
def test_every_pupil_string_is_translated(client, language):
    catalogue = i18n.catalogue(language)
    missing = [msgid for msgid in pupil_msgids() if not catalogue.get(msgid)]
    assert not missing, f"untranslated in {language}: {missing}"
    english = {reason: reason_text(client, reason, "en") for reason in PUPIL_REASONS}
    same = [r for r in PUPIL_REASONS if reason_text(client, r, language) == english[r]]
    assert not same, f"reasons left in English for {language}: {same}"


@pytest.mark.parametrize("language", NEW_LANGUAGES)
def test_translations_keep_every_placeholder(language):
    for msgid, text in i18n.catalogue(language).items():
        assert sorted(re.findall(r"%\(\w+\)s", msgid)) == sorted(re.findall(r"%\(\w+\)s", text))


def test_japanese_pupil_wording_has_furigana_on_every_kanji():
    catalogue = i18n.catalogue("ja")
    bare = {
        msgid: text
        for msgid in pupil_msgids()
        if i18n.KANJI.search(i18n.RUBY_MARK.sub("", text := catalogue.get(msgid, "")))
    }
    assert not bare, f"kanji without furigana: {bare}"


# -- reading levels ---------------------------------------------------------------------


def test_three_reading_levels_render_the_same_words_for_each_age():
    text = "{先生|せんせい}に {相談|そうだん}"
    assert i18n.with_ruby(text, "kana") == "<ruby>先生<rt>せんせい</rt></ruby>に そうだん"
    assert i18n.with_ruby(text, "ruby") == (
        "<ruby>先生<rt>せんせい</rt></ruby>に <ruby>相談<rt>そうだん</rt></ruby>"
    )
    assert i18n.with_ruby(text, "plain") == "先生に 相談"


def test_the_reading_level_follows_the_school_until_the_pupil_chooses(client, city):
    _, elementary = city.school("elementary")
    _, junior_high = city.school("junior_high")
    assert "<ruby>相談<rt>そうだん</rt></ruby>" in client.get(f"/p/{elementary}").text
    assert 'class="pupil reading-plain"' in client.get(f"/p/{junior_high}").text
    kana = client.post(f"/p/{junior_high}", data={"step": "reading", "reading": "kana"}).text
    assert "ここから そうだんできます" in kana and 'class="pupil reading-kana"' in kana
    # The choice lives in the pupil's cookie, for this session only.
    assert (
        "ここから そうだんできます" in client.post(f"/p/{junior_high}", data={"step": "start"}).text
    )
    client.cookies.clear()
    assert "ここから 相談できます" in client.get(f"/p/{junior_high}").text


def test_an_unknown_reading_level_changes_nothing(client, city):
    _, token = city.school("elementary")
    page = client.post(f"/p/{token}", data={"step": "reading", "reading": "<script>"}).text
    assert 'class="pupil reading-ruby"' in page and "<script>" not in page


def test_other_languages_read_plain_and_offer_no_furigana_switch(client, city):
    _, token = city.school("elementary")
    page = in_language(client, token, "zh-Hans").text
    assert 'class="pupil reading-plain"' in page and 'name="reading"' not in page


def test_staff_pages_have_no_furigana(client, city):
    school, token = city.school("elementary")
    send_report(client, token, city.db, body="たすけて")
    log_in(client, city.staff("school_team", school))
    assert "<ruby>" not in client.get("/staff").text


def test_staff_read_topic_labels_without_the_furigana_marks_written_for_pupils(client, city):
    city.db.execute("UPDATE topics SET label_ja = '{先生|せんせい}のこと' WHERE slug = 'teacher'")
    _, token = city.school("elementary")
    send_report(client, token, city.db, topic="teacher", recipient="centre", body="たすけて")
    log_in(client, city.staff("centre"))
    (report_id,) = city.db.execute("SELECT max(id) FROM reports").fetchone()
    pages = [
        client.get(path).text
        for path in (
            "/staff",
            f"/staff/reports/{report_id}",
            "/staff/weekly",
            "/staff/weekly.csv",
            "/staff/statistics",
        )
    ]
    assert "先生のこと" in pages[0] and "先生のこと" in pages[1] and "先生のこと" in pages[3]
    for page in pages:
        assert "{先生|" not in page and "せんせい}" not in page


# -- topics and return codes ------------------------------------------------------------


def test_every_topic_has_a_label_in_every_pupil_language(db):
    for topic in active_topics(db):
        for language in LANGUAGES:
            assert topic.label(language).strip()
        assert len({topic.label(language) for language in LANGUAGES}) >= 4, topic.slug


def test_a_topic_without_a_label_in_a_language_shows_the_english_one(db):
    db.execute("UPDATE topics SET labels = '{}' WHERE slug = 'bullying'")
    bullying = next(t for t in active_topics(db) if t.slug == "bullying")
    assert bullying.label("vi") == bullying.label_en == "Bullying"
    assert bullying.label("ja") == "いじめ"


def test_every_code_word_has_a_name_in_every_language():
    for word in code_words():
        assert set(word) == set(LANGUAGES), word
        assert all(normalise(name) and not re.search(r"\d", name) for name in word.values())


def test_no_typed_name_could_mean_two_words_in_any_language():
    meanings = defaultdict(set)
    for position, word in enumerate(code_words()):
        for name in word.values():
            meanings[normalise(name)].add(position)
    assert not {name: words for name, words in meanings.items() if len(words) > 1}


codes = st.builds(ReturnCode, st.tuples(*[st.tuples(st.integers(0, 127), st.integers(0, 99))] * 3))


@given(codes, st.sampled_from(LANGUAGES))
def test_a_code_reads_back_in_whichever_language_it_is_typed(code, language):
    assert parse_return_code(code.display(language)) == code


def test_a_code_typed_without_accents_or_in_another_language_opens_the_thread(client, city):
    _, token = city.school()
    in_language(client, token, "vi")
    code = return_code_in(send_report(client, token, city.db, body="chuyện ở nhà").text)
    plain = "".join(
        ch for ch in unicodedata.normalize("NFD", code) if not unicodedata.combining(ch)
    )
    plain = plain.replace("đ", "d")
    assert "chuyện ở nhà" in client.post(f"/p/{token}", data={"step": "open", "code": plain}).text
    english = parse_return_code(code).display("en")
    assert "chuyện ở nhà" in client.post(f"/p/{token}", data={"step": "open", "code": english}).text


def test_staff_see_which_language_the_pupil_wrote_in(client, city):
    school, token = city.school()
    in_language(client, token, "pt-BR")
    send_report(client, token, city.db, body="Estão me batendo na escola")
    report_id = city.db.execute("SELECT max(id) FROM reports").fetchone()[0]
    assert (
        city.db.execute("SELECT language FROM reports WHERE id = ?", [report_id]).fetchone()[0]
        == "pt-BR"
    )
    log_in(client, city.staff("school_team", school))
    page = client.get(f"/staff/reports/{report_id}").text
    assert "ポルトガル語（ブラジル）" in page and "Estão me batendo na escola" in page


def test_the_catalogue_tool_keeps_every_pupil_language():
    update = update_tool()
    assert {language.replace("_", "-") for language in update.LANGUAGES} == set(LANGUAGES)
    assert all(update.catalogue_path(language).exists() for language in update.LANGUAGES)


# -- the catalogues ----------------------------------------------------------------------


def test_every_japanese_entry_is_translated_and_none_is_a_guess():
    """A guessed (fuzzy) entry is skipped when the catalogue is read, so its page would show
    English: staff and pupil pages alike need every Japanese string for real."""
    entries = catalogue_entries(update_tool().catalogue_path("ja"))
    guessed = [msgid for msgid, message in entries.items() if message.fuzzy]
    empty = [
        msgid
        for msgid, message in entries.items()
        if not all(message.string if isinstance(message.string, tuple) else [message.string])
    ]
    assert not guessed, f"fuzzy in ja: {guessed}"
    assert not empty, f"untranslated in ja: {empty}"


def test_every_string_in_the_code_has_been_extracted_into_every_catalogue(tmp_path):
    """A new _() string that nobody ran `make messages` for would be shown in English only."""
    update = update_tool()
    update.extract(tmp_path / "fresh.pot")
    fresh = set(catalogue_entries(tmp_path / "fresh.pot"))
    extracted = set(catalogue_entries(update.TEMPLATE))
    assert not fresh - extracted, f"run `make messages`: not extracted: {sorted(fresh - extracted)}"
    assert not extracted - fresh, f"run `make messages`: gone: {sorted(extracted - fresh)}"
    for language in update.LANGUAGES:
        missing = fresh - set(catalogue_entries(update.catalogue_path(language)))
        assert not missing, f"run `make messages`: not in {language}: {sorted(missing)}"


# -- times a pupil reads ------------------------------------------------------------------

MONDAY_MORNING = datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
OPENING_IN_WORDS = {
    "en": "Monday, December 7, at about 10:00",
    "pt-BR": "segunda-feira, 7 de dezembro, por volta das 10:00",
    "zh-Hans": "12月7日（星期一）10:00左右",
    "vi": "Thứ Hai, ngày 7 tháng 12, khoảng 10:00",
    "fil": "Lunes, Disyembre 7, bandang 10:00",
}


def in_words(moment: datetime, language: str, reading: str = "plain") -> str:
    languages = i18n.current_language.set(language)
    readings = i18n.current_reading.set(reading)
    try:
        return str(when.in_words(moment))
    finally:
        i18n.current_language.reset(languages)
        i18n.current_reading.reset(readings)


@pytest.mark.parametrize("language", OPENING_IN_WORDS)
def test_a_time_reads_as_words_in_each_pupil_language(language):
    assert in_words(MONDAY_MORNING, language).startswith(OPENING_IN_WORDS[language])


def test_a_time_reads_as_japanese_words_with_furigana_for_younger_pupils():
    assert in_words(MONDAY_MORNING, "ja") == "12月7日（月）の 10時ごろ"
    assert in_words(MONDAY_MORNING, "ja", "ruby") == (
        "<ruby>12月<rt>じゅうにがつ</rt></ruby><ruby>7日<rt>なのか</rt></ruby>"
        "（<ruby>月<rt>げつ</rt></ruby>）の <ruby>10時<rt>じゅうじ</rt></ruby>ごろ"
    )
    assert "<ruby>10時<rt>じゅうじ</rt></ruby>" in in_words(MONDAY_MORNING, "ja", "kana")


@pytest.mark.parametrize(
    ("moment", "readings"),
    [
        (datetime(2026, 4, 1, 9, 30), ("しがつ", "ついたち", "すい", "くじ", "さんじゅっぷん")),
        (
            datetime(2026, 7, 14, 14, 15),
            ("しちがつ", "じゅうよっか", "か", "じゅうよじ", "じゅうごふん"),
        ),
        (datetime(2026, 9, 20, 17, 5), ("くがつ", "はつか", "にち", "じゅうしちじ", "ごふん")),
        (
            datetime(2026, 11, 19, 0, 1),
            ("じゅういちがつ", "じゅうくにち", "もく", "れいじ", "いっぷん"),
        ),
    ],
)
def test_japanese_dates_and_hours_have_the_readings_children_say(moment, readings):
    marked = " ".join(when.japanese_parts(moment).values())
    assert [reading for _, reading in i18n.RUBY_MARK.findall(marked)] == list(readings)
