"""A static ``tlog-tiles`` export of the log: files any web server, object store or CDN can host.

``export_tiles`` writes the tiles of the latest checkpoint's tree and then the checkpoint.
It is incremental: a tile file already present is not rewritten (full tiles are immutable,
and a partial tile's content is fixed by its width), so a re-run after appends writes only
the new tiles. Order matters for a host serving the folder while it is written: every file
is written to a temporary name and renamed into place, and the checkpoint goes last, so a
client never sees a checkpoint whose tiles are missing or half written.

A folder that already holds a checkpoint must hold one of *this* history: same origin, not
larger, and its root equal to the ledger's root at its size. Otherwise the export refuses,
rather than mixing tiles of two histories behind one checkpoint.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ledger._checkpoint import Checkpoint
from ledger._errors import CheckpointConflictError, NoteError, StoreError
from ledger._log import Ledger
from ledger._note import parse_note
from ledger._tile_store import TileSource
from ledger._tiles import tiles_for_size

__all__ = ["TilesExport", "export_tiles"]

CHECKPOINT_FILE = "checkpoint"


@dataclass(frozen=True)
class TilesExport:
    """What an export did.

    Attributes:
        size: The tree size of the checkpoint written.
        written: Tile and bundle files written by this run.
        kept: Tile and bundle files already present and left alone.
    """

    size: int
    written: int
    kept: int


def export_tiles(ledger: Ledger, directory: Path) -> TilesExport:
    """Write the checkpoint, hash tiles and entry bundles of the log's latest checkpoint.

    Raises:
        StoreError: the log has no checkpoint yet, or the store lacks rows it should hold.
        CheckpointConflictError: the folder holds a checkpoint of another log or history.
        EncodingError: an entry is too long for an entry bundle (64 KiB).
    """
    note = ledger.cosigned_checkpoint()
    if note is None:
        raise StoreError("the log has no checkpoint yet: nothing to export")
    checkpoint = Checkpoint.parse(parse_note(note.encode()).text)
    directory.mkdir(parents=True, exist_ok=True)
    _check_previous(ledger, directory / CHECKPOINT_FILE, checkpoint)
    source = TileSource(ledger.store)
    written = kept = 0
    with ledger.store.read() as conn:
        for tile in tiles_for_size(checkpoint.size):
            target = directory / tile.path()
            if target.exists():
                kept += 1
                continue
            _write_atomic(target, source.read(conn, tile, checkpoint.size))
            written += 1
    _write_atomic(directory / CHECKPOINT_FILE, note.encode())
    return TilesExport(checkpoint.size, written, kept)


def _check_previous(ledger: Ledger, path: Path, new: Checkpoint) -> None:
    if not path.exists():
        return
    try:
        old = Checkpoint.parse(parse_note(path.read_bytes()).text)
    except NoteError as e:
        raise CheckpointConflictError(f"{path} is not a checkpoint note: {e}") from e
    if old.origin != new.origin:
        raise CheckpointConflictError(
            f"{path} is a checkpoint of {old.origin!r}, not of {new.origin!r}: "
            "export each log to its own folder"
        )
    if old.size > new.size:
        raise CheckpointConflictError(
            f"{path} is of size {old.size}, larger than the log's checkpoint of {new.size}"
        )
    root = ledger.root(old.size)
    if root != old.root_hash:
        raise CheckpointConflictError(
            f"{path} (size {old.size}) has root {old.root_hash.hex()}, the log has "
            f"{root.hex()} at that size: the folder holds another history"
        )


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a web server must be able to read it
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
