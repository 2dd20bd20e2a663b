"""Script injection through every free-text field the domain accepts is inert on every page.

A season is recorded where every free-text field (product name, grower, village, county,
grower actor, farm input product/substance/operator, variety, lab, method, substance, hold
and recall reasons, release note) holds markup, ``javascript:`` URLs and XML breakers, and
lot codes use the markup characters GS1 set 82 admits. Every page that shows them is parsed
with ``html.parser``: no injected element or attribute exists, and the text is shown as text.
Pages: the consumer page, the regulator pages, the lineage SVG and the staff pages (home,
search, lot pages, label printing, the forms a lot link opens).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from ledger import (
    KEY_REGISTER,
    KeyFolder,
    Ledger,
    Statement,
    format_time,
    key_id_for,
    register_body,
    sign_statement,
)
from tests.verifier_app.regulator_world import ORIGIN, SeasonWorld, write_tokens
from traceability import (
    Cooling,
    Farm,
    Grading,
    Harvest,
    Hold,
    InputApplication,
    Product,
    Recall,
    Recorder,
    Release,
    ResidueTest,
    enrol_lab,
    load_mrl_csv,
    load_profile,
)
from traceability.demo import Season

DATA = Path(__file__).resolve().parents[2] / "traceability" / "data"
GTIN = "06912345678902"
ATTACK = (
    '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    "<marquee>javascript:alert(1)</marquee> ]]> & &amp; <!-- '"
)
# GS1 set 82 admits " < > & ' in lot codes (20 characters at most).
LOT_HARVEST = '"><marquee>H1'
LOT_GRADED = "<blink>H1-SU"
LOT_HELD = "'&lt;<blink>H2"
LOT_RELEASED = "H3<marquee>"
INJECTED_TAGS = {"img", "marquee", "blink"}
T0 = datetime.fromisoformat("2026-06-01T08:00:00+08:00")


def _at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def _ref(lot: str) -> dict[str, str]:
    return {"gtin": GTIN, "lot": lot}


def _enrol(
    ledger: Ledger, root: Ed25519PrivateKey, keys: KeyFolder
) -> dict[str, Ed25519PrivateKey]:
    root_id = key_id_for(root.public_key().public_bytes_raw())
    roles = {
        "coop-admin": "cooperative",
        "packing-shed": "packing_station",
        "kashgar-lab": "lab",
        "market-regulator": "regulator",
    }
    made = {}
    for name, role in roles.items():
        key = made[name] = keys.create(name)
        body = register_body(key.public_key().public_bytes_raw(), name, [role])
        statement = Statement(
            ledger.origin, KEY_REGISTER, body, root_id, format_time(T0 - timedelta(days=9))
        )
        ledger.append(sign_statement(statement, root))
    return made


def _harvest_and_cool(r: Recorder, k: dict[str, Ed25519PrivateKey], lot: str, minute: int) -> None:
    station = k["packing-shed"]
    r.record(
        Harvest.from_body(
            {
                "lot": _ref(lot),
                "plot": "P1",
                "variety": ATTACK,
                "quantity": "100",
                "time": _at(minute),
            }
        ),
        station,
    )
    reading = {"time": _at(minute + 30), "celsius": "5"}
    r.record(
        Cooling.from_body(
            {"lot": _ref(lot), "site": "PS1", "readings": [reading], "time": _at(minute + 30)}
        ),
        station,
    )


def _test(r: Recorder, k: dict[str, Ed25519PrivateKey], lot: str, chlorpyrifos: str) -> None:
    results = [
        {"substance": "chlorpyrifos", "value": chlorpyrifos, "loq": "0.01"},
        {"substance": "carbendazim", "value": "<LOQ", "loq": "0.01"},
        {"substance": "imidacloprid", "value": "<LOQ", "loq": "0.01"},
        {"substance": ATTACK, "value": "<LOQ", "loq": "0.01"},
    ]
    body = {
        "lot": _ref(lot),
        "sample_id": "S1",
        "lab": ATTACK,
        "method": ATTACK,
        "results": results,
        "time": _at(300),
    }
    r.record(ResidueTest.from_body(body), k["kashgar-lab"])


def _record_season(ledger: Ledger, k: dict[str, Ed25519PrivateKey]) -> None:
    r = Recorder(ledger)
    # The lab's name is shown on the regulator's page: an attack string there too.
    at = T0 - timedelta(days=8)
    enrol_lab(r, k["kashgar-lab"], k["market-regulator"], lab="KS-LAB", name=ATTACK,
              accreditation="211234567890", at=at)  # fmt: skip
    coop = k["coop-admin"]
    r.record(Product.from_body({"gtin": GTIN, "commodity": "strawberry", "name": ATTACK}), coop)
    farm = {
        "farm": "F1",
        "grower": ATTACK,
        "village": ATTACK,
        "county": ATTACK,
        "plots": ["P1"],
        "grower_actor": ATTACK,
    }
    r.record(Farm.from_body(farm), coop)
    r.record(load_profile(DATA / "strawberry.toml"), coop)
    r.record(load_mrl_csv(DATA / "mrl-sample.csv"), coop)
    spray = {
        "plot": "P1",
        "category": "fertiliser",
        "product_name": ATTACK,
        "active_substance": ATTACK,
        "dose": "2",
        "dose_unit": "kg/ha",
        "time": _at(-60 * 24 * 20),
        "operator": ATTACK,
    }
    r.record(InputApplication.from_body(spray), coop)
    _harvest_and_cool(r, k, LOT_HARVEST, 0)
    graded = {"lot": _ref(LOT_GRADED), "grade": "super", "quantity": "50", "sizes_mm": ["36"]}
    r.record(
        Grading.from_body(
            {"input": _ref(LOT_HARVEST), "outputs": [graded], "site": "PS1", "time": _at(90)}
        ),
        k["packing-shed"],
    )
    _test(r, k, LOT_HARVEST, "0.5")  # fails: held, with everything graded from it
    _harvest_and_cool(r, k, LOT_HELD, 10)
    r.record(Hold.from_body({"lot": _ref(LOT_HELD), "reason": ATTACK, "time": _at(200)}), coop)
    _harvest_and_cool(r, k, LOT_RELEASED, 20)
    _test(r, k, LOT_RELEASED, "<LOQ")
    r.record(Release.from_body({"lot": _ref(LOT_RELEASED), "note": ATTACK, "time": _at(400)}), coop)
    r.record(
        Recall.from_body({"lot": _ref(LOT_HARVEST), "reason": ATTACK, "time": _at(500)}),
        k["market-regulator"],
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> SeasonWorld:
    folder = tmp_path_factory.mktemp("injection") / "season"
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    ledger = Ledger.create(
        f"sqlite:///{folder / 'ledger.db'}", ORIGIN, root, keys.create_log_signer(ORIGIN)
    )
    try:
        _record_season(ledger, _enrol(ledger, root, keys))
        ledger.checkpoint()
    finally:
        ledger.close()
    return SeasonWorld(folder, Season(GTIN), write_tokens(folder))


@pytest.fixture(scope="module")
def client(world: SeasonWorld) -> Iterator[TestClient]:
    with world.client() as client:
        yield client


class _Page(HTMLParser):
    """Collects elements, attributes, script bodies and text of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self.data: list[str] = []  # <script type="application/json">: data, never run
        self._in: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        if tag == "script":
            self._in = self.data if ("type", "application/json") in attrs else self.scripts
        else:
            self._in = None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        (self.text if self._in is None else self._in).append(data)


def _assert_inert(html: str, must_show: tuple[str, ...] = (ATTACK,)) -> None:
    page = _Page()
    page.feed(html)
    page.close()
    tags = {tag for tag, _ in page.tags}
    assert not tags & INJECTED_TAGS, tags & INJECTED_TAGS
    for tag, attrs in page.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert name != "src", (tag, name)
            assert not (value or "").strip().lower().startswith("javascript:"), (tag, name, value)
    assert not any("alert(1)" in script for script in page.scripts)
    for data in page.data:
        # Free text may sit in the proof's JSON, but can neither close the element nor open
        # a tag there ("<" is written \u003c), and it is data: the type is not a script's.
        assert "<" not in data
        json.loads(data)
    text = "".join(page.text)
    for shown in must_show:
        assert shown in text, shown


def _consumer(lot: str, lang: str) -> str:
    return f"/01/{GTIN}/10/{quote(lot, safe='')}?lang={lang}"


@pytest.mark.parametrize("lang", ["zh", "ug", "en"])
@pytest.mark.parametrize("lot", [LOT_GRADED, LOT_HELD, LOT_RELEASED, LOT_HARVEST])
def test_consumer_page_shows_free_text_as_text(client: TestClient, lot: str, lang: str) -> None:
    response = client.get(_consumer(lot, lang), headers={"Accept": "text/html"})
    assert response.status_code == 200, response.text[-300:]
    _assert_inert(response.text, must_show=(lot,))
    assert ATTACK in "".join(_texts(response.text))  # product, grower, village ... as text


def _texts(html: str) -> list[str]:
    page = _Page()
    page.feed(html)
    return page.text


REGULATOR_PAGES = [
    ("/regulator", ()),
    (f"/regulator/trace?gtin={GTIN}&lot={quote(LOT_HARVEST, safe='')}", (ATTACK, LOT_GRADED)),
    (f"/regulator/trace?gtin={GTIN}&lot={quote(LOT_HELD, safe='')}", (ATTACK, LOT_HELD)),
    (f"/regulator/trace?gtin={GTIN}&lot={quote(LOT_RELEASED, safe='')}", (ATTACK,)),
    ("/regulator/lots?status=held", (ATTACK, LOT_HELD)),
    ("/regulator/lots?status=recalled", (ATTACK, LOT_GRADED)),
    ("/regulator/lots?status=non_compliant", (ATTACK, LOT_HARVEST)),
    (f"/regulator/recall?gtin={GTIN}&lot={quote(LOT_RELEASED, safe='')}", ()),  # in a value
    ("/regulator/exports", ()),
    (f"/regulator/trace?gtin={GTIN}&lot={quote('<marquee>X', safe='')}", ("<marquee>X",)),
]


@pytest.mark.parametrize("lang", ["zh", "ug", "en"])
@pytest.mark.parametrize(("path", "shown"), REGULATOR_PAGES)
def test_regulator_pages_show_free_text_as_text(
    client: TestClient, world: SeasonWorld, path: str, shown: tuple[str, ...], lang: str
) -> None:
    world.sign_in(client, "regulator")
    response = client.get(f"{path}&lang={lang}" if "?" in path else f"{path}?lang={lang}")
    assert response.status_code in (200, 404), response.text[-300:]
    _assert_inert(response.text, must_show=shown)


def test_recall_confirmation_and_error_pages_show_the_reason_as_text(
    client: TestClient, world: SeasonWorld
) -> None:
    csrf = world.sign_in(client, "regulator")
    form = {"csrf": csrf, "gtin": GTIN, "lot": LOT_RELEASED, "reason": ATTACK}
    confirm = client.post("/regulator/recall/confirm", data=form)
    assert confirm.status_code == 200
    _assert_inert(confirm.text, must_show=(ATTACK, LOT_RELEASED))
    hidden = [
        v for tag, attrs in _parsed(confirm.text) for k, v in attrs if k == "name" or k == "value"
    ]
    assert ATTACK in hidden  # carried in the hidden field's value, as a value
    unknown = client.post("/regulator/recall/confirm", data=form | {"lot": "<marquee>Z"})
    assert unknown.status_code == 404
    _assert_inert(unknown.text, must_show=("<marquee>Z",))


def _parsed(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    page = _Page()
    page.feed(html)
    return page.tags


@pytest.mark.parametrize("lot", [LOT_HARVEST, LOT_HELD, LOT_RELEASED])
def test_lineage_svg_holds_the_text_as_text(
    client: TestClient, world: SeasonWorld, lot: str
) -> None:
    response = client.get(
        f"/api/v1/lots/{GTIN}/{quote(lot, safe='')}/lineage.svg", headers=world.auth("regulator")
    )
    assert response.status_code == 200
    root = ET.fromstring(response.text)
    tags = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
    assert tags <= {"svg", "title", "rect", "path", "text", "g"}
    assert all(not name.startswith("on") for e in root.iter() for name in e.attrib)
    titles = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any(ATTACK in title for title in titles)  # grower, village, county in full


def _staff(lot: str) -> str:
    return f"/staff/lots/{GTIN}/{quote(lot, safe='')}"


STAFF_PAGES = [
    ("/staff", (LOT_HELD,)),
    (f"/staff?q={quote(LOT_GRADED, safe='')}", (LOT_GRADED,)),
    (_staff(LOT_HARVEST), (ATTACK, LOT_HARVEST)),
    (_staff(LOT_HELD), (ATTACK, LOT_HELD)),
    (_staff(LOT_RELEASED), (ATTACK, LOT_RELEASED)),
    (f"/staff/record/grading?lot={quote(LOT_HARVEST, safe='')}", ()),
    (f"/staff/record/packing?lot={quote(LOT_RELEASED, safe='')}", ()),
    (f"/staff/record/hold?lot={quote(LOT_HELD, safe='')}", ()),
]


@pytest.mark.parametrize("lang", ["zh", "ug", "en"])
@pytest.mark.parametrize(("path", "shown"), STAFF_PAGES)
def test_staff_pages_show_free_text_as_text(
    client: TestClient, world: SeasonWorld, path: str, shown: tuple[str, ...], lang: str
) -> None:
    for role in ("packing_station", "cooperative"):
        world.sign_in(client, role)
        response = client.get(f"{path}&lang={lang}" if "?" in path else f"{path}?lang={lang}")
        if response.status_code == 403:
            continue  # a form this role may not use (hold: cooperative only)
        assert response.status_code in (200, 409), response.text[-300:]
        _assert_inert(response.text, must_show=shown)


@pytest.mark.parametrize("lang", ["zh", "ug", "en"])
def test_printing_and_certifying_a_lot_with_markup_in_its_code_stays_inert(
    client: TestClient, world: SeasonWorld, lang: str
) -> None:
    # The print and certificate forms post (they record a run or a certificate): their
    # answer is a download, or the lot page with the refusal, inert either way.
    csrf = world.sign_in(client, "cooperative")
    form = {"csrf": csrf, "format": "pdf", "count": "1", "contact": "0998-1234567"}
    for what in ("labels", "certificate"):
        response = client.post(
            f"{_staff(LOT_RELEASED)}/{what}?lang={lang}", data=form | {"basis": "自我承诺"}
        )
        assert response.status_code in (200, 409), response.text[-300:]
        if response.status_code == 409:
            _assert_inert(response.text, must_show=())
        else:
            assert response.content.startswith(b"%PDF")
