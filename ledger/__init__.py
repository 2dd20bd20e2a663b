"""The tamper-evident log: signed statements, hash-chained records, Merkle proofs, checkpoints.

The ledger knows nothing about produce. Everything it stores is a statement (kind, body,
signer key id, the signer's time) signed with Ed25519, wrapped by the log in a record
(sequence number, previous record's hash, log time) whose canonical bytes are both the hash
chain's link and the RFC 6962 Merkle tree's leaf.
"""

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

__all__ = [
    "AppendConflictError",
    "CheckpointConflictError",
    "EncodingError",
    "KeyStateError",
    "LedgerError",
    "NoteError",
    "ProofError",
    "SignatureError",
    "StatementError",
    "StoreError",
]
