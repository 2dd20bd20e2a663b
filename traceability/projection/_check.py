"""The domain drift check: replay the log into a scratch projection and compare, row by row.

The ``trace_*`` tables are a cache of the log, never a witness (DESIGN.md, "The trust
chain"). Anyone with write access to the database can change them, so this module rebuilds
them from the entries alone — keys and roles from the ``ledger.*`` entries too, never from the
``ledger_key`` table — into scratch tables in the same connection (SQLite's ``temp`` database,
PostgreSQL's ``pg_temp`` schema: nothing another session can see, gone when the connection
closes), and reports every row that differs: table, lot, field, the stored value, the value
the log gives, and the entries the row rests on.

:class:`ProjectionCheck` keeps its scratch projection between checks, so a server re-checks
cheaply after appends (:meth:`ProjectionCheck.run` with ``full=False``: new entries are
replayed, and only the rows of lots and shipments they touched are compared) and fully now
and then. The diff itself, :func:`diff_rows`, is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Index, Table, bindparam, except_, inspect, or_, select, union
from sqlalchemy.engine import Engine

from ledger import KeyInfo, KeyRing, Ledger, Record
from traceability.events._events import StatusMap
from traceability.projection import _schema as t
from traceability.projection._apply import apply_entry, parse_event
from traceability.projection._cold_chain import _PRECOOL as PRECOOL
from traceability.projection._cold_chain import _TRANSPORT as TRANSPORT
from traceability.projection._replay import _CHUNK, _Replay, set_applied_size

__all__ = [
    "Drift",
    "DriftReport",
    "MapFault",
    "ProjectionCheck",
    "check_projection",
    "diff_rows",
    "missing_tables",
    "projection_exists",
]

ABSENT = "(no row)"
#: A column holding NULL: the row is there, the value is not (never shown as a missing row).
EMPTY = "(empty)"

# Columns naming the lot or shipment a row belongs to: an incremental check compares only
# the rows whose subject new entries touched. Tables not listed are master data (a few
# hundred rows) and are compared whole every time.
_SUBJECTS: dict[str, tuple[str, ...]] = {
    t.lots.name: ("key",),
    t.results.name: ("lot",),
    t.readings.name: ("subject",),
    t.packed.name: ("lot",),
    t.shipment_lots.name: ("lot", "shipment"),
    t.event_lots.name: ("lot",),
    t.edges.name: ("parent", "child"),
    t.shipments.name: ("shipment",),
}
# Tables whose rows carry the entry that (re)wrote them in ``seq``: an incremental check
# compares the rows written since the last check (edits of older rows: the full check).
_NEW_ROWS = {
    table.name
    for table in t.metadata.sorted_tables
    if "seq" in table.c
    and table.name
    not in {
        t.lots.name,
        t.results.name,
        t.readings.name,
        t.packed.name,
        t.event_lots.name,
        t.edges.name,
        t.shipments.name,
    }
}
# What the incremental check's search for touched lots and shipments reads in the scratch
# copy: indexed there (the live tables are the projection's business).
_SCRATCH_INDEXES = (
    (t.lots.name, "status_seq"),
    (t.lots.name, "created_seq"),
    (t.shipments.name, "seq"),
    (t.shipments.name, "received_seq"),
    (t.edges.name, "seq"),
)
# The lot a row is about, for the report.
_LOT_COLUMN = {
    t.lots.name: "key",
    t.results.name: "lot",
    t.packed.name: "lot",
    t.shipment_lots.name: "lot",
    t.event_lots.name: "lot",
    t.edges.name: "child",
}
# trace_state is the projection's position, set equal on both sides before comparing.
_COMPARED = [table for table in t.metadata.sorted_tables if table is not t.state]
_IN_CHUNK = 500  # bound parameters per IN list (SQLite allows 32,766 in one statement)


@dataclass(frozen=True)
class Drift:
    """One field of one projection row that disagrees with a replay of the log.

    Attributes:
        table: the ``trace_*`` table.
        key: the row's primary key, ``column=value`` pairs.
        lot: the lot key the row is about, when it is about one.
        field: the column, or ``(row)`` when the row exists on one side only.
        stored: what the database holds (``(no row)`` for a missing row, ``(empty)`` for
            NULL).
        replayed: what the log gives (``(no row)`` for a row the log does not make,
            ``(empty)`` for NULL).
        entries: the ledger entries (sequence numbers) the row rests on, from either side.
    """

    table: str
    key: str
    lot: str | None
    field: str
    stored: str
    replayed: str
    entries: tuple[int, ...]

    def describe(self) -> str:
        """One line naming the row, the field, both values and the entries."""
        where = f"{self.table} {self.key}" + (f" (lot {self.lot})" if self.lot else "")
        entries = ", ".join(str(s) for s in self.entries) or "none"
        return (
            f"{where}: {self.field} stored {self.stored!r}, the log gives {self.replayed!r} "
            f"(entries {entries})"
        )


@dataclass(frozen=True)
class MapFault:
    """A ``trace.status_map`` entry whose root a replay of the log before it does not give.

    Attributes:
        seq: the entry's position.
        root: the root it states.
        reason: what the replay gives instead (or why the entry is no map of its prefix).
    """

    seq: int
    root: str
    reason: str

    def describe(self) -> str:
        """One line naming the entry, its root and what the replay gives."""
        where = f"trace.status_map entry {self.seq}"
        return f"{where}: root {self.root} does not reproduce: {self.reason}"


@dataclass(frozen=True)
class DriftReport:
    """The outcome of one check.

    Attributes:
        size: how many log entries the compared projection covers.
        drifts: every differing field, ordered by table and key.
        scope: ``full`` (every row) or ``incremental`` (rows touched since the last check).
        map_faults: lot-status map entries (among those replayed by this run, or all on a
            full run) whose root the replay does not reproduce. Not drift of the tables (a
            reindex cannot repair the log), but a false commitment the log holds.
    """

    size: int
    drifts: tuple[Drift, ...]
    scope: Literal["full", "incremental"]
    map_faults: tuple[MapFault, ...] = ()

    @property
    def verdict(self) -> Literal["clean", "drift"]:
        """``clean`` when the projection equals the replay, else ``drift``."""
        return "drift" if self.drifts else "clean"


def _text(value: Any) -> str:
    return EMPTY if value is None else str(value)


def _seqs(row: Mapping[str, Any] | None) -> set[int]:
    if row is None:
        return set()
    return {
        int(v)
        for name, v in row.items()
        if (name == "seq" or name.endswith("_seq")) and isinstance(v, int) and v >= 0
    }


def diff_rows(
    table: str,
    primary_key: Sequence[str],
    stored: Iterable[Mapping[str, Any]],
    replayed: Iterable[Mapping[str, Any]],
) -> list[Drift]:
    """Compare two sets of rows of ``table``, matched by ``primary_key``; return every drift.

    A row on one side only is one :class:`Drift` with field ``(row)``; a row on both sides
    gives one per differing column. Pure: rows in, drifts out.
    """
    mine = {tuple(r[c] for c in primary_key): r for r in stored}
    theirs = {tuple(r[c] for c in primary_key): r for r in replayed}
    lot_column = _LOT_COLUMN.get(table)
    drifts: list[Drift] = []
    for pk in sorted(mine.keys() | theirs.keys(), key=lambda k: tuple(map(str, k))):
        a, b = mine.get(pk), theirs.get(pk)
        either = b if b is not None else a
        assert either is not None  # the key came from one of them
        key = ", ".join(f"{c}={v}" for c, v in zip(primary_key, pk, strict=True))
        lot = None if lot_column is None or either[lot_column] is None else str(either[lot_column])
        if table == t.readings.name and either["kind"] == "cooling":
            lot = str(either["subject"])
        entries = tuple(sorted(_seqs(a) | _seqs(b)))
        if a is None or b is None:
            stored_text = ABSENT if a is None else "present"
            replayed_text = ABSENT if b is None else "present"
            drifts.append(Drift(table, key, lot, "(row)", stored_text, replayed_text, entries))
            continue
        for column in a:
            if a[column] != b[column]:
                drifts.append(
                    Drift(table, key, lot, column, _text(a[column]), _text(b[column]), entries)
                )
    return drifts


class _EntryReplay(_Replay):
    """The catch-up's replay with keys taken from the entries, not the ``ledger_key`` table.

    A faked revocation or an added role in the key table, then a ``reindex``, changes what the
    live projection holds; a replay trusting the same table would agree with it.
    """

    def __init__(self, ledger: Ledger, conn: Connection, ring: KeyRing) -> None:
        super().__init__(ledger, conn)
        self.ring = ring
        self._ring_next = 0

    def apply(self, record: Record) -> None:
        statement = record.statement
        if statement.kind.startswith("ledger."):
            # A chunk with a refused entry is replayed again entry by entry; the ring is not
            # rolled back with the savepoint, so a key entry is applied to it once only.
            if record.seq >= self._ring_next:
                self.ring.apply(record.seq, statement)
                self._ring_next = record.seq + 1
            return
        if not statement.kind.startswith("trace."):
            return
        info: KeyInfo | None = self.ring.keys.get(statement.key_id)
        roles = info.roles if info is not None and info.valid_at(record.seq) else ()
        actor = info.actor if info is not None else statement.key_id
        event = parse_event(statement.kind, statement.body)
        apply_entry(self.conn, record.seq, event, actor, roles, key_id=statement.key_id)


def _scratch_schema(engine: Engine) -> str:
    return "temp" if engine.dialect.name == "sqlite" else "pg_temp"


class ProjectionCheck:
    """A scratch projection kept in one connection, advanced and compared on each run.

    Args:
        ledger: the log whose projection is checked.

    Call :meth:`close` (or use ``with``) to drop the scratch tables and the connection.
    """

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._conn: Connection | None = None
        self._ring = KeyRing()
        self._size = 0
        self._live: dict[str, Table] = {}
        self._scratch: dict[str, Table] = {}

    def __enter__(self) -> ProjectionCheck:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Discard the connection, and with it the scratch tables.

        Never returned to the pool: its temporary tables shadow the live ones of the same
        name (SQLite searches ``temp`` first, PostgreSQL ``pg_temp``), so the next user of
        a pooled connection would read or drop the scratch copies instead.
        """
        if self._conn is not None:
            self._conn.invalidate()
            self._conn.close()
            self._conn = None

    def _open(self) -> Connection:
        engine = self.ledger.engine
        conn = engine.connect()
        scratch = _scratch_schema(engine)
        if engine.dialect.name == "sqlite":
            live = "main"
        else:
            # The schema the app's unqualified names resolve to, read before pg_temp exists
            # (pg_temp is searched first once it does).
            live = str(conn.exec_driver_sql("SELECT current_schema()").scalar_one())
            conn.rollback()
            # One snapshot for the live rows read and the position replayed to.
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        copies = t.metadata.__class__()
        for table in t.metadata.sorted_tables:
            self._live[table.name] = table.to_metadata(copies, schema=live)
        scratch_md = t.metadata.__class__()
        for table in t.metadata.sorted_tables:
            self._scratch[table.name] = table.to_metadata(scratch_md, schema=scratch)
        with conn.begin():
            scratch_md.create_all(conn)
            for name, column in _SCRATCH_INDEXES:
                table = self._scratch[name]
                Index(f"ix_check_{name}_{column}", table.c[column]).create(conn)
        # The handlers name tables without a schema: inside this connection they write the
        # scratch copies.
        conn.execution_options(schema_translate_map={None: scratch})
        self._conn = conn
        return conn

    def run(self, *, full: bool = True) -> DriftReport:
        """Replay new entries into the scratch projection and compare it with the live tables.

        Args:
            full: compare every row; otherwise only rows of lots and shipments the entries
                replayed by this run touched, and the master data (a first run is always
                full).
        """
        conn = self._conn
        first = conn is None
        if conn is None:
            conn = self._open()
        with conn.begin():
            # The live position, read first: it fixes the snapshot the live rows come from.
            stop = int(
                conn.execute(
                    select(self._live[t.state.name].c.applied_size).where(
                        self._live[t.state.name].c.id == 1
                    )
                ).scalar()
                or 0
            )
            start = self._size
            self._replay(conn, start, stop)
            subjects = None if full or first else self._touched(conn, start)
            drifts: list[Drift] = []
            since = None if subjects is None else start
            for table in _COMPARED:
                drifts.extend(self._compare(conn, table, subjects, since))
            faults = self._map_faults(conn, 0 if subjects is None else start)
        scope: Literal["full", "incremental"] = "full" if subjects is None else "incremental"
        return DriftReport(stop, tuple(drifts), scope, faults)

    def _map_faults(self, conn: Connection, since: int) -> tuple[MapFault, ...]:
        # The replay refused these entries (kept as anomalies in the scratch copy); a map
        # entry among them states a root its prefix does not give.
        anomalies = self._scratch[t.anomalies.name]
        rows = conn.execute(
            select(anomalies.c.seq, anomalies.c.error)
            .where(anomalies.c.seq >= since)
            .order_by(anomalies.c.seq)
        ).all()
        faults = []
        for row in rows:
            statement = self.ledger.entry(int(row.seq)).statement
            if statement.kind == StatusMap.KIND:
                root = str(statement.body.get("root"))
                faults.append(MapFault(int(row.seq), root, str(row.error)))
        return tuple(faults)

    def _replay(self, conn: Connection, start: int, stop: int) -> None:
        if stop < start:
            # The live projection went back (a reindex in progress, or an edit of
            # trace_state): start the scratch again from nothing.
            for table in reversed(t.metadata.sorted_tables):
                conn.execute(table.delete())
            self._ring, start = KeyRing(), 0
        replay = _EntryReplay(self.ledger, conn, self._ring)
        pending: list[Record] = []
        for record in self.ledger.entries(start, stop):
            pending.append(record)
            if len(pending) == _CHUNK:
                replay.chunk(pending)
                pending = []
        if pending:
            replay.chunk(pending)
        set_applied_size(conn, stop)
        self._size = stop

    def _touched(self, conn: Connection, since: int) -> set[str]:
        s = self._scratch
        lots, ships, edges = s[t.lots.name].c, s[t.shipments.name].c, s[t.edges.name].c
        query = union(
            select(s[t.event_lots.name].c.lot).where(s[t.event_lots.name].c.seq >= since),
            select(lots.key).where(or_(lots.status_seq >= since, lots.created_seq >= since)),
            select(ships.shipment).where(or_(ships.seq >= since, ships.received_seq >= since)),
            select(edges.parent).where(edges.seq >= since),
        )
        return {str(v) for v in conn.execute(query).scalars()}

    def _compare(
        self, conn: Connection, table: Table, subjects: set[str] | None, since: int | None
    ) -> list[Drift]:
        live, scratch = self._live[table.name], self._scratch[table.name]
        columns = [c.name for c in table.columns]
        pk = [c.name for c in table.primary_key.columns]
        subject_columns = _SUBJECTS.get(table.name) if subjects is not None else None
        batches: list[list[str] | None] = [None]
        if subject_columns is not None:
            assert subjects is not None
            ordered = sorted(subjects)
            batches = [ordered[i : i + _IN_CHUNK] for i in range(0, len(ordered), _IN_CHUNK)]
        drifts: list[Drift] = []
        for batch in batches:

            def rows(side: Table, batch: list[str] | None = batch) -> Any:
                query = select(*(side.c[c] for c in columns))
                if batch is not None and subject_columns is not None:
                    query = query.where(or_(*(side.c[c].in_(batch) for c in subject_columns)))
                    if table is t.readings:
                        # Lets the primary key (kind, subject, ...) serve the lookup.
                        query = query.where(side.c.kind.in_([PRECOOL, TRANSPORT]))
                elif since is not None and table.name in _NEW_ROWS:
                    query = query.where(side.c.seq >= since)
                return query

            # Let the database find the differing rows (most tables are equal), then fetch
            # those rows from both sides and name the fields.
            keys: set[tuple[Any, ...]] = set()
            for q in (except_(rows(live), rows(scratch)), except_(rows(scratch), rows(live))):
                differing = q.subquery()
                keys.update(tuple(r) for r in conn.execute(select(*(differing.c[c] for c in pk))))
            if not keys:
                continue
            stored, replayed = (
                self._fetch(conn, live, pk, keys),
                self._fetch(conn, scratch, pk, keys),
            )
            drifts.extend(diff_rows(table.name, pk, stored, replayed))
        return drifts

    @staticmethod
    def _fetch(
        conn: Connection, side: Table, pk: list[str], keys: set[tuple[Any, ...]]
    ) -> list[dict[str, Any]]:
        # Few rows differ; one lookup each keeps the query simple on both dialects.
        query = select(side).where(*(side.c[c] == bindparam(f"k_{c}") for c in pk))
        found = []
        for key in keys:
            params = {f"k_{c}": v for c, v in zip(pk, key, strict=True)}
            row = conn.execute(query, params).first()
            if row is not None:
                found.append(dict(row._mapping))
        return found


def check_projection(ledger: Ledger) -> DriftReport:
    """Replay the whole log into a scratch projection and compare every row with the live one.

    Returns:
        The report; ``verdict`` is ``drift`` when any row differs.
    """
    with ProjectionCheck(ledger) as check:
        return check.run(full=True)


def missing_tables(ledger: Ledger) -> list[str]:
    """The projection's tables the ledger's database lacks (all of them before any replay)."""
    with ledger.engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
    return [table.name for table in t.metadata.sorted_tables if table.name not in present]


def projection_exists(ledger: Ledger) -> bool:
    """Whether the ledger's database holds every projection table (a check can run)."""
    return not missing_tables(ledger)
