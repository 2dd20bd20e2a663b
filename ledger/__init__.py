"""The tamper-evident log: signed statements, hash-chained records, Merkle proofs, checkpoints.

The ledger knows nothing about produce. Everything it stores is a statement (kind, body,
signer key id, the signer's time) signed with Ed25519, wrapped by the log in a record
(sequence number, previous record's hash, log time) whose canonical bytes are both the hash
chain's link and the RFC 6962 Merkle tree's leaf.
"""

from ledger._append import Appender, PreparedBatch
from ledger._audit import AuditFailure, AuditReport, audit
from ledger._canonical import canonical_bytes
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
from ledger._http_fetch import http_fetch
from ledger._keyfile import KeyFolder
from ledger._keys import KEY_REGISTER, KEY_REVOKE, KeyInfo, register_body, revoke_body
from ledger._log import Ledger, Receipt
from ledger._merkle import (
    leaf_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from ledger._mirror import ForkError, Mirror, MirrorError, MirrorNetworkError, MirrorProgress
from ledger._note import (
    Note,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    open_note,
    parse_note,
    sign_note,
)
from ledger._record import Record
from ledger._statement import (
    MAX_BODY_BYTES,
    SignedStatement,
    Statement,
    format_time,
    key_id_for,
    parse_time,
    sign_statement,
)
from ledger._store import database_url
from ledger._tile_export import TilesExport, export_tiles
from ledger._tile_reader import TiledTree
from ledger._tile_store import TileNotFoundError, TileSource
from ledger._tiles import TileId, parse_tile_path, tiles_for_size
from ledger._witness import witness_checkpoint
from ledger._witness_client import WitnessClientError, request_cosignature
from ledger._witness_protocol import (
    AddCheckpoint,
    LogWitness,
    UnknownLogError,
    UntrustedLogError,
    WitnessConflictError,
    WitnessError,
    WitnessProofError,
    WitnessRequestError,
)
from ledger._witness_state import WitnessStateFile

__all__ = [
    "KEY_REGISTER",
    "KEY_REVOKE",
    "MAX_BODY_BYTES",
    "AddCheckpoint",
    "AppendConflictError",
    "Appender",
    "AuditFailure",
    "AuditReport",
    "Checkpoint",
    "CheckpointConflictError",
    "CosignatureVerifier",
    "Cosigner",
    "EncodingError",
    "ForkError",
    "KeyFolder",
    "KeyInfo",
    "KeyStateError",
    "Ledger",
    "LedgerError",
    "LogWitness",
    "Mirror",
    "MirrorError",
    "MirrorNetworkError",
    "MirrorProgress",
    "Note",
    "NoteError",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "PreparedBatch",
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
    "WitnessClientError",
    "WitnessConflictError",
    "WitnessError",
    "WitnessProofError",
    "WitnessRequestError",
    "WitnessStateFile",
    "audit",
    "canonical_bytes",
    "database_url",
    "export_tiles",
    "format_time",
    "http_fetch",
    "key_id_for",
    "leaf_hash",
    "open_checkpoint",
    "open_note",
    "parse_note",
    "parse_tile_path",
    "parse_time",
    "register_body",
    "request_cosignature",
    "revoke_body",
    "root_from_inclusion_proof",
    "sign_checkpoint",
    "sign_note",
    "sign_statement",
    "tiles_for_size",
    "verify_consistency",
    "verify_cosignature",
    "verify_inclusion",
    "witness_checkpoint",
]
