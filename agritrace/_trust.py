"""The trust file ``agritrace verify`` checks a scanned code against (TOML).

What a verifier trusts must come from somewhere other than the server it checks: the
cooperative hands out (or prints, or publishes elsewhere) the log's origin and checkpoint
key, the witnesses that cosign its checkpoints, and the keys its labels are signed with::

    [log]
    origin = "demo.kashgar-coop.example/log"
    key = "demo.kashgar-coop.example/log+1a2b3c4d+AQ..."   # C2SP note verifier key

    [witnesses]
    # C2SP cosignature verifier keys; every one listed must have cosigned the checkpoint.
    keys = ["witness.market-regulator.demo.example+5e6f7a8b+BA..."]

    [labels]
    # Ed25519 public keys (base64) the cooperative signs its labels' ``s`` parameter with.
    keys = ["MCowBQYDK2VwAyEA..."]

    [regulators]
    # The market regulator's own Ed25519 public keys (base64), obtained from the regulator:
    # every lab behind a result the page shows must be approved by one of them.
    keys = ["q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k="]

``agritrace demo`` writes one (``agritrace-demo/trust.toml``).
"""

from __future__ import annotations

import base64
import binascii
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger import CosignatureVerifier, LedgerError, NoteVerifier

__all__ = ["TrustFile", "TrustFileError"]


class TrustFileError(ValueError):
    """The trust file is missing, not TOML, or a key in it is malformed."""


def _strings(table: Any, name: str, where: str) -> tuple[str, ...]:
    value = table.get(name, []) if isinstance(table, dict) else []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TrustFileError(f"{where}.{name}: expected a list of key strings, got {value!r}")
    return tuple(value)


@dataclass(frozen=True)
class TrustFile:
    """What a verifier trusts.

    Attributes:
        origin: the log's origin (the checkpoint's first line).
        log_key: the log's C2SP note verifier key.
        witnesses: cosignature verifier keys; each must have cosigned.
        label_keys: label public keys (base64), any of which may sign a label.
        regulator_keys: the regulator's raw Ed25519 public keys (base64): a lab's
            approval must be signed by one of them.
    """

    origin: str
    log_key: str
    witnesses: tuple[str, ...] = ()
    label_keys: tuple[str, ...] = ()
    regulator_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for key in self.regulator_keys:
            try:
                raw = base64.b64decode(key, validate=True)
            except binascii.Error:
                raw = b""
            if len(raw) != 32:
                raise TrustFileError(
                    f"regulators.keys: {key!r}: expected the base64 of a 32-byte Ed25519 public key"
                )
        try:
            verifier = NoteVerifier.from_key_string(self.log_key)
            for key in self.witnesses:
                CosignatureVerifier.from_key_string(key)
        except LedgerError as e:
            raise TrustFileError(f"trust file: {e}") from e
        if verifier.name != self.origin:
            raise TrustFileError(
                f"log.key: expected a key named for the origin {self.origin!r}, "
                f"got {verifier.name!r}"
            )

    @classmethod
    def load(cls, path: Path) -> TrustFile:
        """Read a trust file.

        Raises:
            TrustFileError: unreadable, not TOML, or a field is missing or malformed.
        """
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise TrustFileError(f"{path}: {e.strerror}") from e
        except tomllib.TOMLDecodeError as e:
            raise TrustFileError(f"{path}: not TOML: {e}") from e
        log = data.get("log")
        if not isinstance(log, dict) or not all(
            isinstance(log.get(k), str) for k in ("origin", "key")
        ):
            raise TrustFileError(f"{path}: expected a [log] table with origin and key strings")
        return cls(
            log["origin"],
            log["key"],
            _strings(data.get("witnesses", {}), "keys", "witnesses"),
            _strings(data.get("labels", {}), "keys", "labels"),
            _strings(data.get("regulators", {}), "keys", "regulators"),
        )

    def regulator_public_keys(self) -> list[bytes]:
        """The regulator keys, raw (checked well-formed when the file was read)."""
        return [base64.b64decode(k) for k in self.regulator_keys]

    def write(self, path: Path) -> None:
        """Write the file (TOML; strings quoted as JSON, which TOML basic strings accept)."""

        def q(value: str) -> str:
            return json.dumps(value, ensure_ascii=False)

        def listed(values: tuple[str, ...]) -> str:
            return "[" + ", ".join(q(v) for v in values) + "]"

        path.write_text(
            "# What 'agritrace verify' trusts; obtain it from the cooperative, not the server.\n"
            f"[log]\norigin = {q(self.origin)}\nkey = {q(self.log_key)}\n\n"
            "# Every witness listed must have cosigned the checkpoint a page uses.\n"
            f"[witnesses]\nkeys = {listed(self.witnesses)}\n\n"
            "# Ed25519 public keys (base64) that may sign labels (the s= parameter).\n"
            f"[labels]\nkeys = {listed(self.label_keys)}\n\n"
            "# The regulator's own Ed25519 public keys (base64): labs must be approved by one.\n"
            f"[regulators]\nkeys = {listed(self.regulator_keys)}\n",
            encoding="utf-8",
        )
