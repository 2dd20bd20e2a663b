"""The ledger's tables (SQLAlchemy Core). Only :mod:`ledger._store` and the log touch them.

``ledger_entry.leaf`` holds each record's canonical bytes exactly as hashed; the other entry
columns are indexes derived from it, and the audit checks that they agree. ``ledger_node``
holds every perfect Merkle subtree hash so proofs never rehash the log. ``ledger_head`` is
the single row per log that appends lock (the serialisation point) and that checkpoint
publication compare-and-swaps.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = ["checkpoints", "cosignatures", "entries", "heads", "keys", "metadata", "nodes"]

metadata = MetaData()

heads = Table(
    "ledger_head",
    metadata,
    Column("log_id", Integer, primary_key=True, autoincrement=True),
    Column("origin", String(255), nullable=False, unique=True),
    Column("size", BigInteger, nullable=False),
    Column("last_hash", LargeBinary(32), nullable=False),
    Column("last_log_time", String(32), nullable=False),
    Column("border", LargeBinary, nullable=False),
    Column("checkpoint_size", BigInteger, nullable=False),
    Column("checkpoint_time", String(32), nullable=False),
)

entries = Table(
    "ledger_entry",
    metadata,
    Column("log_id", Integer, ForeignKey("ledger_head.log_id"), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("leaf", LargeBinary, nullable=False),
    Column("statement_hash", LargeBinary(32), nullable=False),
    Column("kind", String(160), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("log_time", String(32), nullable=False),
    # A retried append of the same signed statement (a patchy network) finds its receipt.
    UniqueConstraint("log_id", "statement_hash", name="uq_ledger_entry_statement"),
    Index("ix_ledger_entry_kind", "log_id", "kind", "seq"),
)

nodes = Table(
    "ledger_node",
    metadata,
    Column("log_id", Integer, ForeignKey("ledger_head.log_id"), primary_key=True),
    # (level << 48) | index: one integer key per perfect subtree, for one indexed IN lookup.
    Column("node", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

keys = Table(
    "ledger_key",
    metadata,
    Column("log_id", Integer, ForeignKey("ledger_head.log_id"), primary_key=True),
    Column("key_id", String(32), primary_key=True),
    Column("public_key", LargeBinary(32), nullable=False),
    Column("actor", String(255), nullable=False),
    Column("roles", Text, nullable=False),
    Column("registered_seq", BigInteger, nullable=False),
    Column("revoked_seq", BigInteger, nullable=True),
)

checkpoints = Table(
    "ledger_checkpoint",
    metadata,
    Column("log_id", Integer, ForeignKey("ledger_head.log_id"), primary_key=True),
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", String(32), nullable=False),
)

cosignatures = Table(
    "ledger_cosignature",
    metadata,
    Column("log_id", Integer, ForeignKey("ledger_head.log_id"), primary_key=True),
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("witness", String(255), primary_key=True),
    Column("line", Text, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
)
