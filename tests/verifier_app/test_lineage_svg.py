"""The lineage picture: well-formed, inert whatever the text, readable at any fan-out."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from traceability import LineageEdge, LineageGraph, LineageNode
from verifier_app.regulator._lineage_svg import MAX_PER_COLUMN, lineage_svg

SVG = "{http://www.w3.org/2000/svg}"
ATTACKS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "]]><x/>&amp;&<!--",
    "a\x00b\x1bc\ud800",
    "<svg onload=alert(1)>",
]
ALLOWED = {"svg", "title", "rect", "path", "text", "g"}


def _graph(text: str) -> LineageGraph:
    nodes = (
        LineageNode("plot:P1", "plot", text, text, None, 0),
        LineageNode("lot:A", "lot", text, text, "recalled", 1, focus=True),
        LineageNode("lot:B", "lot", "B", text, "on_hold", 2),
        LineageNode("shipment:S", "shipment", text, text, "in_transit", 3),
        LineageNode("receiver:R", "receiver", text, "", None, 4),
    )
    edges = (
        LineageEdge("plot:P1", "lot:A"),
        LineageEdge("lot:A", "lot:B"),
        LineageEdge("lot:B", "shipment:S"),
        LineageEdge("shipment:S", "receiver:R"),
    )
    return LineageGraph(nodes, edges)


def _elements(svg: str) -> list[ET.Element]:
    return list(ET.fromstring(svg).iter())


@pytest.mark.parametrize("text", ATTACKS)
def test_free_text_stays_text_in_the_picture(text: str) -> None:
    svg = lineage_svg(_graph(text))
    elements = _elements(svg)  # parses: well-formed whatever the text held
    assert {e.tag.removeprefix(SVG) for e in elements} <= ALLOWED
    for element in elements:
        for name, value in element.attrib.items():
            assert not name.startswith("on"), name
            assert "javascript" not in value
            assert "<" not in value
    assert "<script" not in svg
    assert "<img" not in svg
    assert "href" not in svg


def test_escaped_text_is_still_readable() -> None:
    svg = lineage_svg(_graph("A&B <farm>"))
    texts = ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert "\u2068A&B <farm>\u2069" in texts  # isolated: keeps its order in a RTL line
    assert "A&amp;B &lt;farm&gt;" in svg


def test_statuses_are_coloured_and_written() -> None:
    root = ET.fromstring(lineage_svg(_graph("x")))
    fills = {r.get("fill") for r in root.iter(f"{SVG}rect")}
    assert {"#fde2e1", "#fff4d6"} <= fills  # recalled red, held amber
    texts = ["".join(t.itertext()).strip("\u2068\u2069") for t in root.iter(f"{SVG}text")]
    assert {"recalled", "on hold"} <= set(texts)
    assert any(r.get("stroke-width") == "4" for r in root.iter(f"{SVG}rect"))  # the focus


def test_ten_thousand_descendants_are_summarised_per_column() -> None:
    children = [
        LineageNode(f"lot:C{i:05}", "lot", f"C{i:05}", "", "recalled" if i % 2 else "active", 2)
        for i in range(10_000)
    ]
    nodes = (LineageNode("lot:A", "lot", "A", "", "recalled", 1, focus=True), *children)
    edges = tuple(LineageEdge("lot:A", c.id) for c in children)
    svg = lineage_svg(LineageGraph(nodes, edges))
    root = ET.fromstring(svg)
    groups = list(root.iter(f"{SVG}g"))
    assert len(groups) == 1 + MAX_PER_COLUMN
    texts = ["".join(t.itertext()).strip("\u2068\u2069") for t in root.iter(f"{SVG}text")]
    assert f"+ {10_000 - MAX_PER_COLUMN + 1:,}" in texts
    # The summary's counts by status, one per line when both do not fit on one.
    counted = [t for t in texts if re.fullmatch(r"[\d,]+ (recalled|active)", t)]
    assert len(counted) >= 2
    assert len(list(root.iter(f"{SVG}path"))) == MAX_PER_COLUMN
    assert len(svg) < 20_000


def test_the_traced_node_is_drawn_even_beyond_the_column_limit() -> None:
    lots = [LineageNode(f"lot:{i:03}", "lot", f"L{i:03}", "", "active", 1) for i in range(50)]
    lots.append(LineageNode("lot:zzz", "lot", "ZZZ", "", "active", 1, focus=True))
    texts = [
        "".join(t.itertext()).strip("\u2068\u2069")
        for t in ET.fromstring(lineage_svg(LineageGraph(tuple(lots), ()))).iter(f"{SVG}text")
    ]
    assert "ZZZ" in texts


def test_an_empty_graph_is_still_a_picture() -> None:
    root = ET.fromstring(lineage_svg(LineageGraph((), ())))
    assert root.tag == f"{SVG}svg"
    with pytest.raises(ValueError, match="max_per_column"):
        lineage_svg(LineageGraph((), ()), max_per_column=1)


def test_right_to_left_puts_the_farm_at_the_right_and_arrows_leftwards() -> None:
    graph = _graph("KS-F01")
    ltr = ET.fromstring(lineage_svg(graph))
    rtl = ET.fromstring(lineage_svg(graph, rtl=True))
    width = float(rtl.get("width", "0"))

    def plot_x(root: ET.Element) -> float:
        return float(next(root.iter(f"{SVG}g")).find(f"{SVG}rect").get("x", ""))  # type: ignore[union-attr]

    assert plot_x(ltr) < width / 2 < plot_x(rtl)  # the first column: left, or right
    for path in rtl.iter(f"{SVG}path"):
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.get("d", ""))]
        assert numbers[-2] < numbers[0]  # ends left of where it starts
    assert all(t.get("direction") == "rtl" for t in rtl.iter(f"{SVG}text"))


def test_wide_text_is_fitted_inside_its_box() -> None:
    name = "阿依夏·吐尔逊 ئايشە تۇرسۇن Aysha Tursun, 阿亚格村, 莎车县"
    svg = lineage_svg(_graph(name), words={"recalled": "已召回"})
    texts = [
        "".join(t.itertext()).strip("\u2068\u2069") for t in ET.fromstring(svg).iter(f"{SVG}text")
    ]
    assert "已召回" in texts
    # 13 px characters, 194 px of room: no line of CJK text longer than 15 characters.
    for text in texts:
        wide = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
        assert wide <= 15, text
    assert any(t.endswith("\u2026") for t in texts)  # cut, and says so
