"""The tamper-evident log: signed statements, hash-chained records, Merkle proofs, checkpoints.

The ledger knows nothing about produce. Everything it stores is a statement (kind, body,
signer key id, the signer's time) signed with Ed25519, wrapped by the log in a record
(sequence number, previous record's hash, log time) whose canonical bytes are both the hash
chain's link and the RFC 6962 Merkle tree's leaf.
"""

from ledger._checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger._cosignature import CosignatureVerifier, Cosigner, verify_cosignature
from ledger._errors import (
    AppendConflictError,
    CheckpointConflictError,
    EncodingError,
    KeyStateError,
    LedgerError,
    NoteError,
    ProofError,
    SignatureError,
    StatementError,
    StoreError,
)
from ledger._note import (
    Note,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    open_note,
    parse_note,
    sign_note,
)

__all__ = [
    "AppendConflictError",
    "Checkpoint",
    "CheckpointConflictError",
    "CosignatureVerifier",
    "Cosigner",
    "EncodingError",
    "KeyStateError",
    "LedgerError",
    "Note",
    "NoteError",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "ProofError",
    "SignatureError",
    "StatementError",
    "StoreError",
    "open_checkpoint",
    "open_note",
    "parse_note",
    "sign_checkpoint",
    "sign_note",
    "verify_cosignature",
]
