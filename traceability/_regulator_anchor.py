"""Regulator keys anchored outside the cooperative: a witness pins the regulator's own keys.

Every key on a log is registered by the cooperative's root key, so a cooperative could
register a key with the ``regulator`` role for itself and, with it, approve its own "lab"
(``trace.lab_approval``), decide on complaints against itself, or record a "regulator's"
pre-sample. The regulator already runs the witness that cosigns the log's checkpoints;
configured with the public keys the regulator itself holds, the witness refuses to cosign a
checkpoint of a log in which any other key holds the regulator role. A page cosigned by the
regulator's witness therefore rests only on regulator entries the regulator signed, and
``agritrace verify`` checks the same from the trust file (its ``[regulators]`` keys).

Only the role needs pinning: every regulator-only event (lab approvals, decisions,
regulator samples) is refused by the rules unless its key holds the role, and an entry
written around the rules is an anomaly of the replay, never an approval.
"""

from __future__ import annotations

from collections.abc import Collection

from ledger import KeyInfo, Ledger
from traceability._errors import TraceError
from traceability.rules._actors import Role

__all__ = ["RegulatorKeyError", "check_regulator_keys", "foreign_regulator_keys"]


class RegulatorKeyError(TraceError):
    """A key the regulator does not hold was registered with the regulator role."""


def foreign_regulator_keys(ledger: Ledger, size: int, pinned: Collection[bytes]) -> list[KeyInfo]:
    """Keys registered with the regulator role before entry ``size`` that are not ``pinned``.

    Args:
        ledger: The log (a witness's own mirror of it: its key table is built from the
            entries the mirror verified).
        size: The checkpoint's size: registrations at or after it are not yet its concern.
        pinned: The regulator's raw 32-byte Ed25519 public keys.
    """
    pins = set(pinned)
    return sorted(
        (
            info
            for info in ledger.keys().values()
            if Role.REGULATOR in info.roles
            and info.registered_seq < size
            and info.public_key not in pins
        ),
        key=lambda info: info.registered_seq,
    )


def check_regulator_keys(ledger: Ledger, size: int, pinned: Collection[bytes]) -> None:
    """Refuse (raise) when a key the regulator does not hold has the regulator role.

    Raises:
        RegulatorKeyError: names each registration entry, key id and actor.
    """
    foreign = foreign_regulator_keys(ledger, size, pinned)
    if foreign:
        named = "; ".join(
            f"entry {k.registered_seq} registers key {k.key_id} ({k.actor}) with the regulator role"
            for k in foreign
        )
        raise RegulatorKeyError(
            f"refusing to cosign: {named} — not a key of the regulator this witness serves "
            "(a cooperative cannot make its own regulator)"
        )
