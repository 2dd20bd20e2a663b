"""A cosignature stored by another process reaches the answers ``serve`` keeps.

The regulator runs ``agritrace ledger witness`` against the cooperative's database (README):
the cosignature lands in ``ledger_cosignature`` while the log's version (size, checkpoint
size), which kept scan answers are filed under, stays the same. The page and its JSON must
then name the witness without waiting for the log to grow.
"""

from __future__ import annotations

import time
from pathlib import Path

from ledger import (
    Checkpoint,
    CosignatureVerifier,
    Cosigner,
    Ledger,
    parse_note,
    witness_checkpoint,
)
from ledger import NoteVerifier as LogKey
from tests.verifier_app.conftest import RESOLVER
from tests.verifier_app.test_serve_witness import (
    ORIGIN,
    WITNESS,
    Coop,
    Served,
    _answer,
    _cosigned_by,
    _wait,
    _with_cosignature,
)
from verifier_app import Settings, create_app
from verifier_app._drift import drift_state


def test_a_cosignature_stored_elsewhere_reaches_the_kept_answers(tmp_path: Path) -> None:
    coop = Coop(tmp_path)
    cosigner = Cosigner(WITNESS, coop.keys.create("witness"))
    settings = Settings(
        db=coop.url,
        keys=coop.folder / "keys",
        resolver=RESOLVER,
        demo=True,
        rate_burst=10_000,
        checkpoint_seconds=0.2,
        witnesses=(cosigner.verifier_key(),),
    )
    app = create_app(settings)
    served = Served(app)
    try:
        # The first full drift check drops kept answers when it ends: wait for it, so that
        # what refreshes the answer below can only be the cosignature.
        _wait("the first drift check", lambda: drift_state(app).status == "clean", 60)
        page = f"{served.base}/01/{coop.season.gtin}/10/{coop.season.released}"
        before = _answer(page)  # kept from now on, under the log's version
        assert WITNESS not in _cosigned_by(before)
        with Ledger.open(coop.url) as ledger:  # the regulator's own process
            note = ledger.latest_checkpoint()
            assert note is not None
            size = Checkpoint.parse(parse_note(note.encode()).text).size
            assert size == before["proof"]["size"]
            log_key = LogKey.from_key_string(coop.log_key)
            line = witness_checkpoint(note.encode(), ORIGIN, log_key, cosigner, int(time.time()))
            verifier = CosignatureVerifier.from_key_string(cosigner.verifier_key())
            ledger.add_cosignature(line, verifier, size)
        after = _wait("the kept answer to name the witness", lambda: _with_cosignature(page), 10)
        assert after["proof"]["size"] == size  # the same checkpoint, now cosigned
    finally:
        served.close()
