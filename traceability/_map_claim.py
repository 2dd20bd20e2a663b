"""Whether a page's status agrees with the signed lot-status map: omission caught.

Inclusion proofs show that the entries a page lists are in the log, never that none was
left out. The lot-status map closes that gap (docs/adr/0017-lot-status-map.md): the page
carries its lot's map proof, and :func:`check_map_claim` checks, from proven entries only,

1. freshness: the map entry is the checkpoint's last entry (index == size - 1) and covers
   every entry before it (its ``size`` == its index);
2. the bucket and siblings lead to the root that entry signed;
3. the map's value for the lot: its status equals the status the page shows, and every
   entry it rests on is among the page's proven entries (a left-out recall or hold shows
   here).

``verifier_app/static/statusmap.js`` is the same check in the phone. The server's own
answer check and ``agritrace verify`` call this one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from traceability._map_proof import MapProofError, proof_from_json, verify_map_proof
from traceability.events._events import StatusMap
from traceability.events._ids import lot_key

__all__ = ["MapVerdict", "check_map_claim"]


@dataclass(frozen=True)
class MapVerdict:
    """The outcome: ``checked`` (the status is omission-proof), ``not_checked`` or ``mismatch``.

    Attributes:
        state: ``not_checked`` when the answer carries no map proof (a checkpoint that does
            not end with a map): never evidence against the page, never green either.
        reason: why, in words (empty when checked).
    """

    state: Literal["checked", "not_checked", "mismatch"]
    reason: str = ""


def check_map_claim(
    status_map: Mapping[str, Any] | None,
    checkpoint_size: int,
    proven: Mapping[int, tuple[str, Mapping[str, Any]]],
    gtin: str,
    lot: str,
    shown_status: str | None,
) -> MapVerdict:
    """Check the page's map proof against the proven entries and the status it shows.

    Args:
        status_map: The answer's ``proof.statusMap`` (``{entry, key, value, bucket,
            siblings}``), or None.
        checkpoint_size: The size of the signed checkpoint the entries are proven in.
        proven: Entry position -> (kind, body) of every entry proven in that checkpoint.
        gtin: The scanned GTIN.
        lot: The scanned lot code.
        shown_status: The lifecycle status the page shows (``lot.claims.status.value``).
    """
    if status_map is None:
        return MapVerdict("not_checked", "the checkpoint does not end with a lot-status map")
    try:
        index = int(status_map["entry"])
        key = str(status_map["key"])
        value = status_map.get("value")
        proof = proof_from_json(status_map)
    except (KeyError, TypeError, ValueError) as e:
        return MapVerdict("mismatch", f"status: malformed map proof ({e})")
    if index != checkpoint_size - 1:
        return MapVerdict(
            "mismatch",
            f"status: the map entry {index} is not the checkpoint's last ({checkpoint_size - 1})",
        )
    if key != lot_key(gtin, lot):
        return MapVerdict("mismatch", f"status: the map proof is for {key!r}, not this lot")
    if index not in proven:
        return MapVerdict("mismatch", f"status: the map entry {index} is not proven")
    kind, body = proven[index]
    if kind != StatusMap.KIND or body.get("size") != index:
        return MapVerdict(
            "mismatch", f"status: entry {index} is not a map of the {index} entries before it"
        )
    try:
        root = base64.b64decode(str(body["root"]), validate=True)
        verify_map_proof(proof, root, value)
    except (KeyError, binascii.Error, MapProofError) as e:
        return MapVerdict("mismatch", f"status: {e}")
    if value is None:
        return MapVerdict("mismatch", "status: the signed map holds no such lot")
    if value.get("status") != shown_status:
        return MapVerdict(
            "mismatch",
            f"status: the page shows {shown_status!r}, the signed map {value.get('status')!r}",
        )
    missing = [e for e in value.get("entries", []) if e not in proven]
    if missing:
        listed = ", ".join(str(e) for e in missing)
        return MapVerdict(
            "mismatch", f"status: the page leaves out entries the status rests on ({listed})"
        )
    return MapVerdict("checked")
