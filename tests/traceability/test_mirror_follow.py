"""A domain mirror replays what each sync stored into its own projection, incrementally.

The projection a mirror builds must be the one a full replay of the log gives (the drift
check finds nothing), must take only the new entries at each sync, and must take the
verified batches a cut sync stored before the cut.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import ledger._mirror as mirror_module
from ledger import (
    KEY_REGISTER,
    KeyFolder,
    Ledger,
    MirrorNetworkError,
    NoteVerifier,
    Statement,
    TileSource,
    format_time,
    key_id_for,
    register_body,
    sign_statement,
)
from traceability import DomainMirror, Projection, Recall, Recorder, check_projection
from traceability.demo import Season, build_season

ORIGIN = "mirrored.kashgar-coop.example/log"


class Origin:
    def __init__(self, folder: Path) -> None:
        self.keys = KeyFolder(folder / "keys")
        self.root = self.keys.create("root")
        self.url = f"sqlite:///{folder / 'origin.db'}"
        self.ledger = Ledger.create(
            self.url, ORIGIN, self.root, self.keys.create_log_signer(ORIGIN)
        )
        self.season: Season = build_season(self.ledger, self.root, self.keys.create)
        self.ledger.checkpoint()
        self.source = TileSource(self.ledger.store)
        self.cut_after: int | None = None  # entry bundles served before the link is cut

    def fetch(self, path: str) -> bytes:
        if path == "checkpoint":
            return (self.ledger.cosigned_checkpoint() or "").encode()
        if path.startswith("tile/entries/") and self.cut_after is not None:
            if self.cut_after == 0:
                raise MirrorNetworkError(f"{path}: connection reset")
            self.cut_after -= 1
        return self.source.read_path(path)[1]

    def grow(self, count: int) -> None:
        root_id = key_id_for(self.root.public_key().public_bytes_raw())
        batch = []
        for n in range(count):
            public = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
            when = format_time(datetime.now(UTC) + timedelta(microseconds=n))
            body = register_body(public, f"grower {n}", ["grower"])
            statement = Statement(ORIGIN, KEY_REGISTER, body, root_id, when)
            batch.append(sign_statement(statement, self.root))
        for start in range(0, count, 500):
            self.ledger.append_batch(batch[start : start + 500])
        self.ledger.checkpoint()


@pytest.fixture
def origin(tmp_path: Path) -> Origin:
    return Origin(tmp_path)


def _mirror(origin: Origin, tmp_path: Path) -> DomainMirror:
    key = NoteVerifier.from_key_string(origin.ledger.log_key())
    fetch: Callable[[str], bytes] = origin.fetch
    return DomainMirror.open(f"sqlite:///{tmp_path / 'mirror.db'}", key, fetch, tmp_path / "st")


def _lots(ledger: Ledger) -> list[tuple[str, str, str]]:
    # Read without catching up: what the mirror's own replay applied.
    return sorted((s.gtin, s.lot, str(s.status)) for s in Projection(ledger).lots(limit=1000))


def test_the_mirrors_projection_is_a_replay_of_the_log(
    origin: Origin, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mirror = _mirror(origin, tmp_path)
    caplog.set_level(logging.INFO, "traceability")
    mirror.sync()
    assert _lots(mirror.ledger) == _lots(origin.ledger)
    assert len(_lots(mirror.ledger)) >= 20
    assert check_projection(mirror.ledger).verdict == "clean"
    assert f"replayed {origin.ledger.size()} entries" in caplog.text
    # The origin records a recall (sealed): the next sync replays just the new entries.
    caplog.clear()
    size = origin.ledger.size()
    season = origin.season
    body = {"lot": {"gtin": season.gtin, "lot": season.released}, "reason": "glass"}
    now = datetime.now(UTC).isoformat(timespec="seconds")
    Recorder(origin.ledger).record(
        Recall.from_body(body | {"time": now}), origin.keys.load("coop-admin")
    )
    origin.ledger.checkpoint()
    mirror.sync()
    assert f"replayed {origin.ledger.size() - size} entries" in caplog.text
    assert _lots(mirror.ledger) == _lots(origin.ledger)
    lot = Projection(mirror.ledger).lot(season.gtin, season.released)
    assert lot.status == "recalled"
    # Nothing new: nothing replayed.
    caplog.clear()
    mirror.sync()
    assert "replayed" not in caplog.text
    mirror.close()


def test_a_cut_sync_replays_what_it_stored(
    origin: Origin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mirror_module, "BATCH", 1024)  # transactions of four bundles
    mirror = _mirror(origin, tmp_path)
    mirror.sync()
    before = mirror.ledger.size()
    origin.grow(2500)
    origin.cut_after = 5  # over four bundles (one batch) pass, then the link dies
    with pytest.raises(MirrorNetworkError):
        mirror.sync()
    stored = mirror.ledger.size()
    assert before < stored < origin.ledger.size()
    assert mirror.replay() == 0  # the cut sync replayed what it stored already
    assert check_projection(mirror.ledger).verdict == "clean"
    origin.cut_after = None
    mirror.sync()
    assert mirror.ledger.size() == origin.ledger.size()
    assert mirror.replay() == 0
    assert _lots(mirror.ledger) == _lots(origin.ledger)
    mirror.close()
