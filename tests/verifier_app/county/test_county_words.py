"""No English word on a county page shown in Chinese or Uyghur (codes and names aside).

The same finder as the members' pages (tests/verifier_app/test_page_words.py) over every
county page, with a recall upstream and a broken link on them so their wording shows too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy

from tests.traceability.conftest import STRAWBERRY, at, ev, ref
from tests.verifier_app.county.conftest import HTML, build_county_app, sign_in
from tests.verifier_app.test_page_words import english_words
from traceability import Intake, Recall, Role

#: The fixture's own names in Latin letters (a village, the test's inspector account).
FIXTURE_NAMES = ("Ayagh Village", "county-inspector")


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    built = build_county_app(tmp_path_factory.mktemp("county-words"))
    county = built.county
    county.a.record(Role.REGULATOR, ev(Recall, lot=ref("H1"), reason="spray", time=at(400)))
    # A link to a log outside the deployment, and one edited in the database: both named.
    body = county.centre.ledger.entry(county.intake_seq).statement.body
    elsewhere = dict(body) | {"lot": ref("C-X9"), "source_log": "elsewhere.example/log"}
    county.centre.record(Role.PACKING_STATION, Intake.from_body(elsewhere))
    with county.b.ledger.engine.begin() as conn:
        conn.execute(sqlalchemy.text("UPDATE trace_lots SET quantity = '1'"))
    paths = [
        "/county/",
        "/county/lots",
        "/county/lots?status=on_hold",
        "/county/lots?code=C-G1",
        "/county/lots?code=NOTHING",
        "/county/trace",
        f"/county/trace?member=centre&gtin={STRAWBERRY}&lot=C-G1",
        f"/county/trace?member=centre&gtin={STRAWBERRY}&lot=C-X9",
        f"/county/trace?member=coop-a&gtin={STRAWBERRY}&lot=H1",
        f"/county/trace?member=coop-b&gtin={STRAWBERRY}&lot=NOPE",
        "/county/dashboard",
        "/county/audit",
    ]
    out: dict[str, dict[str, str]] = {}
    with built.client() as client:
        for language in ("zh", "ug"):
            out.setdefault("/county/sign-in", {})[language] = client.get(
                f"/county/sign-in?lang={language}", headers=HTML
            ).text
        csrf = sign_in(client)
        assert client.post("/county/audit", data={"csrf": csrf}).status_code == 200
        for path in paths:
            for language in ("zh", "ug"):
                sep = "&" if "?" in path else "?"
                answer = client.get(f"{path}{sep}lang={language}", headers=HTML)
                assert answer.status_code in {200, 404}, (path, answer.status_code)
                page = answer.text
                for name in FIXTURE_NAMES:
                    page = page.replace(name, "")
                out.setdefault(path, {})[language] = page
    return out


def test_no_county_page_in_chinese_or_uyghur_shows_an_english_word(
    pages: dict[str, dict[str, str]],
) -> None:
    found = {
        f"{path} ({language})": sorted(set(words))
        for path, by_language in pages.items()
        for language, page in by_language.items()
        if (words := english_words(page))
    }
    assert not found, "English words on zh/ug county pages:\n" + "\n".join(
        f"{page}: {words}" for page, words in sorted(found.items())
    )


def test_the_county_pages_were_really_rendered(pages: dict[str, dict[str, str]]) -> None:
    # Guards the test above against passing on sign-in pages or empty bodies.
    assert "县级监管" in pages["/county/"]["zh"]
    trace = pages[f"/county/trace?member=centre&gtin={STRAWBERRY}&lot=C-G1"]
    assert "上游已召回" in trace["zh"]
    assert "已与来源账本核验一致" in trace["zh"]
    assert "未核验" in pages[f"/county/trace?member=centre&gtin={STRAWBERRY}&lot=C-X9"]["zh"]
    assert "与账本不一致" in pages["/county/audit"]["zh"]
    assert "ناھىيە" in pages["/county/"]["ug"]


def test_the_finder_is_not_blind_here(tmp_path: Path) -> None:
    assert english_words('<html lang="zh"><body><p>批次 Lot search</p></body></html>') == [
        "Lot",
        "search",
    ]
