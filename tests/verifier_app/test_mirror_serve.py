"""A read-only mirror serves the consumer pages and JSON, equal to the origin's (issue 15).

The origin (a cooperative's app) grows while the network between it and the mirror fails:
connections refused (the link is down) and entry bundles cut mid-transfer. The mirror's app
(``AGRITRACE_MIRROR_OF``) syncs in the background through a proxy the test breaks, replays
what it verified into its own projection, and after each outage catches up; then every
demo lot's page and JSON on the mirror equal the origin's, byte for byte. Writes are
refused (405), and the staff pages and append API are not there.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from agritrace.cli import app as cli_app
from ledger import (
    KEY_REGISTER,
    Checkpoint,
    CosignatureVerifier,
    Cosigner,
    Ledger,
    Statement,
    format_time,
    key_id_for,
    parse_note,
    register_body,
    sign_statement,
)
from tests.verifier_app.conftest import RESOLVER
from tests.verifier_app.test_serve_witness import Coop, Served, _free_port, _wait
from traceability import Hold, Projection, Recall, Recorder
from verifier_app import Settings, create_app

pytestmark = pytest.mark.slow


class Link:
    """An HTTP proxy from the mirror to the origin that the test can break.

    ``down()`` closes its socket (connections refused), ``up()`` opens it again on the same
    port; with ``cut`` set, every other entry bundle is sent half and the connection closed
    (the client sees a body cut short).
    """

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.port = _free_port()
        self.cut = False
        self.tamper = False
        self.bundles = 0
        self.cuts = 0
        self.server: ThreadingHTTPServer | None = None
        self.up()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> None:
        link = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                try:
                    with urllib.request.urlopen(link.origin + self.path, timeout=30) as r:
                        status, body = r.status, r.read()
                except urllib.error.HTTPError as e:
                    status, body = e.code, e.read()
                if link.tamper and "/tile/entries/" in self.path and len(body) > 100:
                    # One byte of an entry changed on the way (a broken cache, an attacker).
                    body = body[:-40] + bytes([body[-40] ^ 1]) + body[-39:]
                send = body
                if "/tile/entries/" in self.path:
                    link.bundles += 1
                    if link.cut and link.bundles % 2 == 0:
                        link.cuts += 1
                        send = body[: len(body) // 2]
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(send)
                self.wfile.flush()
                if send is not body:
                    self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def _get(url: str, accept: str = "text/html") -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept, "Accept-Language": "en"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _size(note: str | None) -> int:
    return Checkpoint.parse(parse_note((note or "").encode()).text).size if note else 0


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.coop = Coop(tmp_path / "coop")
        common: dict[str, Any] = {
            "resolver": RESOLVER,
            "demo": True,
            "rate_burst": 100_000,
            "scan_freshness_seconds": 0,
        }
        self.origin_app = create_app(
            Settings(
                db=self.coop.url,
                keys=self.coop.folder / "keys",
                checkpoint_seconds=0.2,
                **common,
            )
        )
        self.origin = Served(self.origin_app)
        self.link = Link(self.origin.base)
        self.mirror_app = create_app(
            Settings(
                db=f"sqlite:///{tmp_path / 'mirror.db'}",
                keys=tmp_path / "mirror-keys",
                mirror_of=f"{self.link.base}/log",
                mirror_log_key=self.coop.log_key,
                mirror_seconds=0.1,
                **common,
            )
        )
        self.mirror = Served(self.mirror_app)
        self.extra = 0

    @property
    def ledger(self) -> Ledger:
        ledger: Ledger = self.origin_app.state.ledger
        return ledger

    def grow(self, entries: int, event: Any, signer: str) -> None:
        """The origin records ``event`` and ``entries`` key registrations, then checkpoints."""
        Recorder(self.ledger).record(event, self.coop.keys.load(signer))
        root = self.coop.root
        root_id = key_id_for(root.public_key().public_bytes_raw())
        batch = []
        for _ in range(entries):
            self.extra += 1
            public = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
            when = format_time(datetime.now(UTC) + timedelta(microseconds=self.extra))
            body = register_body(public, f"grower {self.extra}", ["grower"])
            batch.append(
                sign_statement(
                    Statement(self.ledger.origin, KEY_REGISTER, body, root_id, when), root
                )
            )
        self.ledger.append_batch(batch)
        self.ledger.checkpoint()

    def origin_checkpoint(self) -> int:
        return _size(self.ledger.latest_checkpoint())

    def mirror_checkpoint(self) -> int:
        return _size(self.mirror_app.state.ledger.latest_checkpoint())

    def caught_up(self) -> bool:
        return self.mirror_checkpoint() == self.origin_checkpoint() == self.ledger.size()

    def close(self) -> None:
        self.mirror.close()
        self.link.down()
        self.origin.close()

    def lots(self) -> list[tuple[str, str]]:
        return [(s.gtin, s.lot) for s in Projection(self.ledger).lots(limit=1000)]

    def assert_pages_equal(self) -> int:
        compared = 0
        for gtin, lot in self.lots():
            path = f"/01/{gtin}/10/{urllib.parse.quote(lot, safe='')}"
            for accept in ("text/html", "application/json"):
                want = _get(self.origin.base + path, accept)
                got = _get(self.mirror.base + path, accept)
                assert got == want, f"{path} ({accept}) differs on the mirror"
                compared += 1
        return compared


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    try:
        yield w
    finally:
        w.close()


def test_the_mirror_survives_outages_and_its_pages_equal_the_origins(world: World) -> None:
    _wait("the first sync", world.caught_up, 120)
    assert world.assert_pages_equal() >= 2 * 20
    season = world.coop.season
    now = datetime.now(UTC).isoformat(timespec="seconds")
    changes = [
        (Hold, {"lot": {"gtin": season.gtin, "lot": season.released}, "reason": "check"}),
        (Recall, {"lot": {"gtin": season.gtin, "lot": season.cold_chain_hold}, "reason": "x"}),
        (Recall, {"lot": {"gtin": season.gtin, "lot": season.released}, "reason": "glass"}),
    ]
    follower = world.mirror_app.state.mirror_follower
    for model, body in changes:
        # The link goes down while the origin grows: connections refused.
        world.link.down()
        world.grow(600, model.from_body(body | {"time": now}), "coop-admin")
        _wait("a refused sync", lambda: "unreachable" in follower.status.error, 60)
        assert world.mirror_checkpoint() < world.origin_checkpoint()
        # Back up, but every other entry bundle is cut mid-transfer.
        before = world.mirror_app.state.ledger.size()
        cuts = world.link.cuts
        world.link.cut = True
        world.link.up()
        _wait("a cut transfer", lambda c=cuts: world.link.cuts > c, 60)  # type: ignore[misc]
        world.link.cut = False
        _wait("catching up", world.caught_up, 120)
        assert world.mirror_app.state.ledger.size() > before
        world.assert_pages_equal()
    assert world.link.cuts >= len(changes)
    # The mirror's projection holds the recall, replayed (not read from the origin).
    lot = Projection(world.mirror_app.state.ledger).lot(season.gtin, season.released)
    assert lot.status == "recalled"


def test_a_tampered_entry_is_not_taken_and_the_pages_stay_as_they_were(world: World) -> None:
    _wait("the first sync", world.caught_up, 120)
    season = world.coop.season
    path = f"/01/{season.gtin}/10/{season.released}"
    before = _get(world.mirror.base + path, "application/json")
    size = world.mirror_app.state.ledger.size()
    world.link.tamper = True
    now = datetime.now(UTC).isoformat(timespec="seconds")
    body = {"lot": {"gtin": season.gtin, "lot": season.released}, "reason": "glass"}
    world.grow(10, Recall.from_body(body | {"time": now}), "coop-admin")
    follower = world.mirror_app.state.mirror_follower
    _wait("a refused sync", lambda: "does not verify" in follower.status.error, 60)
    assert world.mirror_app.state.ledger.size() == size  # nothing of it stored
    assert _get(world.mirror.base + path, "application/json") == before
    assert b'"recalled"' not in before[1]
    # Twice: still refused, still nothing stored.
    syncs = len(follower.status.failures)
    _wait("another refused sync", lambda: len(follower.status.failures) > syncs, 60)
    assert world.mirror_app.state.ledger.size() == size
    world.link.tamper = False
    _wait("catching up", world.caught_up, 120)
    after = _get(world.mirror.base + path, "application/json")
    assert after == _get(world.origin.base + path, "application/json")
    assert b'"lot_status":"recalled"' in after[1].replace(b" ", b"")


def test_a_cosignature_the_origin_gets_later_reaches_the_mirrors_pages(world: World) -> None:
    _wait("the first sync", world.caught_up, 120)
    season = world.coop.season
    path = f"/01/{season.gtin}/10/{season.released}"
    before = _get(world.mirror.base + path, "application/json")
    # The regulator cosigns the checkpoint the mirror already holds.
    note = world.ledger.latest_checkpoint()
    assert note is not None
    checkpoint = Checkpoint.parse(parse_note(note.encode()).text)
    cosigner = Cosigner.generate("witness.market-regulator.test/late")
    line = cosigner.cosign(checkpoint, int(datetime.now(UTC).timestamp()))
    verifier = CosignatureVerifier.from_key_string(cosigner.verifier_key())
    world.ledger.add_cosignature(line, verifier, checkpoint.size)
    answers = world.origin_app.state.scan_answers
    world.origin_app.state.scan_answers = type(answers)(32 * 1024 * 1024)
    want = _get(world.origin.base + path, "application/json")
    assert want != before
    mirror = world.mirror_app.state.ledger
    _wait("the cosignature on the mirror", lambda: line in (mirror.cosigned_checkpoint() or ""))
    assert mirror.size() == world.ledger.size()  # nothing else changed
    _wait("the mirror's answer", lambda: _get(world.mirror.base + path, "application/json") == want)
    # A stale copy of the note (without it) does not take it away again.
    follower = world.mirror_app.state.mirror_follower
    follower.mirror.mirror._take_cosignatures(checkpoint.size, note.encode())
    assert line in (mirror.cosigned_checkpoint() or "")


def test_the_mirror_refuses_writes_and_has_no_staff_pages(world: World) -> None:
    _wait("the first sync", world.caught_up, 120)
    size = world.mirror_app.state.ledger.size()
    for method, path in [
        ("POST", "/api/v1/statements"),
        ("POST", "/api/v1/events/trace.hold"),
        ("POST", "/api/v1/audits"),
        ("PUT", "/api/v1/statements"),
        ("DELETE", "/log/checkpoint"),
    ]:
        connection = http.client.HTTPConnection(
            "127.0.0.1", int(world.mirror.base.rsplit(":", 1)[1])
        )
        connection.request(method, path, body=b"[]", headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        body = response.read().decode()
        connection.close()
        assert response.status == 405, (method, path, body)
        assert "read_only_mirror" in body
        assert "read-only mirror of" in body
    for path in ["/staff", "/staff/lots", "/regulator", "/sign-in"]:
        assert _get(world.mirror.base + path)[0] == 404, path
    # The regulator's API needs a token, and a mirror accepts none.
    assert _get(world.mirror.base + "/api/v1/drift", "application/json")[0] == 401
    # The read side of the log works: checkpoint, tiles, proofs.
    status, note = _get(world.mirror.base + "/log/checkpoint", "text/plain")
    assert status == 200
    assert note == (world.ledger.cosigned_checkpoint() or "").encode()
    assert world.mirror_app.state.ledger.size() == size


def test_agritrace_mirror_replays_and_serves(tmp_path: Path) -> None:
    coop = Coop(tmp_path / "coop")
    settings = Settings(
        db=coop.url, keys=coop.folder / "keys", resolver=RESOLVER, demo=True, rate_burst=10_000
    )
    origin = Served(create_app(settings))
    mirror_db = f"sqlite:///{tmp_path / 'mirror.db'}"
    log = f"{origin.base}/log"
    try:
        # Once, without serving: the entries are copied and replayed into the projection.
        result = CliRunner().invoke(
            cli_app,
            [
                "mirror",
                log,
                "--log-key",
                coop.log_key,
                "--db",
                mirror_db,
                "--state",
                str(tmp_path / "st"),
            ],
        )
        assert result.exit_code == 0, result.output
        with Ledger.open(mirror_db) as copy, Ledger.open(coop.url) as ledger:
            assert copy.size() == ledger.size()
            # Read without catching up: the command replayed them.
            lots = {(s.gtin, s.lot) for s in Projection(copy).lots(limit=1000)}
            assert lots == {(s.gtin, s.lot) for s in Projection(ledger).lots(limit=1000)}
            assert len(lots) >= 20
        # Served: a subprocess, as an operator runs it.
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGRITRACE_")}
        env |= {"AGRITRACE_KEYS": str(tmp_path / "mirror-keys"), "AGRITRACE_RESOLVER": RESOLVER}
        command = [
            sys.executable,
            "-m",
            "agritrace",
            "mirror",
            log,
            "--log-key",
            coop.log_key,
            "--db",
            mirror_db,
            "--state",
            str(tmp_path / "st"),
            "--serve",
            "--demo",
            "--port",
            str(port),
            "--interval",
            "0.5",
        ]
        out = (tmp_path / "mirror.log").open("w")
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait("the mirror's server", lambda: _up(base + "/log/checkpoint"), 60)
            path = f"/01/{coop.season.gtin}/10/{coop.season.released}"
            assert _get(base + path) == _get(origin.base + path)
            status, body = _post(base + "/api/v1/statements")
            assert status == 405
            assert b"read-only mirror" in body
        finally:
            server.terminate()
            server.wait(timeout=30)
            out.close()
    finally:
        origin.close()


def _up(url: str) -> bool:
    try:
        return _get(url)[0] == 200
    except OSError:
        return False


def _post(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=b"[]", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
