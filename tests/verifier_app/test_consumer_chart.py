"""The inline temperature chart: readings over the allowed band, drawn on the server."""

from __future__ import annotations

from decimal import Decimal

from verifier_app.consumer._chart import temperature_chart

LOW, HIGH = Decimal("4"), Decimal("6")


def _readings(*values: str) -> list[dict[str, str]]:
    return [
        {"time": f"2026-06-01T07:{10 * i:02d}:00+08:00", "celsius": v} for i, v in enumerate(values)
    ]


def test_a_reading_outside_the_band_is_marked() -> None:
    svg = str(temperature_chart(_readings("5.0", "7.5", "4.5"), LOW, HIGH, "t"))
    assert svg.count("<circle") == 3
    assert svg.count('class="out"') == 1
    assert '<rect class="band"' in svg


def test_field_heat_before_the_band_is_reached_is_not_marked_while_settling() -> None:
    readings = _readings("14.0", "9.5", "5.2", "6.8")
    assert str(temperature_chart(readings, LOW, HIGH, "t")).count('class="out"') == 3
    settled = str(temperature_chart(readings, LOW, HIGH, "t", settling=True))
    assert settled.count('class="out"') == 1  # only the rise after it was cold


def test_the_deadline_is_drawn_where_it_falls() -> None:
    readings = _readings("14.0", "5.0")
    svg = str(temperature_chart(readings, LOW, HIGH, "t", "2026-06-01T07:00:00+08:00",
                                due="2026-06-01T08:00:00+08:00"))  # fmt: skip
    assert '<line class="due" x1="314"' in svg  # the deadline ends the time axis
    assert "07:00" in svg  # the axis starts at the harvest


def test_an_empty_log_draws_nothing_and_the_title_is_escaped() -> None:
    assert str(temperature_chart([], LOW, HIGH, "t")) == ""
    svg = str(temperature_chart(_readings("5"), LOW, HIGH, '<script>"x"</script>'))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
