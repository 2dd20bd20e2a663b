"""The settings ``agritrace serve`` runs the demo with: ``serve.env`` in the demo folder.

The demo's regulator witnesses the log by default, and keeps doing so after the demo: the
file makes ``serve`` host the regulator's witness (``POST /witness/add-checkpoint``, its key
and state from the demo folder) and submit every checkpoint it publishes to it over HTTP,
the same request and the same checks (signature, consistency from the last cosigned
checkpoint, the replay of the lot-status map, the regulator's pinned keys) as a witness on
the regulator's own server. Only the place differs: in the demo the witness runs inside the
cooperative's server on the same machine, for convenience; a real regulator runs it on its
own server with a key the cooperative never sees (docs/trust.md, docs/deployment.md).

The witness's state is seeded with the checkpoint the demo had it cosign
(``witness-checkpoint.txt``), so its first cosignature under ``serve`` needs a consistency
proof from that tree: a log rewritten between the demo and ``serve`` is refused.
"""

from __future__ import annotations

import json
from pathlib import Path

from agritrace._trust import TrustFile
from ledger import Checkpoint, CosignatureVerifier, WitnessStateFile, parse_note

__all__ = ["SERVE_ENV", "WITNESS_STATE", "write_serve_env"]

#: The settings file in the demo folder (``agritrace serve --env-file``).
SERVE_ENV = "serve.env"
#: The regulator witness's state folder in the demo folder (``AGRITRACE_WITNESS_STATE``).
WITNESS_STATE = "witness-state"
#: Where the app mounts the witness and serves the tiles (verifier_app._app's prefixes).
_WITNESS_PREFIX, _TILES_PREFIX = "/witness", "/log"


def _quoted(value: str) -> str:
    """``value`` as a dotenv value: single quotes keep it literal (JSON, ``+``, spaces)."""
    if "'" not in value:
        return f"'{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def write_serve_env(folder: Path, resolver: str, witness_key: str) -> Path:
    """Write ``serve.env`` for the demo in ``folder`` and seed its witness's state.

    Paths are written absolute, so ``serve`` finds the demo from any working directory.

    Args:
        folder: The demo's folder (holding ``trust.toml``, ``keys/``, ``tokens.toml``,
            ``witnesses.txt`` and ``witness-checkpoint.txt``).
        resolver: The base URL ``serve`` answers at (the demo's labels point there); the
            witness is submitted to, and follows the log's tiles, under it.
        witness_key: The name of the regulator witness's key in ``keys/``.

    Returns:
        The file written.
    """
    here = folder.resolve()
    trust = TrustFile.load(here / "trust.toml")
    (witness,) = trust.witnesses
    base = resolver.rstrip("/")
    settings = {
        "AGRITRACE_DB": f"sqlite:///{here / 'ledger.db'}",
        "AGRITRACE_KEYS": str(here / "keys"),
        "AGRITRACE_TOKENS": str(here / "tokens.toml"),
        "AGRITRACE_RESOLVER": resolver,
        "AGRITRACE_WITNESSES_FILE": str(here / "witnesses.txt"),
    }
    witnessing = {
        "AGRITRACE_WITNESS_NAME": CosignatureVerifier.from_key_string(witness).name,
        "AGRITRACE_WITNESS_KEY": str(here / "keys" / f"{witness_key}.pem"),
        "AGRITRACE_WITNESS_STATE": str(here / WITNESS_STATE),
        "AGRITRACE_WITNESS_LOGS": json.dumps([trust.log_key]),
        "AGRITRACE_WITNESS_FOLLOW": json.dumps({trust.origin: base + _TILES_PREFIX}),
        "AGRITRACE_WITNESS_REGULATOR_KEYS": json.dumps(list(trust.regulator_keys)),
    }
    submitting = {"AGRITRACE_WITNESS_URLS": json.dumps({base + _WITNESS_PREFIX: witness})}
    lines = [
        "# Settings of `agritrace serve --demo --env-file <this file>`; `agritrace demo` wrote it.",
        "# One AGRITRACE_* setting a line (docs/app.md); a variable set in the environment wins.",
        *(f"{name}={_quoted(value)}" for name, value in settings.items()),
        "",
        "# The market regulator's witness. In this demo it runs inside this server, on the same",
        "# machine, for convenience: it still checks each checkpoint's signature, its consistency",
        "# with the last one it cosigned and a replay of the lot-status map before cosigning. A",
        "# real regulator runs it on its own server, with a key the cooperative never holds, and",
        "# the cooperative's server only submits to it (docs/trust.md, docs/deployment.md).",
        *(f"{name}={_quoted(value)}" for name, value in witnessing.items()),
        "# Every checkpoint this server publishes is submitted to that witness over HTTP.",
        *(f"{name}={_quoted(value)}" for name, value in submitting.items()),
        "",
    ]
    path = here / SERVE_ENV
    path.write_text("\n".join(lines), encoding="utf-8")
    _seed_witness_state(here, trust.origin)
    return path


def _seed_witness_state(folder: Path, origin: str) -> None:
    """Start the witness from the checkpoint the demo had it cosign (kept, if already there)."""
    state = WitnessStateFile(folder / WITNESS_STATE / "witness-state.json")
    note = (folder / "witness-checkpoint.txt").read_text(encoding="utf-8")
    Checkpoint.parse(parse_note(note.encode()).text)  # a damaged file fails here, not in serve
    with state.update(origin) as record:
        if record.checkpoint is None:
            record.checkpoint = note
