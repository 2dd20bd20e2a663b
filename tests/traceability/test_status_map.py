"""The lot-status map on the log: sealed checkpoints, and false or stale roots refused.

The demo season registers a ``status-map`` key and seals every checkpoint after it. A key
holder who appends a ``trace.status_map`` with a root the log does not give (straight to the
ledger, around the recorder) is named by ``agritrace audit``, and the regulator's witness
check refuses to cosign a checkpoint ending with it, or ending without a map at all.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ledger import KeyFolder, Ledger, Statement, format_time, key_id_for, sign_statement
from traceability import (
    BatchError,
    Hold,
    Recorder,
    StatusMap,
    StatusMapError,
    TraceError,
    check_before_cosigning,
    check_projection,
)
from traceability.demo import Season, build_season

ORIGIN = "statusmap.kashgar-coop.example/log"
NOW = datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Sealed:
    """The demo season on a ledger whose checkpoints end with the lot-status map."""

    url: str
    ledger: Ledger
    keys: KeyFolder
    season: Season


@pytest.fixture
def sealed(db_url: str, tmp_path: Path) -> Iterator[Sealed]:
    keys = KeyFolder(tmp_path / "keys")
    root = keys.create("root")
    with Ledger.create(db_url, ORIGIN, root, keys.create_log_signer(ORIGIN)) as ledger:
        season = build_season(ledger, root, keys.create)
        ledger.checkpoint()
        yield Sealed(db_url, ledger, keys, season)


def _audit(world: Sealed) -> Result:
    from agritrace.cli import app

    runner = CliRunner(env={"COLUMNS": "250", "NO_COLOR": "1"})
    return runner.invoke(app, ["audit", "--db", world.url])


def _append_map(world: Sealed, root: bytes, size: int | None = None, lots: int = 1) -> int:
    """A key holder appends a status map straight to the ledger (no recorder, no check)."""
    key = world.keys.load("status-map")
    seq = world.ledger.size()
    body = StatusMap(
        size=seq if size is None else size, root=base64.b64encode(root).decode(), lots=lots
    ).to_body()
    key_id = key_id_for(key.public_key().public_bytes_raw())
    # Signed a while ago: never the very statement the seal made (the ledger would return
    # that one's receipt instead of appending).
    when = format_time(datetime.now(UTC) - timedelta(seconds=30))
    statement = Statement(ORIGIN, StatusMap.KIND, body, key_id, when)
    assert world.ledger.append(sign_statement(statement, key)).seq == seq
    return seq


def _hold(world: Sealed) -> None:
    body = {"lot": {"gtin": world.season.gtin, "lot": world.season.released}, "reason": "x"}
    Recorder(world.ledger).record(
        Hold.from_body(body | {"time": NOW}), world.keys.load("coop-admin")
    )


def test_a_sealed_checkpoint_ends_with_a_map_the_audit_and_the_witness_accept(
    sealed: Sealed,
) -> None:
    note = sealed.ledger.latest_checkpoint()
    assert note is not None
    last = sealed.ledger.entry(sealed.ledger.size() - 1).statement
    assert last.kind == StatusMap.KIND
    assert last.body["size"] == sealed.ledger.size() - 1
    check_before_cosigning(sealed.ledger, note)
    result = _audit(sealed)
    assert result.exit_code == 0, result.output
    # An append, then a checkpoint: a new map ends it, covering the append.
    held_at = sealed.ledger.size()
    _hold(sealed)
    note = sealed.ledger.checkpoint()
    last = sealed.ledger.entry(sealed.ledger.size() - 1).statement
    assert last.kind == StatusMap.KIND
    assert last.body["size"] == sealed.ledger.size() - 1 > held_at
    check_before_cosigning(sealed.ledger, note)
    # Nothing new: the next checkpoint is the same, no second map.
    assert sealed.ledger.checkpoint() == note


def test_a_wrong_root_appended_by_a_key_holder_is_named_and_not_cosigned(
    sealed: Sealed,
) -> None:
    _hold(sealed)
    sealed.ledger.checkpoint()
    seq = _append_map(sealed, bytes(32))
    # The seal sees the log already ends with a map and appends none: the checkpoint ends
    # with the false one.
    note = sealed.ledger.checkpoint()
    assert sealed.ledger.size() == seq + 1
    result = _audit(sealed)
    assert result.exit_code == 1, result.output
    assert f"trace.status_map entry {seq}" in result.stderr
    assert "does not reproduce" in result.stderr
    faults = check_projection(sealed.ledger).map_faults
    assert [f.seq for f in faults] == [seq]
    with pytest.raises(StatusMapError, match=f"entry {seq}"):
        check_before_cosigning(sealed.ledger, note)


def test_a_map_that_does_not_cover_the_entries_before_it_is_named(sealed: Sealed) -> None:
    # The right root of an earlier size, restated later: the entries since are not in it.
    first = sealed.ledger.size() - 1
    stated = sealed.ledger.entry(first).statement.body
    _hold(sealed)
    seq = _append_map(sealed, base64.b64decode(stated["root"]), size=first, lots=stated["lots"])
    # Not a map of all before it: the seal appends a true one after it, but the false one
    # stays in the log, and the witness refuses a checkpoint over it.
    note = sealed.ledger.checkpoint()
    assert sealed.ledger.size() == seq + 2
    assert [f.seq for f in check_projection(sealed.ledger).map_faults] == [seq]
    with pytest.raises(StatusMapError, match=f"entry {seq}"):
        check_before_cosigning(sealed.ledger, note)


def test_a_checkpoint_without_a_map_at_its_end_is_not_cosigned(sealed: Sealed) -> None:
    sealed.ledger.seal = None  # a publisher that does not seal (a stale map)
    _hold(sealed)
    note = sealed.ledger.checkpoint()
    with pytest.raises(StatusMapError, match=r"not a trace\.status_map"):
        check_before_cosigning(sealed.ledger, note)


def test_the_recorder_refuses_a_wrong_root_and_appends_nothing(sealed: Sealed) -> None:
    size = sealed.ledger.size()
    wrong = StatusMap(size=size, root=base64.b64encode(bytes(32)).decode(), lots=26)
    with pytest.raises(TraceError, match="root"):
        Recorder(sealed.ledger).record(wrong, sealed.keys.load("status-map"))
    late = StatusMap(size=size - 1, root=wrong.root, lots=26)
    with pytest.raises((TraceError, BatchError), match="size"):
        Recorder(sealed.ledger).record(late, sealed.keys.load("status-map"))
    assert sealed.ledger.size() == size


def test_the_map_key_must_hold_the_cooperative_role(sealed: Sealed) -> None:
    # A packing station's key cannot commit to lot statuses (the role table).
    size = sealed.ledger.size()
    wrong = StatusMap(size=size, root=base64.b64encode(bytes(32)).decode(), lots=0)
    with pytest.raises(TraceError, match="cooperative"):
        Recorder(sealed.ledger).record(wrong, sealed.keys.load("packing-shed"))
    assert sealed.ledger.size() == size
