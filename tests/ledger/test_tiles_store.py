"""The log's own tiles: read from the store, exported to a folder, read back as a client would.

The reader here is the ledger's :class:`TiledTree`; the independent client written from the
spec alone is in tests/verifier_app/test_tiles_http.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy

from agritrace.cli import app as cli_app
from ledger import (
    CheckpointConflictError,
    Ledger,
    StoreError,
    TiledTree,
    TileNotFoundError,
    TileSource,
    export_tiles,
    tiles_for_size,
)
from ledger._schema import nodes
from ledger._store import node_id
from tests.ledger.conftest import LogWorld, notes
from tests.ledger.test_cli import RUNNER

# Two full level-0 tiles and a partial one; level 1 partial of width 2.
SIZE = 600


def _grow(world: LogWorld, total: int) -> Ledger:
    """Append test notes until the log holds ``total`` entries; publish a checkpoint."""
    ledger = world.ledger
    actor = world.actor("packer")
    missing = total - ledger.size()
    for start in range(0, missing, 250):
        ledger.append_batch(notes(actor, min(250, missing - start), start=ledger.size()))
    ledger.checkpoint()
    assert ledger.size() == total
    return ledger


def _fetch_from(source: TileSource) -> Callable[[str], bytes]:
    return lambda path: source.read_path(path)[1]


def test_tiles_from_store_rebuild_every_proof(world: LogWorld) -> None:
    ledger = _grow(world, SIZE)
    tree = TiledTree(SIZE, _fetch_from(TileSource(ledger.store)))
    tree.verify_root(ledger.root(SIZE))
    for seq in range(0, SIZE, 7):
        assert tree.inclusion_proof(seq) == ledger.inclusion_proof(seq, SIZE)
    for old in [*range(1, 20), 255, 256, 257, 511, 512, 513, 599, 600]:
        assert tree.consistency_proof(old) == ledger.consistency_proof(old, SIZE)
    assert tree.entries(0, SIZE) == [r.leaf() for r in ledger.entries()]


def test_tile_beyond_published_checkpoint_not_served(world: LogWorld) -> None:
    ledger = _grow(world, 300)
    lab = world.actor("lab")  # entry 300, published at once (interval 0)
    later = world.reopen(checkpoint_interval=timedelta(hours=1))
    later.append_batch(notes(lab, 3, start=1000))  # 304 entries, 3 unpublished
    source = TileSource(later.store)
    assert source.checkpoint_size() == 301
    assert source.read_path("tile/0/001.p/45")[0].width == 45
    with pytest.raises(TileNotFoundError, match="published tree of 301 entries"):
        source.read_path("tile/0/001.p/46")
    with pytest.raises(TileNotFoundError, match="published tree"):
        source.read_path("tile/entries/001.p/48")
    with pytest.raises(TileNotFoundError, match="no such tile"):
        source.read_path("tile/0/1")
    assert ledger.size() == 304


def test_older_partial_tiles_stay_servable(world: LogWorld) -> None:
    ledger = _grow(world, 300)
    first = TileSource(ledger.store).read_path("tile/0/001.p/44")[1]
    _grow(world, SIZE)
    assert TileSource(ledger.store).read_path("tile/0/001.p/44")[1] == first


def test_missing_node_row_reported(world: LogWorld) -> None:
    ledger = _grow(world, 300)
    with ledger.engine.begin() as conn:
        conn.execute(sqlalchemy.delete(nodes).where(nodes.c.node == node_id((0, 17))))
    with pytest.raises(StoreError, match="expected 256 stored Merkle nodes, got 255"):
        TileSource(ledger.store).read_path("tile/0/000")


# --- the static export ---------------------------------------------------------------------


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_export_writes_every_tile_and_the_checkpoint(world: LogWorld, tmp_path: Path) -> None:
    ledger = _grow(world, SIZE)
    out = tmp_path / "tiles"
    result = export_tiles(ledger, out)
    files = _files(out)
    expected = {t.path() for t in tiles_for_size(SIZE)} | {"checkpoint"}
    assert set(files) == expected
    assert result.written == len(expected) - 1
    assert files["checkpoint"].decode() == ledger.cosigned_checkpoint()
    source = TileSource(ledger.store)
    for path, data in files.items():
        if path != "checkpoint":
            assert source.read_path(path)[1] == data
    TiledTree(SIZE, files.__getitem__).verify_root(ledger.root())
    assert (out / "tile/0/000").stat().st_mode & 0o777 == 0o644


def test_export_is_incremental_and_never_rewrites_full_tiles(
    world: LogWorld, tmp_path: Path
) -> None:
    ledger = _grow(world, 300)
    out = tmp_path / "tiles"
    export_tiles(ledger, out)
    full = out / "tile/0/000"
    before = full.stat()
    _grow(world, SIZE)
    result = export_tiles(ledger, out)
    # New: tile/0/001, tile/0/002.p/88, tile/1/000.p/2 and the bundles 001, 002.p/88.
    assert (result.written, result.kept) == (5, 2)
    after = full.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert export_tiles(ledger, out).written == 0
    # The old partial tiles stay for clients still holding the older checkpoint.
    assert (out / "tile/0/001.p/44").exists()
    files = _files(out)
    TiledTree(SIZE, files.__getitem__).verify_root(ledger.root())


def test_export_refuses_a_folder_of_another_history(
    make_log: Callable[[str], LogWorld], tmp_path: Path
) -> None:
    one = _grow(make_log(f"sqlite:///{tmp_path / 'a.db'}"), 10)
    other = _grow(make_log(f"sqlite:///{tmp_path / 'b.db'}"), 12)  # same origin, new keys
    out = tmp_path / "tiles"
    export_tiles(one, out)
    with pytest.raises(CheckpointConflictError, match="holds another history"):
        export_tiles(other, out)
    (out / "checkpoint").write_text("not a note\n")
    with pytest.raises(CheckpointConflictError, match="not a checkpoint note"):
        export_tiles(one, out)


def test_export_refuses_a_larger_checkpoint(
    make_log: Callable[[str], LogWorld], tmp_path: Path
) -> None:
    big = _grow(make_log(f"sqlite:///{tmp_path / 'a.db'}"), 12)
    out = tmp_path / "tiles"
    export_tiles(big, out)
    small = _grow(make_log(f"sqlite:///{tmp_path / 'b.db'}"), 5)
    with pytest.raises(CheckpointConflictError, match="larger than"):
        export_tiles(small, out)


def test_cli_tiles_command(world: LogWorld, tmp_path: Path) -> None:
    if not world.url.startswith("sqlite"):
        pytest.skip("the command line test needs one backend only")
    _grow(world, 20)
    out = tmp_path / "static"
    result = RUNNER.invoke(cli_app, ["ledger", "tiles", str(out), "--db", world.url])
    assert result.exit_code == 0, result.output
    assert "tiles for size 20" in result.output
    assert "2 written" in result.output
    assert (out / "tile/0/000.p/20").stat().st_size == 20 * 32


def test_docs_tiles_example_runs(
    make_log: Callable[[str], LogWorld], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = (Path(__file__).parents[2] / "docs" / "ledger.md").read_text(encoding="utf-8")
    section = docs[docs.index("## Tiles") :]
    example = section[section.index("```python\n") + 10 : section.index("```\n", 10)]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "agritrace-data").mkdir()
    _grow(make_log("sqlite:///agritrace-data/ledger.db"), 30)
    exec(compile(example, "docs/ledger.md", "exec"), {})
    assert (tmp_path / "public/log/tile/0/000.p/30").exists()
