"""A mirror: follow a log over HTTP through its tiles, verify everything, store it as a ledger.

One :meth:`Mirror.sync` brings the mirror's database up to the source log's checkpoint:

1. Fetch ``checkpoint`` and verify the log's signature with the configured key.
2. Read the new leaf hashes from level-0 tiles and extend the mirror's own tree with them:
   the root must equal the signed root. So everything the mirror holds, and everything it
   will take, is committed to by the new checkpoint: consistency with the checkpoint it
   held is implied (its tree is the prefix). If the roots differ and the tiles themselves
   prove (by a consistency proof that reaches the new root) that the new tree's prefix is
   not the mirror's, the log forked: :class:`ForkError`, with both signed notes kept in the
   state folder. Otherwise the tiles are bad: retry later.
3. Fetch entry bundles; each entry must hash to its verified leaf hash, parse as a record
   with the right position and the previous leaf hash as ``prev``, be signed for this log,
   and carry a signature by the key valid at its position (keys replayed from the entries).
4. Store them with their Merkle nodes, key changes and head, 4,096 per transaction (one
   batch's signatures are verified on worker processes, or threads for a short batch, while
   the next is fetched and checked), then the checkpoint. A cut
   connection loses at most the batches in flight; the next sync resumes from the
   mirror's head and verifies the stored prefix again against the new root.

The mirror's database is an ordinary ledger database (the same tables), so ``audit``,
proofs and the read-only app work on it; it has no log key and never signs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from ledger._checkpoint import Checkpoint, open_checkpoint
from ledger._errors import EncodingError, LedgerError, NoteError, ProofError
from ledger._keys import GENESIS, KEY_REVOKE, ROOT_ROTATE, KeyInfo, KeyRing
from ledger._keystate import KeyState
from ledger._merkle import verify_consistency
from ledger._note import NoteVerifier
from ledger._record import Record
from ledger._statement import format_time
from ledger._store import EntryRow, Head, NodeRow, Store, node_id, open_engine
from ledger._tile_reader import Fetch, TiledTree
from ledger._tiles import TILE_WIDTH
from ledger._tree import CompactRange, root_at
from ledger._verify import VerifyLater, first_bad_signature_later

if TYPE_CHECKING:  # the store hands its connections through; no SQL here
    from sqlalchemy import Connection

__all__ = ["ForkError", "Mirror", "MirrorError", "MirrorNetworkError", "MirrorProgress"]

PENDING_NOTE = "pending.note"
#: Entries per transaction: sixteen entry bundles (a cut loses at most this much work). Fewer,
#: larger transactions write each index page touched once per 4,096 entries, not per 1,024:
#: the main process's CPU per entry fell by about a sixth (docs/performance.md).
BATCH = 16 * TILE_WIDTH


class MirrorError(LedgerError):
    """The source log served something that does not verify; nothing of it was stored."""


class MirrorNetworkError(MirrorError):
    """The source log could not be reached or the transfer was cut: sync again later."""


class ForkError(MirrorError):
    """Two checkpoints signed by the log are not consistent. The mirror stops.

    Attributes:
        evidence: The folder holding both signed notes.
    """

    def __init__(self, message: str, evidence: Path) -> None:
        super().__init__(f"{message}; evidence in {evidence}")
        self.evidence = evidence


@dataclass(frozen=True)
class _Batch:
    """Checked records waiting for their signature verdict, then for their transaction."""

    before: Head
    after: Head
    rows: list[EntryRow]
    nodes: list[NodeRow]
    changes: list[tuple[int, str, KeyInfo, str | None]]
    verdict: Callable[[], int | None]


@dataclass(frozen=True)
class MirrorProgress:
    """What a sync did: the mirror's size before and after, and the source log's checkpoint size."""

    before: int
    after: int
    checkpoint: int


class Mirror:
    """A verified copy of one log in a database of its own.

    Args:
        store: The mirror's store (see :meth:`open`).
        log_key: The log's checkpoint key, configured out of band (its name is the log's origin).
        fetch: Fetches a path under the source log's tiles prefix; raises
            :class:`MirrorNetworkError` when the network fails.
        state: Folder for the checkpoint being synced and fork evidence.
    """

    def __init__(self, store: Store, log_key: NoteVerifier, fetch: Fetch, state: Path) -> None:
        self.store, self.log_key, self.fetch, self.state = store, log_key, fetch, state
        # Tiles and bundles fetched by a sync that was cut, kept for the next attempt: a tile
        # path fixes its content (a partial tile's too), so a patchy link does not fetch
        # them again. Everything is verified again against each new checkpoint; bundles are
        # dropped once written, tiles after a sync.
        self._tiles: dict[str, bytes] = {}

    def _fetch(self, path: str) -> bytes:
        if path == "checkpoint":
            return self.fetch(path)
        if path not in self._tiles:
            self._tiles[path] = self.fetch(path)
        return self._tiles[path]

    @classmethod
    def open(cls, url: str, log_key: NoteVerifier, fetch: Fetch, state: Path) -> Mirror:
        """Open the mirror database at ``url``, creating it (empty) on first use."""
        engine = open_engine(url, create=True)
        Store.create_tables(engine)
        try:
            store = Store.attach(engine, log_key.name)
        except LedgerError:
            store = Store.new_log(engine, log_key.name, format_time(datetime.now(UTC)))
        state.mkdir(parents=True, exist_ok=True)
        return cls(store, log_key, fetch, state)

    def sync(self) -> MirrorProgress:
        """Catch up with the source log's current checkpoint (see the module docstring).

        Raises:
            MirrorNetworkError: the source log is unreachable or the transfer was cut.
            ForkError: the source log signed a history inconsistent with one it signed before.
            MirrorError: the source log served data that does not verify.
        """
        note = self.fetch("checkpoint")
        try:
            checkpoint, _ = open_checkpoint(note, self.store.origin, self.log_key)
        except NoteError as e:
            raise MirrorError(f"the source log's checkpoint does not verify: {e}") from e
        head = self.store.head()
        if checkpoint.size <= head.size:
            self._check_older(checkpoint, note, head)
            return MirrorProgress(head.size, head.size, checkpoint.size)
        tree = TiledTree(checkpoint.size, self._fetch)
        try:
            leaves = self._verified_leaves(tree, checkpoint, note, head)
        except MirrorError as e:
            if not isinstance(e, MirrorNetworkError):
                self._tiles.clear()  # a bad tile must not stick
            raise
        (self.state / PENDING_NOTE).write_bytes(note)
        start = head.size
        head = self._take(tree, checkpoint, leaves, head, first_bad_signature_later)
        self._store_checkpoint(checkpoint, note)
        (self.state / PENDING_NOTE).unlink(missing_ok=True)
        self._tiles.clear()
        return MirrorProgress(start, head.size, checkpoint.size)

    def _take(
        self,
        tree: TiledTree,
        checkpoint: Checkpoint,
        leaves: list[bytes],
        head: Head,
        verify: VerifyLater,
    ) -> Head:
        """Fetch, check, verify and write the entries after ``head``; return the new head."""
        ring = self._key_ring()
        start, cursor = head.size, head
        pending: _Batch | None = None
        while cursor.size < checkpoint.size:
            stop = min((cursor.size // BATCH + 1) * BATCH, checkpoint.size)
            try:
                entries = tree.entries(cursor.size, stop)
            except MirrorNetworkError:
                if pending is not None:  # keep the verified batch: a restart resumes after it
                    self._write(pending)
                raise
            except (ProofError, EncodingError) as e:
                self._tiles.clear()
                raise MirrorError(f"the source log's entry bundle does not verify: {e}") from e
            hashes = leaves[cursor.size - start : stop - start]
            batch = self._prepare(cursor, entries, hashes, ring, verify)
            if pending is not None:
                head = self._write(pending)
            pending, cursor = batch, batch.after
        if pending is not None:
            head = self._write(pending)
        return head

    # --- verification ----------------------------------------------------------------------

    def _check_older(self, checkpoint: Checkpoint, note: bytes, head: Head) -> None:
        """A checkpoint no larger than what the mirror holds must agree with it."""
        if checkpoint.size == 0:
            return
        ours = root_at(checkpoint.size, self.store.fetch_nodes)
        if ours != checkpoint.root_hash:
            self._fork(note, f"the checkpoint of size {checkpoint.size} has another root")
        if head.checkpoint_size < checkpoint.size:  # an interrupted sync held it as pending
            self._store_checkpoint(checkpoint, note)
            (self.state / PENDING_NOTE).unlink(missing_ok=True)
        self._take_cosignatures(checkpoint.size, note)

    def _take_cosignatures(self, size: int, note: bytes) -> None:
        """Keep the source's note of a checkpoint held if it adds cosignatures to ours.

        The source publishes a checkpoint at once and its witnesses cosign it a moment
        later: without this, the mirror would serve that checkpoint without them until the
        next one. Only a note with the same signed text and every signature line of the
        stored one (and more) replaces it, so a stale cache cannot take cosignatures away.
        Cosignatures are not verified here (the mirror knows no witness keys), as for the
        note of a new checkpoint: verifiers check them with the keys they trust.
        """
        with self.store.read() as conn:
            row = self.store.checkpoint_row(conn, size)
        if row is None:
            return
        held, fetched = str(row.note), note.decode()
        held_text, _, held_lines = held.partition("\n\n")
        text, _, lines = fetched.partition("\n\n")
        if text != held_text or not set(held_lines.splitlines()) < set(lines.splitlines()):
            return
        self.store.replace_checkpoint_note(size, held, fetched)

    def _verified_leaves(
        self, tree: TiledTree, checkpoint: Checkpoint, note: bytes, head: Head
    ) -> list[bytes]:
        try:
            leaves = tree.leaf_hashes(head.size, checkpoint.size)
        except (ProofError, EncodingError) as e:
            raise MirrorError(f"the source log's tiles do not verify: {e}") from e
        extended = CompactRange.from_bytes(head.size, head.border)
        for h in leaves:
            extended.append(h)
        if extended.root() == checkpoint.root_hash:
            return leaves
        ours = CompactRange.from_bytes(head.size, head.border).root()
        if head.size > 0 and self._tiles_prove_other_prefix(tree, checkpoint, head.size, ours):
            self._fork(note, f"the log's tree at size {head.size} is not the one mirrored")
        raise MirrorError(
            f"the tiles do not lead to the checkpoint's root at size {checkpoint.size}"
        )

    @staticmethod
    def _tiles_prove_other_prefix(
        tree: TiledTree, checkpoint: Checkpoint, size: int, ours: bytes
    ) -> bool:
        """Whether the tiles prove, up to the signed root, another root at ``size``."""
        try:
            theirs = root_at(size, tree.nodes)
            proof = tree.consistency_proof(size)
            verify_consistency(size, checkpoint.size, proof, theirs, checkpoint.root_hash)
        except (ProofError, EncodingError):
            return False  # the tiles do not even agree with the signed root
        return theirs != ours

    def _fork(self, note: bytes, why: str) -> None:
        """Keep the new note and the one the mirror relied on, then stop."""
        with self.store.read() as conn:
            head = self.store.head(conn)
            row = self.store.checkpoint_row(conn, head.checkpoint_size)
        folder = self.state / f"fork-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"
        folder.mkdir(parents=True)
        (folder / "new.note").write_bytes(note)
        pending = self.state / PENDING_NOTE
        if pending.exists():
            (folder / "pending.note").write_bytes(pending.read_bytes())
        if row is not None:
            (folder / "held.note").write_text(str(row.note), encoding="utf-8")
        raise ForkError(f"the source log forked: {why}", folder)

    def _key_ring(self) -> KeyRing:
        with self.store.read() as conn:
            return KeyState().ring(self.store, conn)  # replayed from the mirrored entries

    def _check_record(self, seq: int, prev: bytes, leaf: bytes) -> Record:
        parsed = _deterministic(leaf)
        try:
            record = Record.from_leaf(leaf, check_encoding=parsed is None, parsed=parsed)
        except LedgerError as e:
            raise MirrorError(f"entry {seq}: {e}") from e
        if record.seq != seq:
            raise MirrorError(f"entry {seq}: the record says seq {record.seq}")
        if record.prev != prev:
            raise MirrorError(f"entry {seq}: prev {record.prev.hex()} is not {prev.hex()}")
        if record.statement.log != self.store.origin:
            raise MirrorError(f"entry {seq}: signed for log {record.statement.log!r}")
        if seq == 0 and record.statement.kind == GENESIS:
            named = NoteVerifier.from_key_string(str(record.statement.body.get("log_key")))
            if named != self.log_key:
                raise MirrorError("entry 0: the genesis names another checkpoint key")
        return record

    # --- writing ---------------------------------------------------------------------------

    def _prepare(
        self,
        head: Head,
        leaves: list[bytes],
        hashes: list[bytes],
        ring: KeyRing,
        verify: VerifyLater,
    ) -> _Batch:
        """Check a batch's records against ``head`` and start verifying their signatures.

        ``head`` is where the batch goes (the previous batch need not be written yet);
        signatures are verified on worker processes (threads for a short batch) while the
        caller fetches and prepares the next batch, and :meth:`_write` waits for them.
        """
        prev, last_time = head.last_hash, head.last_log_time
        rows: list[EntryRow] = []
        checks, changes = [], []
        tree = CompactRange.from_bytes(head.size, head.border)
        nodes: list[NodeRow] = []
        sha256 = hashlib.sha256
        for seq, (leaf, h) in enumerate(zip(leaves, hashes, strict=True), head.size):
            record = self._check_record(seq, prev, leaf)
            statement = record.statement
            if seq > 0 and record.log_time < last_time:
                raise MirrorError(f"entry {seq}: log time {record.log_time} runs backwards")
            try:
                signer = ring.signer(seq, statement)
                previous_root = ring.root_key_id
                changed = ring.apply(seq, statement)
            except LedgerError as e:
                raise MirrorError(f"entry {seq}: {e}") from e
            signed = statement.signing_bytes()
            checks.append((signer.public_key, record.signed.signature, signed))
            if changed is not None:
                changes.append((seq, statement.kind, changed, previous_root))
            rows.append(
                (
                    seq,
                    leaf,
                    sha256(signed).digest(),
                    statement.kind,
                    statement.key_id,
                    record.log_time,
                )
            )
            nodes.extend((node_id(key), value) for key, value in tree.append(h))
            # h is this leaf's hash: TiledTree.entries checked every entry against it.
            prev, last_time = h, record.log_time
        after = replace(
            head, size=tree.size, last_hash=prev, last_log_time=last_time, border=tree.to_bytes()
        )
        return _Batch(head, after, rows, nodes, changes, verify(checks))

    def _write(self, batch: _Batch) -> Head:
        """Write a prepared batch once its signatures verified; return the new head."""
        bad = batch.verdict()
        if bad is not None:
            raise MirrorError(f"entry {batch.before.size + bad}: the signature does not verify")
        with self.store.write() as (conn, now):
            if now.size != batch.before.size:
                raise MirrorError(f"another process moved the mirror to {now.size}; sync again")
            self.store.insert_entry_rows(conn, batch.rows)
            self.store.insert_node_rows(conn, batch.nodes)
            for seq, kind, info, previous_root in batch.changes:
                self._write_key(conn, seq, kind, info, previous_root)
            after = batch.after
            self.store.update_head(
                conn,
                size=after.size,
                last_hash=after.last_hash,
                last_log_time=after.last_log_time,
                border=after.border,
            )
        for path in [p for p in self._tiles if p.startswith("tile/entries/")]:
            del self._tiles[path]  # written: never needed again
        return after

    def _write_key(
        self, conn: Connection, seq: int, kind: str, info: KeyInfo, previous_root: str | None
    ) -> None:
        # The key table as the log's own appender writes it (an index; decisions replay).
        if kind == KEY_REVOKE:
            self.store.revoke_key(conn, info.key_id, seq)
            return
        if kind == ROOT_ROTATE and previous_root is not None:
            self.store.revoke_key(conn, previous_root, seq + 1)
        self.store.insert_key(
            conn,
            key_id=info.key_id,
            public_key=info.public_key,
            actor=info.actor,
            roles=json.dumps(list(info.roles)),
            registered_seq=max(info.registered_seq, 0),
            revoked_seq=None,
        )

    def _store_checkpoint(self, checkpoint: Checkpoint, note: bytes) -> None:
        # False when a checkpoint of that size is stored already (an earlier sync's): fine.
        signed_at = format_time(datetime.now(UTC))
        self.store.insert_checkpoint(
            checkpoint.size, checkpoint.root_hash, note.decode(), signed_at
        )


def _deterministic(leaf: bytes) -> Any:
    """Return what ``leaf`` parses to if it is exactly orjson's sorted-key serialization of it.

    Then it has no duplicate member, no insignificant whitespace and one escape form: no
    two parsers can read it differently, which is what the projection replaying it needs,
    and the value is what ``json.loads`` would return (so the record is built from it,
    without a second parse). It is 30 times cheaper than re-encoding with RFC 8785; a leaf
    it does not vouch for (None: e.g. a number orjson writes otherwise) gets the full
    canonical check.
    """
    try:
        value = orjson.loads(leaf)
    except orjson.JSONDecodeError:
        return None
    return value if orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == leaf else None
