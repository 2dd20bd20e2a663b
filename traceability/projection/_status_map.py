"""The lot-status map kept beside the projection: updated, read, and checked at its entries.

The map (hashing in :mod:`traceability._map_proof`) holds each lot's status as the projection
derives it and the entries that status rests on: the entry that set it (a release, hold,
lift, recall — also one inherited from a lot it was made from — a failing result, a
shipment ...), every hold placed on the lot and the entry that lifted it, and the lot's
failing results. Its tables are brought up to a log size only at a ``trace.status_map``
entry (or just before the server appends one): the lots touched since the previous map are
found through the ``seq`` columns the projection already keeps, their values recomputed,
and the 16 nodes above each changed bucket rehashed. A ``trace.status_map`` entry whose
root the map does not give is refused (the recorder appends nothing) or, replayed, kept as
an anomaly that the domain check names (:mod:`traceability.projection._check`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, tuple_, union, update

from ledger import Ledger, canonical_bytes
from traceability._errors import ValidationError
from traceability._map_proof import (
    DEPTH,
    MapProof,
    bucket_hash,
    bucket_of,
    empty_hashes,
    map_value,
    node_hash,
    proof_to_json,
    value_hash,
)
from traceability.events._events import StatusMap
from traceability.events._ids import lot_key
from traceability.projection import _schema as t
from traceability.projection._cache import active

__all__ = [
    "STATUS_MAP_HANDLERS",
    "map_proof",
    "map_root",
    "map_size",
    "status_map_proof",
    "update_map",
]

_EMPTY = empty_hashes()
_IN_CHUNK = 500  # bound parameters per IN list


def _chunks(items: Iterable[Any]) -> Iterable[list[Any]]:
    ordered = sorted(items)
    for i in range(0, len(ordered), _IN_CHUNK):
        yield ordered[i : i + _IN_CHUNK]


def map_size(conn: Connection) -> int:
    """The log size the map tables describe (0 before the first map)."""
    row = conn.execute(select(t.map_state.c.size).where(t.map_state.c.id == 1)).first()
    return 0 if row is None else int(row.size)


def _touched(conn: Connection, since: int) -> set[str]:
    """Lots whose value may have changed through entries at or after ``since``."""
    lots, holds = t.lots.c, t.holds.c
    query = union(
        select(t.event_lots.c.lot).where(t.event_lots.c.seq >= since),
        select(lots.key).where(or_(lots.status_seq >= since, lots.created_seq >= since)),
        select(holds.lot).where(or_(holds.seq >= since, holds.lifted_seq >= since)),
    )
    return {str(v) for v in conn.execute(query).scalars()}


def _values(conn: Connection, keys: set[str]) -> dict[str, dict[str, Any]]:
    """Each lot's map value, from the projection's rows."""
    status: dict[str, str] = {}
    entries: dict[str, set[int]] = {}
    for batch in _chunks(keys):
        for lot in conn.execute(
            select(t.lots.c.key, t.lots.c.status, t.lots.c.status_seq).where(
                t.lots.c.key.in_(batch)
            )
        ):
            status[lot.key] = str(lot.status)
            entries[lot.key] = {int(lot.status_seq)}
        for hold in conn.execute(
            select(t.holds.c.lot, t.holds.c.seq, t.holds.c.lifted_seq).where(
                t.holds.c.lot.in_(batch)
            )
        ):
            found = entries.setdefault(hold.lot, set())
            found.add(int(hold.seq))
            if hold.lifted_seq is not None:
                found.add(int(hold.lifted_seq))
        for result in conn.execute(
            select(t.results.c.lot, t.results.c.seq).where(
                t.results.c.lot.in_(batch), t.results.c.outcome == "fail"
            )
        ):
            entries.setdefault(result.lot, set()).add(int(result.seq))
    return {key: map_value(status[key], entries.get(key, ())) for key in status}


def _node_rows(conn: Connection, level: int, indexes: Iterable[int]) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    for batch in _chunks(set(indexes)):
        for row in conn.execute(
            select(t.map_nodes.c.idx, t.map_nodes.c.hash).where(
                t.map_nodes.c.level == level, t.map_nodes.c.idx.in_(batch)
            )
        ):
            found[int(row.idx)] = bytes.fromhex(row.hash)
    return found


def _put_nodes(conn: Connection, level: int, hashes: dict[int, bytes], size: int) -> None:
    for batch in _chunks(hashes):
        conn.execute(
            delete(t.map_nodes).where(t.map_nodes.c.level == level, t.map_nodes.c.idx.in_(batch))
        )
    rows = [
        {"level": level, "idx": i, "hash": h.hex(), "seq": size}
        for i, h in hashes.items()
        if h != _EMPTY[level]
    ]
    if rows:
        conn.execute(insert(t.map_nodes), rows)


def update_map(conn: Connection, size: int) -> tuple[bytes, int]:
    """Bring the map to the projection's state after ``size`` entries; return (root, lots).

    Call when the projection has applied exactly ``size`` entries.
    """
    cache = active(conn)
    if cache is not None:
        cache.flush()  # the batch's deferred rows are part of the state being committed to
    since = map_size(conn)
    if since != size:
        values = _values(conn, _touched(conn, since))
        for batch in _chunks(values):
            conn.execute(delete(t.map_lots).where(t.map_lots.c.key.in_(batch)))
        if values:
            conn.execute(
                insert(t.map_lots),
                [
                    {
                        "key": key,
                        "bucket": bucket_of(key),
                        "value": canonical_bytes(value).decode(),
                        "hash": value_hash(value).hex(),
                        "seq": size,
                    }
                    for key, value in values.items()
                ],
            )
        changed = {bucket_of(key) for key in values}
        pairs: dict[int, list[tuple[str, bytes]]] = {b: [] for b in changed}
        for batch in _chunks(changed):
            for row in conn.execute(
                select(t.map_lots.c.key, t.map_lots.c.bucket, t.map_lots.c.hash).where(
                    t.map_lots.c.bucket.in_(batch)
                )
            ):
                pairs[int(row.bucket)].append((row.key, bytes.fromhex(row.hash)))
        level_hashes = {b: bucket_hash(p) for b, p in pairs.items()}
        _put_nodes(conn, 0, level_hashes, size)
        for level in range(1, DEPTH + 1):
            parents = {i >> 1 for i in level_hashes}
            children = {c for p in parents for c in (2 * p, 2 * p + 1)}
            known = _node_rows(conn, level - 1, children)
            below = _EMPTY[level - 1]
            level_hashes = {
                p: node_hash(known.get(2 * p, below), known.get(2 * p + 1, below)) for p in parents
            }
            _put_nodes(conn, level, level_hashes, size)
        if conn.execute(update(t.map_state).values(size=size)).rowcount == 0:
            conn.execute(insert(t.map_state).values(id=1, size=size))
    return map_root(conn)


def map_root(conn: Connection) -> tuple[bytes, int]:
    """The map's root and how many lots it holds, as of :func:`map_size`."""
    root = _node_rows(conn, DEPTH, [0]).get(0, _EMPTY[DEPTH])
    count = conn.execute(select(func.count()).select_from(t.map_lots)).scalar_one()
    return root, int(count)


def map_proof(conn: Connection, key: str) -> tuple[MapProof, dict[str, Any] | None]:
    """The proof for lot ``key`` in the map as of :func:`map_size`, and its value (or None)."""
    bucket = bucket_of(key)
    pairs: list[tuple[str, bytes]] = []
    value: dict[str, Any] | None = None
    for row in conn.execute(
        select(t.map_lots.c.key, t.map_lots.c.hash, t.map_lots.c.value).where(
            t.map_lots.c.bucket == bucket
        )
    ):
        pairs.append((row.key, bytes.fromhex(row.hash)))
        if row.key == key:
            value = json.loads(row.value)
    wanted = [(level, (bucket >> level) ^ 1) for level in range(DEPTH)]
    found: dict[tuple[int, int], bytes] = {}
    for row in conn.execute(
        select(t.map_nodes.c.level, t.map_nodes.c.idx, t.map_nodes.c.hash).where(
            tuple_(t.map_nodes.c.level, t.map_nodes.c.idx).in_(wanted)
        )
    ):
        found[(int(row.level), int(row.idx))] = bytes.fromhex(row.hash)
    siblings = tuple(found.get(w, _EMPTY[w[0]]) for w in wanted)
    return MapProof(key, tuple(sorted(pairs)), siblings), value


def _apply_status_map(conn: Connection, seq: int, e: StatusMap) -> None:
    # The map must cover everything before it and be the map a replay gives: the phone
    # checks the first against the checkpoint, the auditors the second through this check.
    if e.size != seq:
        raise ValidationError("size", f"{seq} (the entry's own position)", e.size)
    root, lots = update_map(conn, seq)
    want = base64.b64encode(root).decode()
    if e.root != want or e.lots != lots:
        raise ValidationError(
            "root",
            f"{want} over {lots} lots (the map a replay of the first {seq} entries gives)",
            f"{e.root} over {e.lots} lots",
        )
    conn.execute(insert(t.status_maps).values(seq=seq, size=e.size, root=e.root, lots=e.lots))


STATUS_MAP_HANDLERS: dict[type[Any], Any] = {StatusMap: _apply_status_map}


def status_map_proof(
    ledger: Ledger, gtin: str, lot: str, checkpoint_size: int
) -> dict[str, Any] | None:
    """The lot's map proof for a page on the checkpoint of ``checkpoint_size``, or None.

    None unless the map tables describe exactly the log before that checkpoint's last
    entry (the map entry that ends it): a proof from another map would not match its root.
    The form is ``{entry, key, value, bucket: [[key, hex]], siblings: [base64]}``.
    """
    key = lot_key(gtin, lot)
    with ledger.engine.connect() as conn:
        if map_size(conn) != checkpoint_size - 1:
            return None
        proof, value = map_proof(conn, key)
    return {"entry": checkpoint_size - 1, "value": value, **proof_to_json(proof)}
