"""The server's own check: "verified" needs a checkpoint over every entry and agreeing facts."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from labels import parse_digital_link
from ledger import KeyFolder, Ledger
from traceability.demo import Season, build_season
from verifier_app._signing import AppRecorder
from verifier_app.consumer._check import check_lot
from verifier_app.consumer._domain_lookup import TraceLookup
from verifier_app.consumer._lookup import LotView
from verifier_app.consumer._proofs import ProofBundle, proof_bundle

ORIGIN = "check.kashgar-coop.example/log"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Ledger, Season, LotView]]:
    """The demo season, checkpointed, and the released lot's view."""
    folder: Path = tmp_path_factory.mktemp("season")
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    url = f"sqlite:///{folder / 'ledger.db'}"
    with Ledger.create(url, ORIGIN, root, keys.create_log_signer(ORIGIN)) as ledger:
        season = build_season(ledger, root, keys.create)
        ledger.checkpoint()
        link = parse_digital_link(f"https://id.example/01/{season.gtin}/10/{season.released}")
        view = TraceLookup(ledger, AppRecorder(ledger, keys))(link)
        assert view is not None
        yield ledger, season, view


def _check(world: tuple[Ledger, Season, LotView], view: LotView, bundle: ProofBundle | None) -> str:
    ledger, season, _ = world
    result = check_lot(ledger, season.gtin, season.released, view, bundle)
    return f"{result.state}: {result.reason}"


def test_a_genuine_lot_under_a_covering_checkpoint_is_verified(
    world: tuple[Ledger, Season, LotView],
) -> None:
    ledger, _, view = world
    assert _check(world, view, proof_bundle(ledger, view.entries)) == "verified: "


def test_no_checkpoint_is_unproven(world: tuple[Ledger, Season, LotView]) -> None:
    assert _check(world, world[2], None) == "unproven: no signed checkpoint yet"


def test_entries_newer_than_the_checkpoint_are_unproven(
    world: tuple[Ledger, Season, LotView],
) -> None:
    ledger, _, view = world
    bundle = proof_bundle(ledger, view.entries)
    assert bundle is not None
    older = bundle.model_copy(update={"size": max(view.entries)})  # the last entry is newer
    assert _check(world, view, older).startswith("unproven: 1 entries are newer")


def test_a_view_without_claims_is_never_verified(world: tuple[Ledger, Season, LotView]) -> None:
    ledger, _, view = world
    bare = dataclasses.replace(view, claims={})
    assert _check(world, bare, proof_bundle(ledger, view.entries)).startswith("unproven")


def test_entries_beyond_the_log_or_missing_rules_are_a_mismatch(
    world: tuple[Ledger, Season, LotView],
) -> None:
    ledger, _, view = world
    beyond = dataclasses.replace(view, entries=(*view.entries, ledger.size() + 5))
    assert _check(world, beyond, None).startswith("mismatch: the answer names entries beyond")
    kinds = {seq: ledger.entry(seq).statement.kind for seq in view.entries}
    no_mrl = dataclasses.replace(
        view, entries=tuple(s for s in view.entries if kinds[s] != "trace.mrl")
    )
    assert "no entry for" in _check(world, no_mrl, None)


def test_a_claim_the_entries_do_not_give_is_a_mismatch_naming_it(
    world: tuple[Ledger, Season, LotView],
) -> None:
    ledger, _, view = world
    lied = dataclasses.replace(view, claims={**view.claims, "grade": "super"})
    result = check_lot(ledger, world[1].gtin, world[1].released, lied, None)
    assert result.state == "mismatch"
    assert result.mismatches == ({"fact": "grade", "shown": "super", "derived": "grade_1"},)
