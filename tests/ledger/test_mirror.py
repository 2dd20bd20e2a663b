"""The mirror follows a log through its tiles, verifies all of it, survives cuts, stops at forks."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import ledger._mirror as mirror_module
from agritrace.cli import app as cli_app
from ledger import (
    Checkpoint,
    CosignatureVerifier,
    Cosigner,
    ForkError,
    Ledger,
    Mirror,
    MirrorError,
    MirrorNetworkError,
    NoteSigner,
    NoteVerifier,
    Record,
    TileSource,
    audit,
    export_tiles,
    http_fetch,
    leaf_hash,
    parse_note,
    sign_checkpoint,
    tiles_for_size,
)
from ledger._tiles import encode_entry_bundle, encode_hash_tile
from ledger._tree import CompactRange
from tests.ledger.conftest import ORIGIN, LogWorld, notes

Fetch = Callable[[str], bytes]


def source_fetch(ledger: Ledger) -> Fetch:
    """What the source log's app serves (the tiles router's bytes), without HTTP."""
    source = TileSource(ledger.store)

    def fetch(path: str) -> bytes:
        if path == "checkpoint":
            return (ledger.cosigned_checkpoint() or "").encode()
        return source.read_path(path)[1]

    return fetch


def grow(world: LogWorld, count: int) -> None:
    actor = world.actor("packer")
    size = world.ledger.size()
    for start in range(0, count, 250):
        world.ledger.append_batch(notes(actor, min(250, count - start), start=size + start))
    world.ledger.checkpoint()


@pytest.fixture
def source(make_log: Callable[[str], LogWorld], tmp_path: Path) -> LogWorld:
    return make_log(f"sqlite:///{tmp_path / 'source.db'}")


def open_mirror(world: LogWorld, tmp_path: Path, fetch: Fetch, url: str | None = None) -> Mirror:
    key = NoteVerifier.from_key_string(world.log_signer.verifier_key())
    return Mirror.open(url or f"sqlite:///{tmp_path / 'mirror.db'}", key, fetch, tmp_path / "st")


def same_log(mirror: Mirror, ledger: Ledger) -> None:
    copy = Ledger(mirror.store)
    assert copy.size() == ledger.size()
    assert copy.root() == ledger.root()
    assert [r.leaf() for r in copy.entries()] == [r.leaf() for r in ledger.entries()]
    assert copy.latest_checkpoint() == ledger.cosigned_checkpoint()
    assert copy.keys() == ledger.keys()
    report = audit(mirror.store)
    assert report.failure is None, report.failure


def test_mirror_follows_a_growing_log(source: LogWorld, tmp_path: Path) -> None:
    mirror = open_mirror(source, tmp_path, source_fetch(source.ledger))
    grow(source, 300)
    assert mirror.sync().after == source.ledger.size()
    same_log(mirror, source.ledger)
    grow(source, 400)
    progress = mirror.sync()
    assert (progress.before, progress.after) == (302, 703)
    same_log(mirror, source.ledger)
    assert mirror.sync().after == 703  # nothing new


def test_mirror_takes_cosignatures_added_later_and_never_drops_one(
    source: LogWorld, tmp_path: Path
) -> None:
    grow(source, 300)
    stale = (source.ledger.cosigned_checkpoint() or "").encode()
    mirror = open_mirror(source, tmp_path, source_fetch(source.ledger))
    mirror.sync()
    # A witness cosigns the checkpoint the mirror holds: the next sync takes the line.
    size = source.ledger.size()
    checkpoint = Checkpoint.parse(parse_note(stale).text)
    cosigner = Cosigner.generate("witness.example/late")
    line = cosigner.cosign(checkpoint, 1_800_000_000)
    source.ledger.add_cosignature(
        line, CosignatureVerifier.from_key_string(cosigner.verifier_key()), size
    )
    assert mirror.sync().after == size
    same_log(mirror, source.ledger)
    assert line in (Ledger(mirror.store).latest_checkpoint() or "")
    # A stale copy of the note (a cache) does not take it away; another text is no update.
    fetch_stale = open_mirror(source, tmp_path, lambda p: stale if p == "checkpoint" else b"")
    fetch_stale.sync()
    assert line in (Ledger(mirror.store).latest_checkpoint() or "")
    mirror._take_cosignatures(size, stale.replace(b"\n\n", b"\nx\n\n", 1) + line.encode())
    assert Ledger(mirror.store).latest_checkpoint() == source.ledger.cosigned_checkpoint()


def test_mirror_on_postgresql(source: LogWorld, tmp_path: Path, postgres_url: str) -> None:
    grow(source, 300)
    mirror = open_mirror(source, tmp_path, source_fetch(source.ledger), postgres_url)
    mirror.sync()
    same_log(mirror, source.ledger)
    mirror.store.engine.dispose()


class Flaky:
    """A fetch that fails every ``every``-th call, as a patchy link does."""

    def __init__(self, fetch: Fetch, every: int) -> None:
        self.fetch, self.every, self.calls, self.failures = fetch, every, 0, 0
        self.fetched: list[str] = []

    def __call__(self, path: str) -> bytes:
        self.calls += 1
        if self.calls % self.every == 0:
            self.failures += 1
            raise MirrorNetworkError(f"{path}: connection refused")
        self.fetched.append(path)
        return self.fetch(path)


def _sync_until_done(mirror: Mirror, tries: int = 50) -> None:
    for _ in range(tries):
        try:
            mirror.sync()
            return
        except MirrorNetworkError:
            continue
    raise AssertionError(f"no complete sync in {tries} tries")


def test_mirror_survives_cuts_without_fetching_anything_twice(
    source: LogWorld, tmp_path: Path
) -> None:
    grow(source, 1100)  # five bundles, two transactions
    flaky = Flaky(source_fetch(source.ledger), every=4)
    mirror = open_mirror(source, tmp_path, flaky)
    _sync_until_done(mirror)
    assert flaky.failures >= 3
    tiles = [p for p in flaky.fetched if p != "checkpoint"]
    assert len(tiles) == len(set(tiles))  # what arrived before a cut was kept
    same_log(mirror, source.ledger)


def test_restarted_mirror_resumes_from_its_database(
    source: LogWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mirror_module, "BATCH", 1024)  # transactions of four bundles
    grow(source, 1100)
    live = source_fetch(source.ledger)
    last = f"tile/entries/004.p/{source.ledger.size() - 1024}"

    def cut_at_last_bundle(path: str) -> bytes:
        if path == last:
            raise MirrorNetworkError("connection reset")
        return live(path)

    first = open_mirror(source, tmp_path, cut_at_last_bundle)
    with pytest.raises(MirrorNetworkError):
        first.sync()
    partial = first.store.head()
    assert partial.size == 1024  # the first batch was verified and kept
    assert partial.checkpoint_size == 0  # entries stored, not yet under a checkpoint
    first.store.engine.dispose()
    grow(source, 10)  # the source moved on meanwhile: the stored part is checked again
    fetched: list[str] = []

    def recording(path: str) -> bytes:
        fetched.append(path)
        return live(path)

    restarted = open_mirror(source, tmp_path, recording)
    restarted.sync()
    assert not any(p.startswith("tile/entries/00") and "004" not in p for p in fetched)
    same_log(restarted, source.ledger)


def _fork_of(world: LogWorld, tmp_path: Path, count: int) -> LogWorld:
    """Another history under the same log source and keys: a log rewriting its past."""
    url = f"sqlite:///{tmp_path / 'fork.db'}"
    ledger = Ledger.create(url, ORIGIN, world.root.key, world.log_signer, timedelta(0))
    fork = LogWorld(url, world.root, world.log_signer, ledger)
    grow(fork, count)
    return fork


def test_fork_stops_the_mirror_and_keeps_both_notes(source: LogWorld, tmp_path: Path) -> None:
    grow(source, 10)
    mirror = open_mirror(source, tmp_path, source_fetch(source.ledger))
    mirror.sync()
    held = source.ledger.cosigned_checkpoint()
    fork = _fork_of(source, tmp_path, 20)
    mirror.fetch = source_fetch(fork.ledger)
    with pytest.raises(ForkError, match="the source log forked") as caught:
        mirror.sync()
    evidence = caught.value.evidence
    assert (evidence / "held.note").read_text() == held
    assert (evidence / "new.note").read_text() == fork.ledger.cosigned_checkpoint()
    assert mirror.store.head().size == 12  # nothing of the fork stored
    fork.ledger.close()


def test_same_size_fork_detected(source: LogWorld, tmp_path: Path) -> None:
    grow(source, 10)
    mirror = open_mirror(source, tmp_path, source_fetch(source.ledger))
    mirror.sync()
    fork = _fork_of(source, tmp_path, 10)
    assert fork.ledger.size() == source.ledger.size()
    mirror.fetch = source_fetch(fork.ledger)
    with pytest.raises(ForkError, match="another root"):
        mirror.sync()
    fork.ledger.close()


def test_stale_checkpoint_is_harmless(source: LogWorld, tmp_path: Path) -> None:
    grow(source, 10)
    old = (source.ledger.cosigned_checkpoint() or "").encode()
    grow(source, 10)
    mirror = open_mirror(source, tmp_path, source_fetch(source.ledger))
    mirror.sync()
    live = source_fetch(source.ledger)
    mirror.fetch = lambda p: old if p == "checkpoint" else live(p)  # a stale CDN copy
    assert mirror.sync().after == source.ledger.size()


# --- a log that signs what it should not ---------------------------------------------------


def served(leaves: list[bytes], signer: NoteSigner) -> Fetch:
    """Tiles, bundles and a signed checkpoint for arbitrary leaves (a misbehaving log)."""
    tree, nodes = CompactRange(), dict[tuple[int, int], bytes]()
    for leaf in leaves:
        nodes.update(tree.append(leaf_hash(leaf)))
    files = {
        "checkpoint": sign_checkpoint(Checkpoint(ORIGIN, len(leaves), tree.root()), signer).encode()
    }
    for tile in tiles_for_size(len(leaves)):
        if tile.is_entries:
            files[tile.path()] = encode_entry_bundle(leaves[tile.first : tile.first + tile.width])
        else:
            hashes = [nodes[(tile.merkle_level, tile.first + i)] for i in range(tile.width)]
            files[tile.path()] = encode_hash_tile(hashes)
    return files.__getitem__


def _tamper(source: LogWorld, seq: int, change: Callable[[Record], Record]) -> list[bytes]:
    records = list(source.ledger.entries())
    records[seq] = change(records[seq])
    return [r.leaf() for r in records]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: replace(r, signed=replace(r.signed, signature=bytes(64))), "signature"),
        (lambda r: replace(r, prev=bytes(32)), "prev"),
        (lambda r: replace(r, seq=r.seq + 1), "the record says seq"),
    ],
    ids=["bad-signature", "broken-chain", "wrong-seq"],
)
def test_signed_but_invalid_entries_refused(
    source: LogWorld, tmp_path: Path, change: Callable[[Record], Record], message: str
) -> None:
    grow(source, 5)
    leaves = _tamper(source, -1, change)  # the last: no later prev to break
    mirror = open_mirror(source, tmp_path, served(leaves, source.log_signer))
    with pytest.raises(MirrorError, match=message):
        mirror.sync()
    assert mirror.store.head().size == 0


def test_tampered_bundle_and_unsigned_checkpoint_refused(source: LogWorld, tmp_path: Path) -> None:
    grow(source, 5)
    good = source_fetch(source.ledger)
    size = source.ledger.size()

    def bad_bundle(path: str) -> bytes:
        body = good(path)
        return body.replace(b'"n":2', b'"n":3') if path.startswith("tile/entries") else body

    mirror = open_mirror(source, tmp_path, bad_bundle)
    with pytest.raises(MirrorError, match="does not hash to leaf hash"):
        mirror.sync()
    impostor = NoteSigner.generate(ORIGIN)
    note = sign_checkpoint(Checkpoint(ORIGIN, size, source.ledger.root()), impostor).encode()
    mirror.fetch = lambda p: note if p == "checkpoint" else good(p)
    with pytest.raises(MirrorError, match="checkpoint does not verify"):
        mirror.sync()
    assert mirror.store.head().size == 0


# --- over real HTTP, with connections killed mid-transfer ----------------------------------


class _CuttingHandler(SimpleHTTPRequestHandler):
    """Serves a folder; every third of the first 15 responses is cut after half its body."""

    counter = 0
    lock = threading.Lock()

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        return

    def copyfile(self, source: Any, outputfile: Any) -> None:
        with self.lock:
            type(self).counter += 1
            cut = type(self).counter % 3 == 0 and type(self).counter <= 15
        data = source.read()
        outputfile.write(data[: len(data) // 2] if cut else data)
        if cut:
            self.close_connection = True


@pytest.fixture
def http_folder(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    folder = tmp_path / "www"
    folder.mkdir()

    class Handler(_CuttingHandler):
        counter = 0

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/log", folder / "log"
    server.shutdown()
    server.server_close()


def test_mirror_over_http_with_cut_transfers(
    source: LogWorld, tmp_path: Path, http_folder: tuple[str, Path]
) -> None:
    url, folder = http_folder
    grow(source, 700)
    export_tiles(source.ledger, folder)
    mirror = open_mirror(source, tmp_path, http_fetch(url))
    cuts = 0
    while True:
        try:
            mirror.sync()
            break
        except MirrorNetworkError:
            cuts += 1
            assert cuts < 30
    assert cuts > 0
    same_log(mirror, source.ledger)


def test_mirror_command(source: LogWorld, tmp_path: Path, http_folder: tuple[str, Path]) -> None:
    url, folder = http_folder
    grow(source, 40)
    export_tiles(source.ledger, folder)
    db = f"sqlite:///{tmp_path / 'm.db'}"
    args = ["mirror", url, "--db", db, "--log-key", source.log_signer.verifier_key()]
    args += ["--state", str(tmp_path / "state")]
    # The server cuts every third response: without --follow a cut run exits 1 and the
    # next run resumes.
    result = None
    for _ in range(10):
        result = CliRunner().invoke(cli_app, args)
        if result.exit_code == 0:
            break
        assert "unreachable" in result.output
    assert result is not None
    assert result.exit_code == 0, result.output
    assert "mirrored 42 entries" in result.output
    assert Ledger.open(db).root() == source.ledger.root()
    fork = _fork_of(source, tmp_path, 50)
    export_tiles_forced(fork.ledger, folder)
    for _ in range(10):
        result = CliRunner().invoke(cli_app, args)
        if result.exit_code != 1:
            break
    assert result.exit_code == 3, result.output
    assert "FORK" in result.output
    fork.ledger.close()


def export_tiles_forced(ledger: Ledger, folder: Path) -> None:
    """Replace a folder's contents with another history's tiles (a rewritten source log)."""
    shutil.rmtree(folder)
    export_tiles(ledger, folder)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda leaf: leaf.replace(b'{"log_time"', b'{ "log_time"', 1),  # whitespace
        lambda leaf: leaf.replace(b'{"log_time"', b'{"seq":0,"log_time"', 1),  # duplicate
        lambda leaf: leaf.replace(b'"packer"', b'"\\u0070acker"', 1),  # another escape
    ],
    ids=["whitespace", "duplicate-member", "escape"],
)
def test_non_canonical_leaves_refused(
    source: LogWorld, tmp_path: Path, mangle: Callable[[bytes], bytes]
) -> None:
    grow(source, 2)
    leaves = [r.leaf() for r in source.ledger.entries()]
    changed = mangle(leaves[1])  # the key registration of "packer"
    assert changed != leaves[1]
    leaves[1] = changed
    mirror = open_mirror(source, tmp_path, served(leaves, source.log_signer))
    with pytest.raises(MirrorError, match="entry 1"):
        mirror.sync()
    assert mirror.store.head().size == 0
