"""The demo season: recorded through the rules, with the statuses it was designed to show."""

from __future__ import annotations

import doctest
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import traceability.demo as demo_package
from labels import gs1_check_digit
from ledger import KeyFolder, Ledger
from traceability import LotStatus, Projection
from traceability.demo import ACTORS, FARMS, PRODUCTS, Season, build_season
from traceability.demo import _cast as demo_cast

ORIGIN = "test.kashgar-coop.example/log"


def _season(folder: Path, seed: int = 2026) -> tuple[Ledger, Season]:
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    ledger = Ledger.create(
        f"sqlite:///{folder / 'ledger.db'}", ORIGIN, root, keys.create_log_signer(ORIGIN)
    )
    return ledger, build_season(ledger, root, keys.create, seed=seed)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Ledger, Season]:
    return _season(tmp_path_factory.mktemp("season"))


def _status(ledger: Ledger, season: Season, lot: str) -> LotStatus:
    return Projection(ledger).lot(season.gtin, lot).status


def test_products_have_valid_gtins_and_farms_bilingual_names() -> None:
    for product in PRODUCTS:
        assert product.gtin[-1] == gs1_check_digit(product.gtin[:-1])
    assert {f.county.split()[0] for f in FARMS} >= {"莎车县", "疏附县"}  # Yarkant, Shufu
    # Every grower is written in Chinese, Uyghur (Arabic script) and Latin letters.
    assert all(any("\u0600" <= ch <= "\u06ff" for ch in f.grower) for f in FARMS)


def test_demo_records_the_cooperative_in_three_languages(built: tuple[Ledger, Season]) -> None:
    ledger, season = built
    info = Projection(ledger).cooperative()
    assert info is not None
    assert (info.name("zh"), info.name("en")) == (
        "喀什果农合作社",
        "Kashgar Fruit Growers' Cooperative",
    )
    assert any("\u0600" <= ch <= "\u06ff" for ch in info.name("ug"))
    assert info.gln is not None
    assert info.gln[-1] == gs1_check_digit(info.gln[:-1])
    assert season.counts["cooperative"] == 1


def test_released_lot_is_released_after_passing_tests(built: tuple[Ledger, Season]) -> None:
    ledger, season = built
    assert _status(ledger, season, season.released) == LotStatus.RELEASED
    Projection(ledger).check_label(season.gtin, season.released)  # may be labelled
    summary = Projection(ledger).summary(season.gtin, season.released)
    assert summary is not None
    assert {r.outcome for r in summary.residues} == {"pass"}


def test_cold_chain_excursion_holds_the_lot(built: tuple[Ledger, Season]) -> None:
    ledger, season = built
    state = Projection(ledger).lot(season.gtin, season.cold_chain_hold)
    assert state.status == LotStatus.ON_HOLD
    assert state.status_reason is not None
    assert state.status_reason.startswith("cold-chain-precool")


def test_failing_residue_holds_every_graded_lot(built: tuple[Ledger, Season]) -> None:
    ledger, season = built
    harvest = season.residue_hold.rsplit("-", 1)[0]
    for suffix in ("SU", "G1", "G2", "PR"):
        state = Projection(ledger).lot(season.gtin, f"{harvest}-{suffix}")
        assert state.status == LotStatus.ON_HOLD
        assert state.failed
        assert state.status_reason is not None
        assert "residue-above-mrl" in state.status_reason


def test_recall_propagates_to_graded_lots_and_shipment(built: tuple[Ledger, Season]) -> None:
    ledger, season = built
    forward = Projection(ledger).trace_forward(season.gtin, season.recalled_harvest)
    assert len(forward.lots) == 5  # the harvest lot and its four graded lots
    assert all(
        _status(ledger, season, key.split("(10)")[1]) == LotStatus.RECALLED for key in forward.lots
    )
    assert [s.status for s in forward.shipments] == ["recalled"]


def test_pre_harvest_interval_refusal_appended_nothing(built: tuple[Ledger, Season]) -> None:
    _, season = built
    phi = [r for r in season.refused if "pre-harvest-interval" in r]
    assert len(phi) == 1
    assert phi[0].startswith("harvest SB26-H06")
    # Six strawberry harvests (H06 once, days later) and one jujube harvest were recorded.
    assert season.counts["harvests"] == 7


def test_an_unassessed_growers_jujube_harvest_is_refused(built: tuple[Ledger, Season]) -> None:
    ledger, season = built
    (refusal,) = [r for r in season.refused if "grower-qualified" in r]
    assert "Li Hua" in refusal
    assert "gap_basics" in refusal
    assert Projection(ledger).find(season.jujube_gtin, "JJ26-H02") is None


def test_the_jujube_lot_is_released_with_brix_and_its_profiles_checks(
    built: tuple[Ledger, Season],
) -> None:
    ledger, season = built
    projection = Projection(ledger)
    state = projection.lot(season.jujube_gtin, season.jujube_released)
    assert state.status == LotStatus.RELEASED
    quality = projection.quality(season.jujube_gtin, season.jujube_released)
    brix = {m.indicator: (m.value, m.needs) for m in quality.measurements}["brix"]
    assert brix == ("26.4", ">= 25 °Bx")
    (qualified,) = quality.qualifications
    assert (qualified.topic, qualified.outcome) == ("gap_basics", "pass")
    (organic,) = quality.inputs
    assert organic.met
    # Strawberries carry a Brix reading too (no bound set by their profile).
    summer = projection.quality(season.gtin, season.released).measurements
    assert [(m.indicator, m.unit, m.needs) for m in summer] == [("brix", "°Bx", None)]


def test_late_release_refused_while_the_weekly_plan_is_overdue_then_released(
    built: tuple[Ledger, Season],
) -> None:
    ledger, season = built
    assert "sampling-plan-overdue" in season.refused[1]
    assert season.late_release in season.refused[1]
    assert _status(ledger, season, season.late_release) == LotStatus.RELEASED
    samples = Projection(ledger).samples(season.gtin, season.late_release)
    assert [(s.taken_by, len(s.result_seqs)) for s in samples] == [("regulator", 1)]


def test_the_lab_enrolled_itself_and_the_regulator_approved_it(
    built: tuple[Ledger, Season],
) -> None:
    ledger, _ = built
    (lab,) = Projection(ledger).labs()
    registered = ledger.keys()[lab.key_id]
    assert (registered.actor, registered.roles) == ("kashgar-lab", ("lab",))
    assert lab.approved_by == "market-regulator"


def test_every_key_is_registered_with_its_roles(built: tuple[Ledger, Season]) -> None:
    ledger, _ = built
    registered = {info.actor: set(info.roles) for info in ledger.keys().values()}
    for name, roles in ACTORS.items():
        assert registered[name] == {r.value for r in roles}


def test_the_season_audits_valid(built: tuple[Ledger, Season]) -> None:
    ledger, season = built
    ledger.checkpoint()
    report = ledger.audit()
    assert report.failure is None
    assert report.verdict == "valid"
    # The checkpoint ends with the lot-status map the season's seal appended.
    assert report.entries == season.counts["ledger entries"] + 1 == ledger.size()


def test_same_seed_same_season_other_seed_other_sizes(tmp_path: Path) -> None:
    def facts(folder: Path, seed: int) -> list[Mapping[str, Any]]:
        ledger, _ = _season(folder, seed)
        # Keys are new each run: the lab approval's key id is the one body member that differs.
        bodies: list[Mapping[str, Any]] = [
            {k: v for k, v in r.statement.body.items() if k != "key_id"}
            for r in ledger.entries()
            if r.statement.kind.startswith("trace.")
        ]
        ledger.close()
        return bodies

    first = facts(tmp_path / "a", 7)
    assert first == facts(tmp_path / "b", 7)
    assert first != facts(tmp_path / "c", 8)


def test_season_runs_on_keys_from_any_factory(tmp_path: Path) -> None:
    made: list[str] = []

    def new_key(name: str) -> Ed25519PrivateKey:
        made.append(name)
        return Ed25519PrivateKey.generate()

    keys = KeyFolder(tmp_path / "keys")
    root = keys.create("root")
    ledger = Ledger.create(
        f"sqlite:///{tmp_path / 'l.db'}", ORIGIN, root, keys.create_log_signer(ORIGIN)
    )
    build_season(ledger, root, new_key)
    assert made == list(ACTORS)


@pytest.mark.parametrize("module", [demo_package, demo_cast], ids=lambda m: m.__name__)
def test_docstring_examples_run(module: ModuleType) -> None:
    result = doctest.testmod(module, raise_on_error=False)
    assert result.attempted > 0
    assert result.failed == 0
