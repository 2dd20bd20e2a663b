"""The ``ledger_checkpoint`` and ``ledger_cosignature`` rows: what the log has published.

The latest published checkpoint is the stored one of the greatest size, read from this table
itself: the head row's ``checkpoint_size`` and ``checkpoint_time`` are bookkeeping that the
audit checks, never what decides whether a checkpoint is due.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, delete, func, select

from ledger._schema import checkpoints, cosignatures

__all__ = ["PublishedRows"]


class PublishedRows:
    """Checkpoint and cosignature queries of one log (mixed into ``Store``)."""

    log_id: int

    def checkpoint_rows(self, conn: Connection) -> list[Any]:
        """Return every stored checkpoint, smallest size first."""
        query = (
            select(checkpoints)
            .where(checkpoints.c.log_id == self.log_id)
            .order_by(checkpoints.c.size)
        )
        return list(conn.execute(query).all())

    def checkpoint_row(self, conn: Connection, size: int) -> Any:
        """Return the stored checkpoint of ``size`` or None."""
        query = select(checkpoints).where(
            checkpoints.c.log_id == self.log_id, checkpoints.c.size == size
        )
        return conn.execute(query).first()

    def latest_checkpoint_row(self, conn: Connection) -> Any:
        """Return the stored checkpoint of the greatest size, or None before the first."""
        query = (
            select(checkpoints)
            .where(checkpoints.c.log_id == self.log_id)
            .order_by(checkpoints.c.size.desc())
            .limit(1)
        )
        return conn.execute(query).first()

    def latest_checkpoint_size(self) -> Any:
        """A scalar subquery: the greatest stored checkpoint size (0 before the first)."""
        return (
            select(func.coalesce(func.max(checkpoints.c.size), 0))
            .where(checkpoints.c.log_id == self.log_id)
            .scalar_subquery()
        )

    def latest_checkpoint_signed_at(self) -> Any:
        """A scalar subquery: when the latest stored checkpoint was signed (NULL before)."""
        return (
            select(checkpoints.c.signed_at)
            .where(checkpoints.c.log_id == self.log_id)
            .order_by(checkpoints.c.size.desc())
            .limit(1)
            .scalar_subquery()
        )

    def put_cosignature(
        self, conn: Connection, size: int, witness: str, line: str, timestamp: int
    ) -> None:
        """Store a witness's cosignature of checkpoint ``size``, replacing its older one."""
        conn.execute(
            delete(cosignatures).where(
                cosignatures.c.log_id == self.log_id,
                cosignatures.c.size == size,
                cosignatures.c.witness == witness,
            )
        )
        conn.execute(
            cosignatures.insert().values(
                log_id=self.log_id, size=size, witness=witness, line=line, timestamp=timestamp
            )
        )

    def cosigned_size(self, conn: Connection, witness: str) -> int | None:
        """Return the largest checkpoint size ``witness`` cosigned for this log, or None."""
        query = select(func.max(cosignatures.c.size)).where(
            cosignatures.c.log_id == self.log_id, cosignatures.c.witness == witness
        )
        size = conn.execute(query).scalar_one()
        return None if size is None else int(size)

    def cosignature_lines(self, conn: Connection, size: int) -> list[str]:
        """Return the cosignature lines stored for checkpoint ``size``, by witness name."""
        query = (
            select(cosignatures.c.line)
            .where(cosignatures.c.log_id == self.log_id, cosignatures.c.size == size)
            .order_by(cosignatures.c.witness)
        )
        return [str(line) for line in conn.execute(query).scalars()]

    def cosignature_rows(self, conn: Connection) -> Iterator[Any]:
        """Yield every stored cosignature row ``(size, witness, line)``."""
        query = select(cosignatures.c.size, cosignatures.c.witness, cosignatures.c.line).where(
            cosignatures.c.log_id == self.log_id
        )
        yield from conn.execute(query)
