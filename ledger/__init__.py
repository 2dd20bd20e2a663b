"""The tamper-evident log: signed statements, hash-chained records, Merkle proofs, checkpoints.

The ledger knows nothing about produce. Everything it stores is a statement (kind, body,
signer key id, the signer's time) signed with Ed25519, wrapped by the log in a record
(sequence number, previous record's hash, log time) whose canonical bytes are both the hash
chain's link and the RFC 6962 Merkle tree's leaf.
"""

from ledger._append import Appender
from ledger._append import PreparedBatch as PreparedBatch
from ledger._audit import AuditFailure, AuditReport
from ledger._audit import audit as audit
from ledger._audit_state import Drift
from ledger._canonical import canonical_bytes as canonical_bytes
from ledger._checkpoint import Checkpoint, open_checkpoint
from ledger._checkpoint import sign_checkpoint as sign_checkpoint
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
from ledger._http_fetch import http_fetch
from ledger._keyfile import KeyFolder
from ledger._keys import (
    KEY_REGISTER,
    KEY_REVOKE,
    ROOT_ROTATE,
    KeyInfo,
    KeyRing,
    register_body,
    revoke_body,
    rotate_root_body,
)
from ledger._log import Ledger, LogHead, Receipt
from ledger._merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger._merkle import root_from_inclusion_proof as root_from_inclusion_proof
from ledger._mirror import ForkError, Mirror, MirrorError, MirrorNetworkError, MirrorProgress
from ledger._note import Note as Note
from ledger._note import NoteSignature as NoteSignature
from ledger._note import NoteSigner, NoteVerifier, parse_note
from ledger._note import open_note as open_note
from ledger._note import sign_note as sign_note
from ledger._record import Record
from ledger._statement import MAX_BODY_BYTES as MAX_BODY_BYTES
from ledger._statement import SignedStatement, Statement, format_time, key_id_for, sign_statement
from ledger._statement import parse_time as parse_time
from ledger._store import begin_write, database_url
from ledger._tile_export import TilesExport, export_tiles
from ledger._tile_reader import TiledTree
from ledger._tile_store import TileNotFoundError, TileSource
from ledger._tiles import TileId, parse_tile_path, tiles_for_size
from ledger._witness import witness_checkpoint
from ledger._witness_client import WitnessClientError, request_cosignature
from ledger._witness_protocol import (
    AddCheckpoint,
    CheckpointCheck,
    LogWitness,
    UnknownLogError,
    UntrustedLogError,
    WitnessCheckError,
    WitnessConflictError,
    WitnessError,
    WitnessProofError,
    WitnessRequestError,
    WitnessUnavailableError,
)
from ledger._witness_state import WitnessStateFile

# What other packages build on. The names imported ``as`` themselves above (note signing,
# canonical bytes, the module-level ``audit(store)`` kept for callers not yet on
# ``Ledger.audit``) stay importable from here but are not part of the pinned surface.
__all__ = [
    "KEY_REGISTER",
    "KEY_REVOKE",
    "ROOT_ROTATE",
    "AddCheckpoint",
    "AppendConflictError",
    "Appender",
    "AuditFailure",
    "AuditReport",
    "Checkpoint",
    "CheckpointCheck",
    "CheckpointConflictError",
    "CosignatureVerifier",
    "Cosigner",
    "Drift",
    "EncodingError",
    "ForkError",
    "KeyFolder",
    "KeyInfo",
    "KeyRing",
    "KeyStateError",
    "Ledger",
    "LedgerError",
    "LogHead",
    "LogWitness",
    "Mirror",
    "MirrorError",
    "MirrorNetworkError",
    "MirrorProgress",
    "NoteError",
    "NoteSigner",
    "NoteVerifier",
    "ProofError",
    "Receipt",
    "Record",
    "SignatureError",
    "SignedStatement",
    "Statement",
    "StatementError",
    "StoreError",
    "TileId",
    "TileNotFoundError",
    "TileSource",
    "TiledTree",
    "TilesExport",
    "UnknownLogError",
    "UntrustedLogError",
    "WitnessCheckError",
    "WitnessClientError",
    "WitnessConflictError",
    "WitnessError",
    "WitnessProofError",
    "WitnessRequestError",
    "WitnessStateFile",
    "WitnessUnavailableError",
    "begin_write",
    "database_url",
    "export_tiles",
    "format_time",
    "http_fetch",
    "key_id_for",
    "leaf_hash",
    "open_checkpoint",
    "parse_note",
    "parse_tile_path",
    "register_body",
    "request_cosignature",
    "revoke_body",
    "rotate_root_body",
    "sign_statement",
    "tiles_for_size",
    "verify_consistency",
    "verify_cosignature",
    "verify_inclusion",
    "witness_checkpoint",
]
