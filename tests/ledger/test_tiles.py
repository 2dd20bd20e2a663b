"""tlog-tiles encoding: paths, tile sets per tree size, hash tiles, entry bundles.

Vectors: tests/vectors/conformance/tiles/ (sources in tests/vectors/README.md): the worked
examples of c2sp.org/tlog-tiles, and a complete 15-entry tiled log written by
transparency-dev/tessera (Apache-2.0).
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import EncodingError, NoteVerifier, ProofError, open_checkpoint
from ledger._merkle import leaf_hash, node_hash
from ledger._tile_reader import TiledTree
from ledger._tiles import (
    ENTRIES,
    TileId,
    decode_entry_bundle,
    decode_hash_tile,
    encode_entry_bundle,
    encode_hash_tile,
    encode_index,
    parse_tile_path,
    tiles_for_size,
)
from ledger._tree import CompactRange, consistency_proof, inclusion_proof

VECTORS = Path(__file__).parents[1] / "vectors" / "conformance" / "tiles"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return data


SPEC = _load("tlog_tiles_spec_examples.json")
TESSERA = _load("tessera_testdata_log.json")


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 MTH over leaf hashes, written naively as the RFC states it."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


# --- paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", SPEC["index_path_encoding"], ids=lambda c: str(c["index"]))
def test_index_encoding_matches_spec_example(case: dict[str, Any]) -> None:
    assert encode_index(case["index"]) == case["path"]


@pytest.mark.parametrize(
    ("tile", "path"),
    [
        (TileId(0, 0), "tile/0/000"),
        (TileId(0, 0, 5), "tile/0/000.p/5"),
        (TileId(1, 1234067, 17), "tile/1/x001/x234/067.p/17"),
        (TileId(ENTRIES, 1000), "tile/entries/x001/000"),
        (TileId(63, 999), "tile/63/999"),
    ],
)
def test_tile_path_round_trips(tile: TileId, path: str) -> None:
    assert tile.path() == path
    assert parse_tile_path(path) == tile


@pytest.mark.parametrize(
    "path",
    [
        "tile/00/000",  # leading zero in level
        "tile/64/000",  # level out of range
        "tile/0/00",  # two digits
        "tile/0/x000/001",  # non-minimal index
        "tile/0/001/002",  # inner element without x
        "tile/0/x001",  # last element with x
        "tile/0/000.p/256",  # a full tile has no .p
        "tile/0/000.p/0",  # empty tiles do not exist
        "tile/0/000.p/05",  # leading zero in width
        "tile/data/000",
        "tiles/0/000",
        "tile/0",
        "tile/0/000/",
        "tile/-1/000",
    ],
)
def test_non_canonical_tile_paths_refused(path: str) -> None:
    with pytest.raises(EncodingError):
        parse_tile_path(path)


@given(st.integers(0, 2**63), st.integers(0, 63), st.integers(1, 256))
def test_any_tile_path_round_trips(index: int, level: int, width: int) -> None:
    tile = TileId(level, index, width)
    assert parse_tile_path(tile.path()) == tile


def _count(size: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in tiles_for_size(size, entries=False):
        key = f"level{t.level}_full" if t.full else f"level{t.level}_partial_width"
        out[key] = out.get(key, 0) + 1 if t.full else t.width
    return out


@pytest.mark.parametrize("case", SPEC["tree_size_tiles"], ids=lambda c: str(c["tree_size"]))
def test_tiles_for_size_match_spec_examples(case: dict[str, Any]) -> None:
    assert _count(case["tree_size"]) == case["tiles"]


def test_entry_bundles_mirror_level_zero() -> None:
    bundles = [t for t in tiles_for_size(70000) if t.is_entries]
    assert [(t.index, t.width) for t in bundles[-2:]] == [(272, 256), (273, 112)]
    assert not list(tiles_for_size(0))


# --- hash tiles and bundles ----------------------------------------------------------------


def test_entry_bundle_uses_uint16_big_endian_lengths() -> None:
    assert encode_entry_bundle([b"one", b"", b"x" * 258]) == (
        b"\x00\x03one" + b"\x00\x00" + b"\x01\x02" + b"x" * 258
    )


def test_entry_longer_than_uint16_refused() -> None:
    with pytest.raises(EncodingError, match="entry 1 is 65536 bytes"):
        encode_entry_bundle([b"a", b"x" * 65536])
    assert len(encode_entry_bundle([b"x" * 65535])) == 65537


@pytest.mark.parametrize(
    ("data", "width", "message"),
    [
        (b"\x00\x03on", 1, "needs 3 bytes"),
        (b"\x00\x01a\x00", 2, "truncated length"),
        (b"\x00\x01a\x00\x01b", 1, "expected 1 entries, got 2"),
        (b"\x00\x01a", 2, "expected 2 entries, got 1"),
    ],
)
def test_malformed_entry_bundle_refused(data: bytes, width: int, message: str) -> None:
    with pytest.raises(EncodingError, match=message):
        decode_entry_bundle(data, TileId(ENTRIES, 0, width))


def test_hash_tile_of_wrong_length_refused() -> None:
    with pytest.raises(EncodingError, match="expected 96 bytes, got 64"):
        decode_hash_tile(bytes(64), TileId(0, 0, 3))
    with pytest.raises(EncodingError, match="hash 1 is 31 bytes"):
        encode_hash_tile([bytes(32), bytes(31)])


# --- the tessera log -----------------------------------------------------------------------


def _tessera_files(size: int) -> dict[str, bytes]:
    """The files a tessera client would see at tree size ``size`` (its partial tiles)."""
    files = TESSERA["files_b64"]
    return {
        path: base64.b64decode(files[path])
        for path in (f"tile/0/000.p/{size}", f"tile/entries/000.p/{size}")
    }


@pytest.mark.parametrize("size", range(1, 16))
def test_tessera_log_reads_back_and_matches_its_checkpoint(size: int) -> None:
    verifier = NoteVerifier.from_key_string(TESSERA["log_vkey"])
    note = TESSERA["checkpoints_by_size"][str(size)].encode()
    checkpoint, _ = open_checkpoint(note, TESSERA["origin"], verifier)
    files = _tessera_files(size)
    tree = TiledTree(checkpoint.size, files.__getitem__)
    tree.verify_root(checkpoint.root_hash)
    words = [w.encode() for w in TESSERA["leaves_in_order"][:size]]
    assert tree.entries(0, size) == words
    # Our encoders write the very bytes tessera wrote.
    assert encode_entry_bundle(words) == files[f"tile/entries/000.p/{size}"]
    assert encode_hash_tile([leaf_hash(w) for w in words]) == files[f"tile/0/000.p/{size}"]


def test_tessera_final_root_and_proofs_from_tiles() -> None:
    size = 15
    tree = TiledTree(size, _tessera_files(size).__getitem__)
    assert tree.root() == base64.b64decode(TESSERA["tree_state_after_15"]["root"])
    leaves = [leaf_hash(w.encode()) for w in TESSERA["leaves_in_order"]]
    nodes = _all_nodes(leaves)
    for i in range(size):
        assert tree.inclusion_proof(i) == inclusion_proof(i, size, _fetcher(nodes))
    for old in range(1, size + 1):
        assert tree.consistency_proof(old) == consistency_proof(old, size, _fetcher(nodes))


def _all_nodes(leaves: list[bytes]) -> dict[Any, bytes]:
    tree = CompactRange()
    nodes: dict[Any, bytes] = {}
    for h in leaves:
        nodes.update(tree.append(h))
    return nodes


def test_tampered_tessera_entry_detected() -> None:
    files = _tessera_files(3)
    files["tile/entries/000.p/3"] = files["tile/entries/000.p/3"].replace(b"two", b"tw0")
    with pytest.raises(ProofError, match="entry 1 does not hash"):
        TiledTree(3, files.__getitem__).entries(0, 3)


def test_tampered_tessera_tile_fails_root_check() -> None:
    files = _tessera_files(4)
    tile = bytearray(files["tile/0/000.p/4"])
    tile[40] ^= 1
    files["tile/0/000.p/4"] = bytes(tile)
    root = base64.b64decode(TESSERA["checkpoints_by_size"]["4"].split("\n")[2])
    with pytest.raises(ProofError, match="tiles lead to root"):
        TiledTree(4, files.__getitem__).verify_root(root)


# --- higher levels, against the spec's formula ---------------------------------------------


def test_level_one_and_two_tiles_follow_the_spec_formula() -> None:
    # 70,000 synthetic leaves: the spec's example size, with full level-1 tile 0.
    size = 70000
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size)]
    nodes = _all_nodes(leaves)
    served: dict[str, bytes] = {}
    for tile in tiles_for_size(size, entries=False):
        hashes = [nodes[(tile.merkle_level, tile.first + i)] for i in range(tile.width)]
        served[tile.path()] = encode_hash_tile(hashes)
    # tlog-tiles: n-th tile at level l = [MTH(D[(n*256+i)*256**l : (n*256+i+1)*256**l])].
    level1 = decode_hash_tile(served["tile/1/000"], TileId(1, 0))
    for i in (0, 1, 128, 255):
        assert level1[i] == _mth(leaves[i * 256 : (i + 1) * 256])
    level2 = decode_hash_tile(served["tile/2/000.p/1"], TileId(2, 0, 1))
    assert level2[0] == nodes[(16, 0)]
    tree = TiledTree(size, served.__getitem__)
    assert tree.root() == CompactRange(size, [nodes[k] for k in _border(size)]).root()
    for index in (0, 65535, 65536, 69999):
        assert tree.inclusion_proof(index) == inclusion_proof(index, size, _fetcher(nodes))
    for old in (1, 255, 256, 65536, 65537, 69999):
        assert tree.consistency_proof(old) == consistency_proof(old, size, _fetcher(nodes))


def _border(size: int) -> list[tuple[int, int]]:
    keys, begin = [], 0
    while begin < size:
        level = (size - begin).bit_length() - 1
        keys.append((level, begin >> level))
        begin += 1 << level
    return keys


def _fetcher(nodes: dict[Any, bytes]) -> Any:
    return lambda _keys: nodes
