"""The audit: recompute everything the log claims, trusting none of its derived tables.

Three steps. (1) The main process replays the ``ledger.*`` entries (genesis, key
registrations and revocations; a handful) into a key timeline. (2) The log is cut into
chunks that start at multiples of their length, and each chunk is checked on its own by a
worker process (:mod:`ledger._audit_chunk`): bytes, columns, links, keys, signatures, the
Merkle nodes inside it. Worker processes keep both cores busy with no lock in the way.
(3) The main process stitches the chunks: the ``prev`` link and clock across each boundary,
the Merkle nodes above chunk level, the root at every stored checkpoint (whose note must
verify with the log key the genesis entry names), a checkpoint the caller kept from earlier
and the cosignatures of the witnesses the caller names (either catches truncation and
rewritten history, even by whoever holds the log key). (4) Once the entries verify, the
state derived from them, the key table and the head row, is compared with the replay, and
every differing row and column is reported (:mod:`ledger._audit_state`).

The earliest failure is reported, with the entry it concerns and the reason; every drift
of derived state is listed as well.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from ledger._audit_checks import (
    AuditFailure,
    check_checkpoints,
    check_held,
    check_witness,
    size_of_held,
)
from ledger._audit_chunk import ChunkResult, ChunkTask, check_chunk
from ledger._audit_state import Drift, head_drift, key_drift
from ledger._cosignature import CosignatureVerifier
from ledger._errors import LedgerError
from ledger._keys import KeyRing
from ledger._record import GENESIS_PREV, Record
from ledger._store import Store, node_id
from ledger._tree import CompactRange

__all__ = ["AuditFailure", "AuditReport", "Drift", "Progress", "audit"]

Progress = Callable[[int, int], None]

#: Entries per chunk: a power of two, so each chunk is a perfect subtree.
CHUNK_LEVEL = 12
# Below this many entries, worker start-up (~0.1 s) costs more than it saves.
_WORKERS_FROM = 20_000


@dataclass(frozen=True)
class AuditReport:
    """The audit's verdict. Read :attr:`verdict`; there is deliberately no truth value."""

    origin: str
    entries: int
    checkpoints: int
    root: bytes
    seconds: float
    failure: AuditFailure | None = None
    cpu_seconds: float = 0.0  # on every process that took part: worker throughput per core
    drift: tuple[Drift, ...] = ()
    anchors: tuple[str, ...] = ()

    @property
    def anchored(self) -> bool:
        """Whether the audit checked the log against something kept outside it.

        Without a held checkpoint or a witness's cosignature, a log rewritten or truncated
        by whoever holds the log key (and re-signed) audits as valid: it is consistent with
        itself, and nothing remembers the old history.
        """
        return bool(self.anchors)

    @property
    def verdict(self) -> Literal["valid", "invalid"]:
        """``"valid"`` only when every check passed."""
        return "valid" if self.failure is None else "invalid"

    def __bool__(self) -> bool:
        raise TypeError("an AuditReport has no truth value: compare .verdict to 'valid'")


def audit(
    store: Store,
    *,
    held_checkpoint: bytes | None = None,
    witnesses: Sequence[CosignatureVerifier] = (),
    trusted_root_key: bytes | None = None,
    progress: Progress | None = None,
    chunk_level: int = CHUNK_LEVEL,
    processes: bool | None = None,
) -> AuditReport:
    """Audit one log.

    Args:
        store: the log to read.
        held_checkpoint: a signed checkpoint note saved earlier (by a witness or regulator);
            the log must still contain it: same root at that size.
        witnesses: witness cosignature keys; every stored cosignature by one must verify
            against the recomputed root, and each must have cosigned some checkpoint.
        trusted_root_key: the cooperative's root public key as known out of band; the
            genesis entry must name it.
        progress: called with (entries checked, entries in all) as chunks complete.
        chunk_level: chunks hold ``2**chunk_level`` entries.
        processes: check chunks on worker processes (default: when the log is long enough
            to repay their start-up).

    Returns:
        The report; ``failure`` names the first bad entry and why.
    """
    started, started_cpu = time.perf_counter(), time.process_time()
    chunk_cpu = 0.0
    with store.read() as conn:
        head = store.head(conn)
        checkpoints = {r.size: r for r in store.checkpoint_rows(conn)}
        key_rows = store.ledger_entry_rows(conn, head.size)
        stored_keys = store.key_rows(conn)
        cosigned = list(store.cosignature_rows(conn))
        stored_entries = store.count_entries_from(conn, 0)
    total = head.size
    failures: list[AuditFailure] = []
    drifts: list[Drift] = []
    anchors: list[str] = []
    tree = CompactRange()
    ring = _replay_keys(key_rows, failures)
    # These two hold even when the entries fail: each names the head as what disagrees.
    drifts.extend(head_drift(head, {"size": (stored_entries, None), "origin": (ring.origin, 0)}))
    held_size = size_of_held(held_checkpoint, failures)
    verified = 0
    try:
        if trusted_root_key is not None:
            # A verifier pinned to any root of the chain reaches the current one: each
            # rotation was signed by the root before it and the root after it.
            chain = [ring.keys[k].public_key for k in ring.roots if k in ring.keys]
            if trusted_root_key not in chain:
                failures.append(
                    AuditFailure(0, "no root in the log's chain of roots is the trusted key")
                )
        for size in checkpoints:
            if size > total:
                failures.append(
                    AuditFailure(None, f"a checkpoint covers {size} entries, the log has {total}")
                )
        wanted = frozenset({*checkpoints, *([held_size] if held_size else [])})
        wanted = frozenset(s for s in wanted if 0 < s <= total)
        roots: dict[int, bytes] = {}
        use_processes = total >= _WORKERS_FROM if processes is None else processes
        with _map(store, use_processes) as run:
            tasks = [
                ChunkTask(
                    store.engine.url.render_as_string(hide_password=False),
                    store.log_id,
                    store.origin,
                    begin,
                    min(begin + (1 << chunk_level), total),
                    ring,
                    wanted,
                )
                for begin in range(0, total, 1 << chunk_level)
            ]
            with store.read() as conn:
                upper = store.nodes_above(conn, chunk_level)
            previous = ChunkResult(0, 0, last_hash=GENESIS_PREV)
            for result in run(tasks):
                _stitch(previous, result, tree, upper, chunk_level, roots, failures)
                previous = result
                chunk_cpu += result.cpu_seconds if use_processes else 0.0
                if progress is not None:
                    progress(result.end, total)
                if failures and min(_order(f) for f in failures) < result.end:
                    break  # a later chunk cannot hold an earlier failure
        verified = check_checkpoints(checkpoints, roots, store.origin, ring, failures)
        if held_checkpoint is not None and held_size is not None:
            check_held(held_checkpoint, held_size, roots, store.origin, ring, total, failures)
            anchors.append(f"the checkpoint you hold (size {held_size})")
        for witness in witnesses:
            size = check_witness(witness, cosigned, checkpoints, roots, store.origin, failures)
            if size is not None:
                anchors.append(f"witness {witness.name} (cosigned size {size})")
        if not failures:
            _check_head(store, head, failures)
            drifts.extend(_derived_drift(head, previous, tree, checkpoints, ring, stored_keys))
    except LedgerError as e:
        failures.append(AuditFailure(None, f"the audit could not finish: {e}"))
    failures.extend(AuditFailure(d.seq, d.describe()) for d in drifts)
    first = min(failures, key=_order) if failures else None
    cpu = time.process_time() - started_cpu + chunk_cpu
    return AuditReport(
        store.origin,
        total,
        verified,
        tree.root(),
        time.perf_counter() - started,
        first,
        cpu,
        tuple(drifts),
        tuple(anchors),
    )


def _derived_drift(
    head: Any,
    last: ChunkResult,
    tree: CompactRange,
    checkpoints: dict[int, Any],
    ring: KeyRing,
    stored_keys: list[Any],
) -> list[Drift]:
    """Compare the head row and the key table with the replay (step 4)."""
    total = head.size
    last_seq = total - 1 if total else None
    expected: dict[str, tuple[Any, int | None]] = {
        "last_hash": (last.last_hash if total else GENESIS_PREV, last_seq),
        "border": (tree.to_bytes(), last_seq),
    }
    if total:
        expected["last_log_time"] = (last.last_time, last_seq)
    published = max((s for s in checkpoints if s <= total), default=0)
    expected["checkpoint_size"] = (published, published - 1 if published else None)
    if published:
        expected["checkpoint_time"] = (str(checkpoints[published].signed_at), published - 1)
    return [*head_drift(head, expected), *key_drift(stored_keys, ring.keys)]


def _order(failure: AuditFailure) -> float:
    return float("inf") if failure.seq is None else failure.seq


@contextmanager
def _map(
    store: Store, processes: bool
) -> Iterator[Callable[[list[ChunkTask]], Iterator[ChunkResult]]]:
    """Run chunk checks in order: on worker processes, or in-line."""
    if not processes:
        yield lambda tasks: (check_chunk(task, store) for task in tasks)
        return
    # forkserver: never fork a process that holds database connections and threads.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2, mp_context=context) as pool:
        yield lambda tasks: pool.map(check_chunk, tasks)


def _replay_keys(rows: list[Any], failures: list[AuditFailure]) -> KeyRing:
    """Replay genesis and key entries into the keys valid over time (step 1)."""
    ring = KeyRing()
    for row in rows:
        try:
            record = Record.from_leaf(row.leaf)
            if record.seq != row.seq or record.statement.kind != row.kind:
                # The chunk check reports this entry; the timeline just leaves it out.
                continue
            ring.signer(row.seq, record.statement)
            ring.apply(row.seq, record.statement)
        except LedgerError as e:
            failures.append(AuditFailure(row.seq, f"entry {row.seq}: {e}"))
            break
    return ring


def _stitch(
    previous: ChunkResult,
    result: ChunkResult,
    tree: CompactRange,
    upper: dict[int, bytes],
    chunk_level: int,
    roots: dict[int, bytes],
    failures: list[AuditFailure],
) -> None:
    """Join a chunk to the ones before it (step 3)."""
    if result.failure is not None:
        failures.append(AuditFailure(*result.failure))
    boundary = result.begin
    if boundary < result.end and result.first_prev and result.first_prev != previous.last_hash:
        failures.append(AuditFailure(boundary, f"entry {boundary}: prev does not match"))
    if result.first_time and result.first_time < previous.last_time:
        failures.append(AuditFailure(boundary, f"entry {boundary}: log time runs backwards"))
    for size, border in result.borders_at.items():
        roots[size] = CompactRange(size, [*tree.border, *(h for _, h in border)]).root()
    if result.failure is not None:
        return
    for level, value in result.border:
        for key, node in tree.append_subtree(level, value):
            if key[0] > chunk_level and upper.get(node_id(key)) != node:
                last = ((key[1] + 1) << key[0]) - 1
                failures.append(
                    AuditFailure(last, f"entry {last}: stored Merkle node {key} differs")
                )


def _check_head(store: Store, head: Any, failures: list[AuditFailure]) -> None:
    """Entries beyond the head and the count of Merkle nodes (the head's columns: step 4)."""
    total = head.size
    with store.read() as conn:
        stored = store.count_nodes(conn)
        beyond = store.count_entries_from(conn, total)
    if beyond:
        failures.append(
            AuditFailure(total, f"{beyond} entries are stored beyond the head's size {total}")
        )
    expected = 2 * total - bin(total).count("1")
    if stored != expected:
        failures.append(
            AuditFailure(None, f"expected {expected} stored Merkle nodes, found {stored}")
        )
