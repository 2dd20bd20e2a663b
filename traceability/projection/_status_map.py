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

from sqlalchemy import Connection, delete, insert, or_, select, union, update

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
# Bound parameters per IN list: SQLite allows 32,766 in a statement, PostgreSQL 65,535.
_IN_CHUNK = 5000
_STATE = select(t.map_state.c.size, t.map_state.c.lots, t.map_state.c.root).where(
    t.map_state.c.id == 1
)


def _chunks(items: Iterable[Any]) -> Iterable[list[Any]]:
    ordered = sorted(items)
    for i in range(0, len(ordered), _IN_CHUNK):
        yield ordered[i : i + _IN_CHUNK]


def _node(level: int, index: int) -> int:
    return level << 16 | index


def map_size(conn: Connection) -> int:
    """The log size the map tables describe (0 before the first map)."""
    row = conn.execute(_STATE).first()
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


def _node_rows(conn: Connection, nodes: Iterable[int]) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    for batch in _chunks(set(nodes)):
        for row in conn.execute(
            select(t.map_nodes.c.node, t.map_nodes.c.hash).where(t.map_nodes.c.node.in_(batch))
        ):
            found[int(row.node)] = bytes.fromhex(row.hash)
    return found


def _rehash(conn: Connection, buckets: dict[int, bytes], size: int) -> bytes:
    """Write the changed bucket hashes and every node above them; return the root.

    The siblings along all the changed paths are read in one lookup (a changed sibling is
    taken from this update instead), then the changed nodes are replaced.
    """
    paths: dict[int, set[int]] = {0: set(buckets)}
    for level in range(1, DEPTH + 1):
        paths[level] = {i >> 1 for i in paths[level - 1]}
    siblings = {
        _node(level, i ^ 1)
        for level in range(DEPTH)
        for i in paths[level]
        if i ^ 1 not in paths[level]
    }
    known = _node_rows(conn, siblings)
    hashes: dict[int, bytes] = {_node(0, b): h for b, h in buckets.items()}
    for level in range(1, DEPTH + 1):
        below = _EMPTY[level - 1]
        for i in paths[level]:
            left, right = _node(level - 1, 2 * i), _node(level - 1, 2 * i + 1)
            hashes[_node(level, i)] = node_hash(
                hashes.get(left) or known.get(left, below),
                hashes.get(right) or known.get(right, below),
            )
    for batch in _chunks(hashes):
        conn.execute(delete(t.map_nodes).where(t.map_nodes.c.node.in_(batch)))
    rows = [
        {"node": n, "hash": h.hex(), "seq": size} for n, h in hashes.items() if h != _EMPTY[n >> 16]
    ]
    if rows:
        conn.execute(insert(t.map_nodes), rows)
    return hashes[_node(DEPTH, 0)]


def update_map(conn: Connection, size: int) -> tuple[bytes, int]:
    """Bring the map to the projection's state after ``size`` entries; return (root, lots).

    Call when the projection has applied exactly ``size`` entries.
    """
    cache = active(conn)
    if cache is not None:
        cache.flush()  # the batch's deferred rows are part of the state being committed to
    state = conn.execute(_STATE).first()
    since = 0 if state is None else int(state.size)
    lots = 0 if state is None else int(state.lots)
    root = _EMPTY[DEPTH] if state is None else bytes.fromhex(state.root)
    if since == size:
        return root, lots
    values = _values(conn, _touched(conn, since))
    # Only values that changed are rewritten and rehashed (a cooling log or a packing
    # touches a lot without changing its status).
    held: dict[str, str] = {}
    for batch in _chunks(values):
        for mapped in conn.execute(
            select(t.map_lots.c.key, t.map_lots.c.hash).where(t.map_lots.c.key.in_(batch))
        ):
            held[mapped.key] = mapped.hash
    values = {k: v for k, v in values.items() if held.get(k) != value_hash(v).hex()}
    for batch in _chunks(values):
        lots -= conn.execute(delete(t.map_lots).where(t.map_lots.c.key.in_(batch))).rowcount
    lots += len(values)
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
        root = _rehash(conn, {b: bucket_hash(p) for b, p in pairs.items()}, size)
    values_row = {"size": size, "lots": lots, "root": root.hex()}
    if conn.execute(update(t.map_state).values(**values_row)).rowcount == 0:
        conn.execute(insert(t.map_state).values(id=1, **values_row))
    return root, lots


def map_root(conn: Connection) -> tuple[bytes, int]:
    """The map's root and how many lots it holds, as of :func:`map_size`."""
    state = conn.execute(_STATE).first()
    if state is None:
        return _EMPTY[DEPTH], 0
    return bytes.fromhex(state.root), int(state.lots)


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
    wanted = [_node(level, (bucket >> level) ^ 1) for level in range(DEPTH)]
    found = _node_rows(conn, wanted)
    siblings = tuple(found.get(n, _EMPTY[level]) for level, n in enumerate(wanted))
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
