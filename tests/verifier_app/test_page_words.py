"""No English word on a page shown in Chinese or Uyghur, except codes, units and names.

Renders the demo season's pages -- staff home, every form, a staff lot page, the regulator's
pages, the consumer's lot pages, sign-in -- in ``zh`` and ``ug`` and lists every word in Latin
letters the reader sees (text, and the ``placeholder``, ``title``, ``alt`` and ``aria-label``
attributes). A word is allowed when it is a code (it has a digit: lot codes, GTINs, times;
or it is on :data:`CODES`), a unit or a proper name (:data:`NAMES`). Anything else is wording
that was not translated.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.verifier_app.regulator_world import ORIGIN, SeasonWorld, build_season_world
from verifier_app import ROLES
from verifier_app.staff._forms import FORMS

HTML = {"Accept": "text/html"}

#: Codes and abbreviations read the same in every language (standards, formats, symbols).
CODES = frozenset(
    {
        "GTIN", "GS1", "GLN", "QR", "PDF", "PNG", "ZPL", "A4", "UTC", "LOQ", "MRL", "JSON",
        "CSV", "EPCIS", "FSMA", "JavaScript", "ID", "SSCC", "LD",
        # Units: SI symbols are written in Latin letters in Chinese and Uyghur texts too.
        "kg", "mg", "mm", "g", "C", "KGM", "Bx", "ha",
        # China's lab accreditation mark (资质认定 CMA), printed as such on reports.
        "CMA",
        # Quality indicators' codes, typed as such in the grading form's readings field.
        "brix", "moisture",
        # The app's own name and its command.
        "agritrace", "reindex",
    }
)  # fmt: skip

#: Proper names the demo records in Latin letters beside their Chinese and Uyghur forms
#: (people, villages, counties, the lab, the MRL edition's label).
NAMES = frozenset(
    {
        "aysha", "tursun", "shufu", "tokkuzak", "memet", "niyaz", "ayagh", "yarkant",
        "abdukerim", "gulnar", "yengisar", "li", "hua", "kashgar", "agri", "testing", "lab",
        "gb", "sample",
        # The lineage drawing cuts long names to fit its boxes ("Niy…", "Tu…").
        "niy", "tu",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Pending:
    """TEMPORARY: English words a page shows today that another branch or issue is to word.

    Listed (with where they come from) so the test guards every other word meanwhile; remove
    an entry when its words are translated, and the test shows whether they really are.
    """

    why: str
    pages: tuple[str, ...]  # path prefixes
    words: frozenset[str]


PENDING: tuple[Pending, ...] = ()


def pending_for(path: str) -> frozenset[str]:
    """The temporary allowances of the page at ``path``."""
    return frozenset().union(*(p.words for p in PENDING if path.startswith(p.pages)))


_WORD = re.compile(r"[A-Za-z°][A-Za-z0-9°'._/-]*")
_SHOWN_ATTRIBUTES = ("placeholder", "title", "alt", "aria-label")


class _Visible(HTMLParser):
    """The text a reader sees in the page's language.

    Left out: script and style; ``<code>`` (what the template marks as a code: a rule key, a
    machine reason); and an element in another language (``lang="en"``: the language
    switcher's "English" is that language's own name).
    """

    _SKIPPED = frozenset({"script", "style", "template", "code"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.language = ""
        self._open: list[tuple[str, bool]] = []  # (tag, hides its content)

    def _hidden(self) -> bool:
        return any(hides for _, hides in self._open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.language = values.get("lang") or ""
            return
        other = bool(self.language) and values.get("lang") not in {None, self.language}
        if tag not in _VOID:
            self._open.append((tag, tag in self._SKIPPED or other))
        if self._hidden():
            return
        for name in _SHOWN_ATTRIBUTES:
            if values.get(name):
                self.parts.append(values[name] or "")

    def handle_endtag(self, tag: str) -> None:
        for at in range(len(self._open) - 1, -1, -1):
            if self._open[at][0] == tag:
                del self._open[at:]
                break

    def handle_data(self, data: str) -> None:
        if not self._hidden():
            self.parts.append(data)


_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


def english_words(page: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """The words in Latin letters on ``page`` that are neither codes nor allowed names."""
    parser = _Visible()
    parser.feed(page)
    found = []
    for token in _WORD.findall(" ".join(parser.parts)):
        if any(ch.isdigit() for ch in token):
            continue  # a code: lot, GTIN, serial, time, quantity
        for word in re.split(r"[._/'-]+", token.strip("°.'_/-")):
            if len(word) < 2 and word not in {"a", "A", "I"}:
                continue
            if word and word not in CODES and word.lower() not in NAMES and word not in allowed:
                found.append(word)
    return found


def test_the_word_finder_finds_english_and_passes_codes() -> None:
    page = (
        "<html><head><title>溯源</title><style>p{color:red}</style></head><body>"
        "<p>批次 SB26-H01-G1 · 06912345670012 · 5 °C · 42.5 kg · GTIN</p>"
        '<input placeholder="Lot code"><script>var verified = 1;</script>'
        "<p>已验证 Released for sale</p></body></html>"
    )
    assert english_words(page) == ["Lot", "code", "Released", "for", "sale"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> SeasonWorld:
    return build_season_world(tmp_path_factory.mktemp("words") / "season")


@pytest.fixture(scope="module")
def pages(world: SeasonWorld) -> dict[str, dict[str, str]]:
    """Path -> language -> page, for every page of the three audiences."""
    season = world.season
    gtin = season.gtin
    staff = ["/staff", f"/staff/lots/{gtin}/{season.released}"]
    staff += [f"/staff/lots/{gtin}/{season.cold_chain_hold}", f"/staff/lots/{gtin}/SB26-H01"]
    staff += ["/staff/dashboard"]
    regulator = [
        "/regulator",
        "/regulator/audit",
        "/regulator/trace",
        f"/regulator/trace?gtin={gtin}&lot=SB26-H02",
        "/regulator/trace?shipment=SH-0602-URC",
        "/regulator/lots?status=held",
        "/regulator/lots?status=non_compliant",
        "/regulator/lots?status=recalled",
        "/regulator/recall",
        "/regulator/exports",
        "/regulator/dashboard",
        "/regulator/complaints?show=all",
    ]  # and an audit's page with its verdict, and each complaint's page (below)
    consumer = [f"/01/{gtin}/10/{lot}" for lot in (season.released, season.recalled)]
    consumer += [f"/01/{gtin}/10/{season.residue_hold}", f"/01/{gtin}/10/NO-SUCH-LOT-9", "/"]
    consumer += [f"/report/01/{gtin}/10/{season.released}", "/reports/2026-Q2"]
    out: dict[str, dict[str, str]] = {}

    def fetch(client: TestClient, path: str) -> None:
        for language in ("zh", "ug"):
            sep = "&" if "?" in path else "?"
            response = client.get(f"{path}{sep}lang={language}", headers=HTML)
            assert response.status_code in {200, 404}, (path, response.status_code)
            page = response.text
            # The test's own fixture names (accounts "<role>-actor", the ledger's origin) are
            # names, not wording.
            for name in [ORIGIN, *(f"{role}-actor" for role in ROLES)]:
                page = page.replace(name, "")
            out.setdefault(path, {})[language] = page

    with world.client() as client:
        for path in [*consumer, "/sign-in"]:
            fetch(client, path)
    for role, paths in (("cooperative", staff), ("regulator", regulator)):
        with world.client() as client:
            csrf = world.sign_in(client, role)
            for path in paths:
                fetch(client, path)
            if role == "regulator":
                fetch(client, _finished_audit(client, csrf))
                listed = client.get("/regulator/complaints?show=all", headers=HTML).text
                complaints = sorted(set(re.findall(r'href="(/regulator/complaints/\d+)"', listed)))
                assert complaints, "the season records complaints"
                for path in complaints:
                    fetch(client, path)
    for form in FORMS.values():
        with world.client() as client:
            world.sign_in(client, sorted(form.roles)[0])
            fetch(client, f"/staff/record/{form.kind}")
    return out


def _finished_audit(client: TestClient, csrf: str) -> str:
    """Run an audit of the season's ledger; return its page's path once it has a verdict."""
    started = client.post("/regulator/audits", data={"csrf": csrf}, follow_redirects=False)
    assert started.status_code == 303, started.text
    path = str(started.headers["location"])
    deadline = time.monotonic() + 60
    while "refresh" in client.get(path, headers=HTML).headers:
        assert time.monotonic() < deadline, "the audit did not finish"
        time.sleep(0.1)
    return path


def test_no_page_in_chinese_or_uyghur_shows_an_english_word(
    pages: dict[str, dict[str, str]],
) -> None:
    found = {
        f"{path} ({language})": sorted(set(words))
        for path, by_language in pages.items()
        for language, page in by_language.items()
        if (words := english_words(page, pending_for(path)))
    }
    assert not found, "English words on zh/ug pages:\n" + "\n".join(
        f"{page}: {words}" for page, words in sorted(found.items())
    )


def test_the_pages_were_really_rendered(pages: dict[str, dict[str, str]]) -> None:
    # Guards the test above against passing on error pages or empty bodies.
    assert len(pages) >= 20
    assert "包装车间" in pages["/staff"]["zh"]
    assert "监管审计" in pages["/regulator"]["zh"]
    audits = [p for path, p in pages.items() if path.startswith("/regulator/audits/")]
    assert len(audits) == 1
    assert "<code>valid</code>" in audits[0]["zh"]
    assert any("已验证" in p["zh"] for path, p in pages.items() if path.startswith("/01/"))


def test_a_path_that_does_not_exist_is_not_counted(tmp_path: Path) -> None:
    # The finder sees only what a reader sees: attribute values other than labels are not text.
    page = '<a href="/staff/lots/x?lang=zh" class="button secondary" data-fact="origin">产地</a>'
    assert english_words(page) == []


def test_every_pending_allowance_is_still_needed(pages: dict[str, dict[str, str]]) -> None:
    # When a branch translates these words, this fails until its allowance is removed: the
    # allow-list never hides more than what the pages really show.
    for pending in PENDING:
        shown: set[str] = set()
        for path, by_language in pages.items():
            if path.startswith(pending.pages):
                for page in by_language.values():
                    shown.update(english_words(page))
        stale = pending.words - shown
        assert not stale, f"no page shows {sorted(stale)} any more: remove from {pending.why!r}"


def test_other_languages_and_codes_are_not_counted() -> None:
    page = (
        '<html lang="zh"><body><nav><a lang="en" hreflang="en">English</a>'
        '<a lang="zh">中文</a></nav><p>不能放行 <code class="rule">release-only-active</code>'
        "</p><p>still counted</p></body></html>"
    )
    assert english_words(page) == ["still", "counted"]
