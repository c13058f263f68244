"""When something will happen, in words a child reads: 「12月7日（月）の 10時ごろ」 with its
furigana, "Monday, December 7, at about 10:00 AM", in each pupil language (Babel's calendar
data), never `2026-12-07 10:00`."""

from datetime import datetime

from babel.dates import format_date, format_skeleton, format_time
from markupsafe import Markup, escape

from web import i18n

_DIGITS = ("", "いち", "に", "さん", "よん", "ご", "ろく", "なな", "はち", "きゅう")
# Japanese counts a day, a month or an hour with its own readings of some numbers.
_MONTH_ONES = {4: "し", 7: "しち", 9: "く"}
_DAY_ONES = {7: "しち", 9: "く"}
_HOUR_ONES = {4: "よ", 7: "しち", 9: "く"}
_DAYS = {
    1: "ついたち",
    2: "ふつか",
    3: "みっか",
    4: "よっか",
    5: "いつか",
    6: "むいか",
    7: "なのか",
    8: "ようか",
    9: "ここのか",
    10: "とおか",
    14: "じゅうよっか",
    20: "はつか",
    24: "にじゅうよっか",
}
_MINUTE_ONES = ("", "いっぷん", "にふん", "さんぷん", "よんぷん", "ごふん", "ろっぷん")
_MINUTE_ONES += ("ななふん", "はっぷん", "きゅうふん")
_WEEKDAYS = ("{月|げつ}", "{火|か}", "{水|すい}", "{木|もく}", "{金|きん}", "{土|ど}", "{日|にち}")


def _tens(number: int) -> str:
    if number < 10:
        return ""
    return ("" if number < 20 else _DIGITS[number // 10]) + "じゅう"


def _read(number: int, ones: dict[int, str]) -> str:
    return _tens(number) + ones.get(number % 10, _DIGITS[number % 10])


def _minutes(minute: int) -> str:
    if minute % 10 == 0:
        return _tens(minute).removesuffix("う") + "っぷん"
    return _tens(minute) + _MINUTE_ONES[minute % 10]


def japanese_parts(moment: datetime) -> dict[str, str]:
    """The date, weekday and time, each with its furigana marked as ``{漢字|かんじ}``."""
    month, day, hour = moment.month, moment.day, moment.hour
    time = f"{{{hour}時|{'れい' if hour == 0 else _read(hour, _HOUR_ONES)}じ}}"
    if moment.minute:
        time += f"{{{moment.minute}分|{_minutes(moment.minute)}}}"
    return {
        "date": f"{{{month}月|{_read(month, _MONTH_ONES)}がつ}}"
        f"{{{day}日|{_DAYS.get(day) or _read(day, _DAY_ONES) + 'にち'}}}",
        "weekday": _WEEKDAYS[moment.weekday()],
        "time": time,
    }


def _babel_parts(moment: datetime, language: str) -> dict[str, Markup]:
    locale = language.replace("-", "_")
    return {
        "date": escape(format_skeleton("MMMMd", moment, locale=locale)),
        "weekday": escape(format_date(moment, "EEEE", locale=locale)),
        "time": escape(format_time(moment, "short", locale=locale)),
    }


def in_words(moment: datetime) -> Markup:
    """`moment` (already in the city's zone) as the current pupil's language says it, with
    furigana at their reading level."""
    language = i18n.current_language.get()
    if language == "ja":
        reading = i18n.current_reading.get()
        parts = {
            name: i18n.with_ruby(marked, reading) for name, marked in japanese_parts(moment).items()
        }
    else:
        parts = _babel_parts(moment, language)
    return Markup(i18n.gettext("%(weekday)s, %(date)s, at about %(time)s")) % parts


def said_at(moment: datetime, now: datetime) -> Markup:
    """When a message in the thread was written, as a child reads it: 「きょう 1時8分」 with its
    furigana, "today, 1:08 AM", "yesterday, …", or the date (and the year, when it is not
    this year's). `moment` and `now` are in the city's zone."""
    language = i18n.current_language.get()
    if language == "ja":
        reading = i18n.current_reading.get()
        marked = japanese_parts(moment)
        if moment.year != now.year:
            marked["date"] = f"{moment.year}{{年|ねん}}" + marked["date"]
        parts = {name: i18n.with_ruby(text, reading) for name, text in marked.items()}
    else:
        parts = _babel_parts(moment, language)
        if moment.year != now.year:
            locale = language.replace("-", "_")
            parts["date"] = escape(format_skeleton("yMMMMd", moment, locale=locale))
    days = (now.date() - moment.date()).days
    if days == 0:
        return Markup(i18n.gettext("today, %(time)s")) % parts
    if days == 1:
        return Markup(i18n.gettext("yesterday, %(time)s")) % parts
    return Markup(i18n.gettext("%(date)s, %(time)s")) % parts
