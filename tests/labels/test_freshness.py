"""The freshness line (issue 13): harvest date (AI 7007) and best-before (AI 15) in words.

Printed on labels and on the compliance certificate when both dates are known; the codes
still decode to their links, and the dates may ride in a Digital Link as data attributes
without breaking its syntax.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from labels import (
    Certificate,
    DigitalLink,
    FontSet,
    LabelData,
    Layout,
    LayoutError,
    parse_digital_link,
    render_png,
    sign_link,
)
from labels._certificate import certificate_text
from labels._layout import freshness_line, place
from tests.labels.conftest import RESOLVER, decode_all

PICKED, BEST = dt.date(2026, 6, 1), dt.date(2026, 6, 8)


def test_the_freshness_line_reads_harvest_then_best_before() -> None:
    assert freshness_line(PICKED, BEST) == "采收 2026-06-01 保质至 2026-06-08"
    assert freshness_line(None, BEST) == ""
    assert freshness_line(PICKED, None) == ""


def test_a_best_before_date_before_the_harvest_is_refused() -> None:
    with pytest.raises(LayoutError, match="best_before: expected on or after"):
        freshness_line(BEST, PICKED)


@pytest.mark.parametrize("name", ["50x30@300", "60x40@203"])
def test_a_roll_label_with_the_freshness_line_still_decodes(
    name: str, data: LabelData, fonts: FontSet, key: Ed25519PrivateKey
) -> None:
    fresh = dataclasses.replace(data, harvested=PICKED, best_before=BEST)
    link = sign_link(DigitalLink(RESOLVER, "06912345670012", lot="SB26-H01-G1"), key)
    layout = Layout.named(name)
    plain = place(layout, data, link, 33, fonts)
    placed = place(layout, fresh, link, 33, fonts)
    assert len(placed.lines) == len(plain.lines) + 1  # one more line, nothing dropped
    image = Image.open(io.BytesIO(render_png(fresh, link, layout, fonts)))
    assert decode_all(image) == [link.uri]


def test_the_certificate_prints_the_freshness_line() -> None:
    link = DigitalLink(RESOLVER, "06912345670012", lot="SB26-H01-G1", certificate="73")
    cert = Certificate("喀什果农合作社", "+86 998 555 0100", "草莓", "42.0 KGM", "疏附县",
                       dt.date(2026, 6, 2), link, harvested=PICKED, best_before=BEST)  # fmt: skip
    lines = [text for text, *_ in certificate_text(cert, 100.0, 30.0)]
    assert "采收 2026-06-01 保质至 2026-06-08" in lines
    bare = dataclasses.replace(cert, harvested=None, best_before=None)
    assert not any("保质至" in text for text, *_ in certificate_text(bare, 100.0, 30.0))


def test_harvest_and_best_before_are_valid_digital_link_data_attributes() -> None:
    link = DigitalLink(
        RESOLVER,
        "06912345670012",
        lot="SB26-H01-G1",
        attributes=(("7007", "260601"), ("15", "260608")),
    )
    assert link.uri.endswith("/01/06912345670012/10/SB26-H01-G1?7007=260601&15=260608")
    again = parse_digital_link(link.uri)
    assert again.attributes == (("7007", "260601"), ("15", "260608"))
    assert again.element_string.endswith("(7007)260601(15)260608")
