r"""C2SP transparency log checkpoints (c2sp.org/tlog-checkpoint) as signed notes.

A checkpoint body is exactly ``<origin>\n<size>\n<base64 root>\n`` followed by optional
non-empty extension lines. This log's tree is RFC 6962 over SHA-256, so the root hash is
always 32 bytes. Pure code: strings and bytes in, a value or NoteError out.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from ledger._errors import NoteError
from ledger._note import Note, NoteSigner, NoteVerifier, open_note, sign_note
from ledger._note_format import b64decode_strict, check_text

__all__ = ["Checkpoint", "open_checkpoint", "sign_checkpoint"]

HASH_SIZE = 32  # SHA-256, the hash of this log's RFC 6962 tree
MAX_TREE_SIZE = 2**64 - 1  # sizes are uint64 in tlog-tiles and the Go parsers
# tlog-checkpoint "Note text" 2: ASCII decimal, no leading zeroes unless the tree is empty.
_SIZE = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed statement of its tree head: origin, tree size and root hash.

    Attributes:
        origin: The log's identity, the first line (non-empty, any non-control text).
        size: The number of leaves, 0 ≤ size < 2**64.
        root_hash: The 32-byte RFC 6962 root hash of the tree at ``size``.
        extensions: Optional extension lines, each non-empty, without newlines.
    """

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # tlog-checkpoint "Note text" 1: "The origin MUST be non-empty".
        if not self.origin or "\n" in self.origin:
            raise NoteError(f"checkpoint origin must be one non-empty line, got {self.origin!r}")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise NoteError(f"checkpoint size must be an int, got {type(self.size).__name__}")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise NoteError(f"expected checkpoint size in 0..2**64-1, got {self.size}")
        if len(self.root_hash) != HASH_SIZE:
            raise NoteError(f"expected {HASH_SIZE}-byte root hash, got {len(self.root_hash)}")
        for i, ext in enumerate(self.extensions, 4):
            # "Note text" 4: "Extension lines, if any, MUST be non-empty."
            if not ext or "\n" in ext:
                raise NoteError(f"checkpoint line {i}: extension must be one non-empty line")
        # The body must also be a valid note text (no control characters).
        check_text(self.body())

    def body(self) -> str:
        """Return the canonical note text: origin, size, base64 root, extension lines."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        return "".join(f"{line}\n" for line in (self.origin, self.size, root, *self.extensions))

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """Parse a checkpoint body (a note text), refusing anything non-canonical.

        Raises:
            NoteError: fewer than three lines, an empty origin, a size that is not a
                canonical decimal uint64, a root that is not base64 of 32 bytes, an empty
                extension line, or no final newline.
        """
        if not body.endswith("\n"):
            raise NoteError("checkpoint body must end in a newline")
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError(f"checkpoint needs origin, size and root lines, got {len(lines)}")
        origin, size_text, root_text, *extensions = lines
        if not _SIZE.fullmatch(size_text):
            raise NoteError(f"checkpoint size: expected decimal without sign, got {size_text!r}")
        # The length bound keeps int() linear; 2**64-1 has 20 digits.
        if len(size_text) > 20 or int(size_text) > MAX_TREE_SIZE:
            raise NoteError(f"checkpoint size {size_text} does not fit in uint64")
        root = b64decode_strict(root_text, "checkpoint root hash")
        return cls(origin, int(size_text), root, tuple(extensions))


def sign_checkpoint(cp: Checkpoint, signer: NoteSigner) -> str:
    """Return the checkpoint as a note signed by the log's key.

    Raises:
        NoteError: the signer cannot sign (see :func:`ledger._note.sign_note`).
    """
    return sign_note(cp.body(), [signer])


def open_checkpoint(message: bytes, origin: str, verifier: NoteVerifier) -> tuple[Checkpoint, Note]:
    """Verify a signed checkpoint from the log ``origin`` with the log's key.

    Returns the checkpoint and the note, whose other signature lines (cosignatures) are
    kept for :func:`ledger._cosignature.verify_cosignature`.

    Raises:
        NoteError: the note is malformed, the log's signature does not verify, the body is
            not a checkpoint, or it is from another origin.
    """
    note = open_note(message, [verifier])
    cp = Checkpoint.parse(note.text)
    # A valid signature by the right key on another log's checkpoint is still the wrong
    # statement (transparency-dev/formats ParseCheckpoint checks the origin too).
    if cp.origin != origin:
        raise NoteError(f"checkpoint origin: expected {origin!r}, got {cp.origin!r}")
    return cp, note
