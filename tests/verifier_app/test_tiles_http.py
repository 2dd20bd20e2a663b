"""The log over HTTP as C2SP tlog-tiles, read by a client written from the specs alone.

``SpecClient`` uses none of the ledger's tile, Merkle or note code: paths, the checkpoint
and its signature, tiles and bundles are decoded here from c2sp.org/tlog-tiles,
c2sp.org/tlog-checkpoint, c2sp.org/signed-note and RFC 6962 §2.1 (recursive MTH, PATH and
PROOF, as the RFC states them). It is first checked against tessera's log, then every proof
it computes from the app's tiles must equal the ledger's.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ledger import Ledger, export_tiles
from tests.ledger import conftest as ledger_fixtures
from tests.ledger.conftest import LogWorld, notes
from verifier_app import tiles
from verifier_app._errors import install_error_handlers

TESSERA = json.loads(
    (
        Path(__file__).parents[1]
        / "vectors"
        / "conformance"
        / "tiles"
        / "tessera_testdata_log.json"
    ).read_text()
)
SIZE = 600  # two full level-0 tiles, a partial one, a level-1 partial tile of width 2


# The ledger's per-test log on each backend (SQLite file, PostgreSQL schema).
db_url = ledger_fixtures.db_url
make_log = ledger_fixtures.make_log
world = ledger_fixtures.world


# --- the independent client ----------------------------------------------------------------


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class SpecClient:
    """A tlog-tiles reader from the spec text; ``get`` fetches a path under the prefix."""

    def __init__(self, get: Callable[[str], bytes], vkey: str) -> None:
        self.get = get
        # signed-note verifier key: <name>+<hex key id>+<base64(0x01 ‖ public key)>.
        name, key_id, key = vkey.split("+", 2)
        raw = base64.b64decode(key)
        assert raw[0] == 0x01
        assert len(raw) == 33
        assert _sha(name.encode() + b"\n" + raw)[:4].hex() == key_id
        self.name, self.key_id, self.public = name, bytes.fromhex(key_id), raw[1:]

    def checkpoint(self) -> tuple[str, int, bytes]:
        note = self.get("checkpoint").decode()
        text, _, sigs = note.rpartition("\n\n")
        text += "\n"
        for line in sigs.splitlines():
            name, b64 = line.removeprefix("\u2014 ").split(" ")
            blob = base64.b64decode(b64)
            if name == self.name and blob[:4] == self.key_id:
                Ed25519PublicKey.from_public_bytes(self.public).verify(blob[4:], text.encode())
                origin, size, root = text.split("\n")[:3]
                return origin, int(size), base64.b64decode(root)
        raise AssertionError("no signature by the log's key")

    @staticmethod
    def path(level: str, n: int, width: int) -> str:
        digits = f"{n:d}"
        digits = "0" * (-len(digits) % 3) + digits
        groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
        index = "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])
        return f"tile/{level}/{index}" + ("" if width == 256 else f".p/{width}")

    def tile_row(self, level: str, count: int) -> list[bytes]:
        """Every hash (or entry) of a level: full tiles, then the partial one."""
        out: list[bytes] = []
        for n in range(-(-count // 256)):
            width = min(256, count - n * 256)
            body = self.get(self.path(level, n, width))
            if level == "entries":
                pos, items = 0, []
                while pos < len(body):
                    length = int.from_bytes(body[pos : pos + 2], "big")
                    items.append(body[pos + 2 : pos + 2 + length])
                    pos += 2 + length
                assert len(items) == width
                out += items
            else:
                assert len(body) == 32 * width
                out += [body[i : i + 32] for i in range(0, len(body), 32)]
        return out

    def read(self) -> tuple[int, bytes, list[bytes], list[bytes]]:
        """Verify the checkpoint and every tile; return size, root, leaf hashes, entries."""
        _, size, root = self.checkpoint()
        leaves = self.tile_row("0", size)
        mth = rfc6962(leaves)
        assert mth.root(0, size) == root
        level = 1
        while size >> (8 * level):
            row = self.tile_row(str(level), size >> (8 * level))
            span = 256**level
            assert row == [mth.root(i * span, (i + 1) * span) for i in range(len(row))]
            level += 1
        entries = self.tile_row("entries", size)
        assert [_sha(b"\x00" + e) for e in entries] == leaves
        return size, root, leaves, entries


class rfc6962:
    """RFC 6962 §2.1 over a list of leaf hashes: MTH, PATH and PROOF, recursively."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.leaves = leaves
        self.root = cache(self._mth)

    @staticmethod
    def _k(n: int) -> int:  # the largest power of two smaller than n
        k = 1
        while k * 2 < n:
            k *= 2
        return k

    def _mth(self, lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return self.leaves[lo]
        k = self._k(hi - lo)
        return _sha(b"\x01" + self.root(lo, lo + k) + self.root(lo + k, hi))

    def path(self, m: int, lo: int, hi: int) -> list[bytes]:
        if hi - lo == 1:
            return []
        k = self._k(hi - lo)
        if m < k:
            return [*self.path(m, lo, lo + k), self.root(lo + k, hi)]
        return [*self.path(m - k, lo + k, hi), self.root(lo, lo + k)]

    def proof(self, m: int, lo: int, hi: int, complete: bool = True) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if complete else [self.root(lo, hi)]
        k = self._k(n)
        if m <= k:
            return [*self.proof(m, lo, lo + k, complete), self.root(lo + k, hi)]
        return [*self.proof(m - k, lo + k, hi, False), self.root(lo, lo + k)]


# --- the client checked against a third party ----------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 7, 15])
def test_spec_client_reads_tessera_log(size: int) -> None:
    files = {k: base64.b64decode(v) for k, v in TESSERA["files_b64"].items()}
    files["checkpoint"] = TESSERA["checkpoints_by_size"][str(size)].encode()
    client = SpecClient(files.__getitem__, TESSERA["log_vkey"])
    got, _, _, entries = client.read()
    assert got == size
    assert [e.decode() for e in entries] == TESSERA["leaves_in_order"][:size]


def test_spec_client_refuses_wrong_signature() -> None:
    files = {"checkpoint": TESSERA["checkpoints_by_size"]["3"].replace("\n3\n", "\n4\n").encode()}
    with pytest.raises(InvalidSignature):
        SpecClient(files.__getitem__, TESSERA["log_vkey"]).checkpoint()


# --- the app's tiles -----------------------------------------------------------------------


def tiles_app(ledger: Ledger) -> TestClient:
    app = FastAPI()
    app.state.ledger = ledger
    install_error_handlers(app)
    app.include_router(tiles.router)
    return TestClient(app)


def _getter(client: TestClient) -> Callable[[str], bytes]:
    def get(path: str) -> bytes:
        response = client.get(f"/{path}")
        assert response.status_code == 200, (path, response.text)
        return response.content

    return get


def _grow(world: LogWorld, total: int) -> Ledger:
    actor = world.actor("packer")
    ledger = world.ledger
    while ledger.size() < total:
        ledger.append_batch(notes(actor, min(250, total - ledger.size()), start=ledger.size()))
    ledger.checkpoint()
    return ledger


@pytest.fixture
def grown(world: LogWorld) -> LogWorld:
    _grow(world, SIZE)
    return world


def test_every_proof_from_tiles_equals_the_ledgers(grown: LogWorld) -> None:
    ledger = grown.ledger
    client = SpecClient(_getter(tiles_app(ledger)), grown.log_signer.verifier_key())
    size, root, leaves, entries = client.read()
    assert (size, root) == (SIZE, ledger.root())
    assert entries == [r.leaf() for r in ledger.entries()]
    tree = rfc6962(leaves)
    for seq in range(size):
        assert tree.path(seq, 0, size) == ledger.inclusion_proof(seq, size), seq
    for old in range(1, size + 1):
        assert tree.proof(old, 0, size) == ledger.consistency_proof(old, size), old


def test_full_tiles_byte_identical_in_app_and_static_export(
    grown: LogWorld, tmp_path: Path
) -> None:
    out = tmp_path / "static"
    export_tiles(grown.ledger, out)
    http = tiles_app(grown.ledger)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert len(files) == 1 + 7  # checkpoint; 3 level-0 tiles, 1 level-1, 3 bundles
    for file in files:
        path = file.relative_to(out).as_posix()
        response = http.get(f"/{path}")
        assert response.content == file.read_bytes(), path
        if path == "checkpoint":
            assert response.headers["cache-control"] == tiles.CHECKPOINT_CACHE
            assert response.headers["content-type"] == "text/plain; charset=utf-8"
        else:
            assert response.headers["content-type"] == "application/octet-stream"
            full = ".p/" not in path
            assert response.headers["cache-control"] == (
                tiles.FULL_TILE_CACHE if full else tiles.PARTIAL_TILE_CACHE
            )


def test_entry_bundles_gzip_when_accepted(grown: LogWorld) -> None:
    http = tiles_app(grown.ledger)
    zipped = http.get("/tile/entries/000", headers={"Accept-Encoding": "gzip"})
    plain = http.get("/tile/entries/000", headers={"Accept-Encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.content == plain.content  # httpx undoes the gzip
    assert int(zipped.headers["content-length"]) < len(plain.content) // 2


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/002.p/89",  # wider than the tree
        "tile/0/003",  # beyond the tree
        "tile/2/000.p/1",  # no level 2 at 600
        "tile/entries/002",
        "tile/0/000.p/256",  # non-canonical
        "tile/0/0",
        "tile/0/x000/000",
    ],
)
def test_tiles_the_checkpoint_does_not_cover_are_404(grown: LogWorld, path: str) -> None:
    response = tiles_app(grown.ledger).get(f"/{path}", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_appends_after_the_checkpoint_are_not_served(grown: LogWorld) -> None:
    later = grown.reopen(checkpoint_interval=timedelta(hours=1))
    later.append_batch(notes(grown.actor("lab"), 5, start=9000))
    http = tiles_app(later)
    published = int(http.get("/checkpoint").text.split("\n")[1])
    assert later.size() == published + 5
    assert http.get(f"/tile/0/002.p/{published - 512}").status_code == 200
    assert http.get(f"/tile/0/002.p/{published - 512 + 1}").status_code == 404
