"""Numbers, days and times as each language writes them, every time with its zone named."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from jinja2 import Environment

from verifier_app import _pages
from verifier_app._formats import (
    BEIJING,
    format_day,
    format_moment,
    format_number,
    utc_offset,
)
from verifier_app.staff._zones import ZONES

NOON_UTC = datetime(2026, 6, 1, 4, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("zh", "2026年6月1日 12:30（北京时间，UTC+8）"),
        ("ug", "1-ئىيۇن، 2026، 12:30 (بېيجىڭ ۋاقتى، UTC+8)"),
        ("en", "Jun 1, 2026, 12:30\u202fPM (Beijing time, UTC+8)"),
    ],
)
def test_a_time_is_shown_in_beijing_time_with_the_zone_named(language: str, shown: str) -> None:
    assert format_moment(NOON_UTC, language) == shown  # type: ignore[arg-type]


def test_xinjiang_time_is_two_hours_behind_and_says_so() -> None:
    shown = format_moment(NOON_UTC, "zh", ZONES["xinjiang"])
    assert shown == "2026年6月1日 10:30（新疆时间，UTC+6）"
    assert "شىنجاڭ ۋاقتى، UTC+6" in format_moment(NOON_UTC, "ug", ZONES["xinjiang"])


def test_a_time_written_with_another_offset_is_converted() -> None:
    # 06:30 at UTC+2 is 04:30 UTC is 12:30 Beijing time.
    assert "12:30" in format_moment("2026-06-01T06:30:00+02:00", "zh", BEIJING)
    # A bare time (no offset) is UTC.
    assert "12:30" in format_moment("2026-06-01T04:30:00", "zh")


def test_text_that_is_not_a_time_is_shown_unchanged() -> None:
    assert format_moment("yesterday", "zh") == "yesterday"
    assert format_day("not a day", "en") == "not a day"


def test_days() -> None:
    assert format_day("2026-06-01", "zh") == "2026年6月1日"
    assert format_day(date(2026, 6, 1), "en") == "Jun 1, 2026"
    assert format_day("2026-06-01T23:00:00+08:00", "ug") == "1-ئىيۇن، 2026"


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        ("12345.5", "12,345.5", "12,345.5"),
        (42, "42", "42"),
        ("0.0125", "0.0125", "0.0125"),  # no digit of a measurement is rounded away
        ("<LOQ", "<LOQ", "<LOQ"),  # a code, not a number: as it is
        (None, "", ""),
        ("nan", "nan", "nan"),
    ],
)
def test_numbers(value: object, zh: str, en: str) -> None:
    assert format_number(value, "zh") == zh
    assert format_number(value, "en") == en


def test_utc_offsets() -> None:
    assert utc_offset(timezone(timedelta(hours=8))) == "UTC+8"
    assert utc_offset(timezone(timedelta(hours=-3, minutes=-30))) == "UTC-3:30"
    assert utc_offset(UTC) == "UTC"


def test_the_page_filters_use_the_page_language_and_zone() -> None:
    env: Environment = _pages._env
    template = env.from_string("{{ n | number }} · {{ t | moment }} · {{ d | day }}")
    values = {"n": "1234.5", "t": NOON_UTC, "d": "2026-06-01"}
    assert template.render(lang="zh", **values) == (
        "1,234.5 · 2026年6月1日 12:30（北京时间，UTC+8） · 2026年6月1日"
    )
    # A staff page carries its device's clock as ``zone``.
    shown = template.render(lang="en", zone=ZONES["xinjiang"], **values)
    assert "10:30\u202fAM (Xinjiang time, UTC+6)" in shown
    # A page language outside the three falls back to Chinese rather than failing.
    assert "北京时间" in template.render(lang="fr", **values)


def test_a_day_is_the_day_on_beijing_time() -> None:
    late = "2026-06-01T23:00:00+00:00"  # 07:00 on June 2nd in Beijing
    assert format_day(late, "en") == "Jun 2, 2026"
    assert format_day(datetime.fromisoformat(late), "zh") == "2026年6月2日"
