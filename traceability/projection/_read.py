"""The one read API of the domain: :class:`Projection` answers from the ``trace_*`` tables.

The recorder writes the projection in the transaction that appends each entry; everything
that reads it (the app's pages and API, the command line, the demo, the exports) asks a
:class:`Projection` and gets frozen views back (:class:`LotState`, :class:`LotSummary`,
:class:`BackTrace` ...; an export, the frozen rows of an :class:`ExportSnapshot`), never
connections.

Reads answer from the projection as it stands. Entries appended around this process (by
another worker, or through ``POST /api/v1/statements``) are applied by
:meth:`Projection.catch_up`: call it first when the answer must include them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from ledger import Ledger
from traceability._errors import LifecycleError, UnknownError, ValidationError
from traceability._once import StoredKey
from traceability.events._ids import lot_key, parse_gtin, parse_lot
from traceability.projection import _dashboard, _lists
from traceability.projection import _schema as t
from traceability.projection._alerts import ALERT_SOURCES, Alert
from traceability.projection._certificates import CertificateCheck, certificate_check
from traceability.projection._complaints import (
    ComplaintCounts,
    ComplaintView,
    DecisionView,
    complaint_counts,
    complaint_view,
    complaint_views,
    decisions_on,
)
from traceability.projection._contacts import find_contact
from traceability.projection._dashboard import Monitoring
from traceability.projection._ddl import ensure_tables
from traceability.projection._export_reads import ExportSnapshot
from traceability.projection._gate import check_issue
from traceability.projection._lineage import (
    BackTrace,
    ForwardTrace,
    ancestors,
    shipment_lots,
    trace_back,
    trace_forward,
)
from traceability.projection._lineage_graph import LineageGraph, lineage_graph
from traceability.projection._lists import LotState, PlotInfo, ProductInfo
from traceability.projection._lookup import (
    CooperativeInfo,
    LotSummary,
    ResidueLine,
    cooperative_info,
    lot_summary,
    residue_lines,
)
from traceability.projection._member_reads import (
    IntakeView,
    StatusCounts,
    failed_lots,
    intakes,
    status_counts,
)
from traceability.projection._once import ensure_table, lookup
from traceability.projection._quality_reads import LotQuality, lot_quality
from traceability.projection._quarterly import (
    Quarter,
    QuarterlyEvaluation,
    parse_quarter,
    quarterly,
)
from traceability.projection._query import profile_for
from traceability.projection._replay import catch_up
from traceability.projection._sampling_reads import (
    LabInfo,
    OverdueSample,
    PlanInfo,
    SampleLine,
    lab_list,
    lot_samples,
    overdue_list,
    plan_list,
)
from traceability.projection._scans import suspicious_serials
from traceability.projection._status import LotPage, StatusFilter, lots_by_status
from traceability.rules._lifecycle import LotStatus
from traceability.rules._tables import GradeBand

__all__ = ["Projection"]

#: The largest entry number the projection's INTEGER columns hold (PostgreSQL's int4).
_MAX_STORED_SEQ = 2**31 - 1


def _newest(alert: Alert) -> tuple[int, str]:
    # Entries by position; an alert about no entry (a scan count) goes first, by its time.
    return (alert.seq if alert.seq is not None else 2**62, alert.time)


class Projection:
    """Read the domain's state of one ledger: lots, lineage, status lists, master data.

    Making one creates the ``trace_*`` tables when the database has none yet (a fresh
    ledger), so every question has an answer, empty or not, from the first entry on.

    Args:
        ledger: An open ledger; its database holds the projection.
        read_only: Never write: the tables are not created and :meth:`catch_up` applies
            nothing. For a database the reader cannot write (a PostgreSQL streaming
            replica), whose projection the primary writes in each append's transaction.
    """

    def __init__(self, ledger: Ledger, *, read_only: bool = False) -> None:
        self._ledger = ledger
        self.read_only = read_only
        if not read_only:
            ensure_tables(ledger.engine, t.metadata)
            ensure_table(ledger.engine)

    def catch_up(self) -> int:
        """Apply entries appended since the projection last saw the ledger; return how many.

        Takes no lock and writes nothing when the projection is current (the usual case).
        A read-only projection applies nothing (returns 0): entries appended around the
        recorder wait for the primary's next catch-up.
        """
        if self.read_only:
            return 0
        return catch_up(self._ledger)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        # One transaction per question, so a multi-query answer sees one state.
        with self._ledger.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def export_snapshot(self) -> Iterator[ExportSnapshot]:
        """One read transaction for an export: every row it reads comes from one state."""
        with self._read() as conn:
            yield ExportSnapshot(conn)

    # --- one lot -----------------------------------------------------------------------------

    def find(self, gtin: str, lot: str) -> LotState | None:
        """Return the lot ``gtin``/``lot``, or None when it is unknown.

        Raises:
            ValidationError: the GTIN or lot code is malformed (names ``gtin`` or ``lot``).
        """
        key = lot_key(parse_gtin(gtin, "gtin"), parse_lot(lot, "lot"))
        with self._read() as conn:
            return _lists.lot_state(conn, key)

    def lot(self, gtin: str, lot: str) -> LotState:
        """Return the lot ``gtin``/``lot``.

        Raises:
            ValidationError: malformed, or no such lot on this ledger (field ``lot``).
        """
        found = self.find(gtin, lot)
        if found is None:
            key = lot_key(parse_gtin(gtin, "gtin"), parse_lot(lot, "lot"))
            raise UnknownError("lot", "a lot recorded on this ledger", key)
        return found

    def resolve(
        self, lot: str, gtin: str | None = None, *, lot_field: str = "lot", gtin_field: str = "gtin"
    ) -> LotState:
        """Return the lot with code ``lot``, of ``gtin`` or of the one product that has it.

        Lot codes match exactly (GS1 AI 10 is case-sensitive). Errors name the caller's
        fields (``lot_field``, ``gtin_field``: ``--lot`` on the command line, say).

        Raises:
            ValidationError: malformed, or several products share the code and no ``gtin``
                was given.
            UnknownError: no such lot on this ledger.
        """
        code = parse_lot(lot, lot_field)
        if gtin is not None:
            key = lot_key(parse_gtin(gtin, gtin_field), code)
            with self._read() as conn:
                found = _lists.lot_state(conn, key)
            if found is None:
                raise UnknownError(lot_field, "a lot recorded on this ledger", key)
            return found
        candidates = self.lots(code=code)
        if not candidates:
            raise UnknownError(lot_field, "a lot recorded on this ledger", code)
        if len(candidates) > 1:
            choices = ", ".join(c.gtin for c in candidates)
            raise ValidationError(lot_field, f"{gtin_field} to choose between {choices}", code)
        return candidates[0]

    def check_label(self, gtin: str, lot: str, *, at: datetime | None = None) -> None:
        """Raise :class:`~traceability.LifecycleError` unless the lot may be labelled now.

        The same gate the ``trace.labels`` and ``trace.certificate`` entries pass (released,
        every input that gives the lot mass tested and passed, the cold chain complete): a
        page or a command that refuses here refuses exactly what recording would.

        Raises:
            ValidationError: malformed, or no such lot on this ledger.
        """
        state = self.lot(gtin, lot)
        with self._read() as conn:
            row = conn.execute(select(t.lots).where(t.lots.c.key == state.key)).one()
            check_issue(conn, row, at or datetime.now(UTC), "label")

    def certificate(self, gtin: str, lot: str, number: int) -> CertificateCheck:
        """Check certificate ``number`` (a ``trace.certificate`` entry) of lot ``gtin``/``lot``.

        ``valid`` only when that entry is a certificate issued for this lot (in the tables
        and in the signed entry) and the lot is still for sale; ``withdrawn`` when it was
        issued but the lot has since been held, recalled or used up; else ``invalid``.

        Raises:
            ValidationError: the GTIN or lot code is malformed.
        """
        key = lot_key(parse_gtin(gtin, "gtin"), parse_lot(lot, "lot"))
        with self._read() as conn:
            return certificate_check(conn, self._ledger, key, number)

    def summary(self, gtin: str, lot: str) -> LotSummary | None:
        """Return what a scan shows about a lot (facts and their entries), or None if unknown.

        Args:
            gtin: GTIN-14, as a parsed Digital Link gives it.
            lot: Lot code (AI 10).
        """
        with self._read() as conn:
            return lot_summary(conn, self._ledger, lot_key(gtin, lot))

    def results(self, gtin: str, lot: str) -> tuple[ResidueLine, ...]:
        """Return the residue verdicts recorded on the lot itself, each naming its rule entry.

        Raises:
            ValidationError: as :meth:`lot`.
        """
        state = self.lot(gtin, lot)
        with self._read() as conn:
            rows = conn.execute(
                select(t.results).where(t.results.c.lot == state.key).order_by(t.results.c.seq)
            )
            return residue_lines(rows)

    def quality(self, gtin: str, lot: str) -> LotQuality:
        """Return the lot's analyses by kind, quality readings, qualification and inputs.

        Raises:
            ValidationError: as :meth:`lot`.
        """
        state = self.lot(gtin, lot)
        with self._read() as conn:
            found = lot_quality(conn, state.key)
        assert found is not None  # the lot exists: self.lot found it
        return found

    def neighbours(self, state: LotState) -> tuple[list[LotState], list[LotState]]:
        """Return the lots ``state`` was made from and the lots made from it (one step)."""
        with self._read() as conn:
            return _lists.neighbours(conn, state.key)

    def shipment_in_transit(self, state: LotState) -> str | None:
        """Return the shipment carrying the lot that has not been received yet, if any."""
        with self._read() as conn:
            return _lists.shipment_in_transit(conn, state.key)

    # --- many lots ---------------------------------------------------------------------------

    def lots(
        self,
        *,
        statuses: tuple[LotStatus, ...] = (),
        code: str | None = None,
        limit: int = 200,
    ) -> list[LotState]:
        """Return lots newest first, or with ``code`` every lot of that code (by GTIN).

        Args:
            statuses: Only lots in one of these statuses (default: any).
            code: Only lots with this lot code (one per product that uses it).
            limit: The most lots to return.
        """
        with self._read() as conn:
            return _lists.lots(conn, statuses=statuses, code=code, limit=limit)

    def lots_needing_attention(self) -> list[LotState]:
        """Return every lot on hold, then every recalled lot still in stock (newest first).

        "Still in stock": not in any shipment and not graded or processed into other lots.
        Every such lot, however old: the staff home lists them above the recent lots.
        """
        with self._read() as conn:
            return _lists.lots_needing_attention(conn)

    def idempotency(self, scope: str, key: str) -> StoredKey | None:
        """Return ``scope``'s idempotency key ``key`` as stored, or None (unused or expired)."""
        return lookup(self._ledger.engine, scope, key)

    def entry_lots(self, seq: int) -> list[LotState]:
        """Return the lots ledger entry ``seq`` concerns, with their status now."""
        with self._read() as conn:
            return _lists.entry_lots(conn, seq)

    def flagged(self, status: StatusFilter, *, offset: int = 0, limit: int = 50) -> LotPage:
        """Return one page of held, recalled or non-compliant lots, with the rules behind them.

        Args:
            status: ``held`` (on hold now), ``recalled``, or ``non_compliant`` (a failing
                residue verdict here or upstream, or held now for a cold-chain excursion).
            offset: How many lots of the list to skip (requires ``offset >= 0``).
            limit: The most lots to return (requires ``limit >= 1``).
        """
        with self._read() as conn:
            return lots_by_status(conn, status, offset=offset, limit=limit)

    # --- lineage -----------------------------------------------------------------------------

    def trace_back(self, gtin: str, lot: str) -> BackTrace:
        """Trace a lot back to its harvest lots, plots, farms and growers (any depth)."""
        state = self.lot(gtin, lot)
        with self._read() as conn:
            return trace_back(conn, [state.key])

    def trace_forward(self, gtin: str, lot: str) -> ForwardTrace:
        """Trace a lot forward to every derived lot, shipment and receiver (any depth)."""
        state = self.lot(gtin, lot)
        with self._read() as conn:
            return trace_forward(conn, [state.key])

    def trace_shipment_back(self, shipment: str) -> BackTrace:
        """Trace every lot of a shipment back to its farms and growers.

        Raises:
            ValidationError: no such shipment on this ledger (field ``shipment``).
        """
        with self._read() as conn:
            keys = shipment_lots(conn, shipment)
            if not keys:
                raise UnknownError("shipment", "a shipment recorded on this ledger", shipment)
            return trace_back(conn, keys)

    def graph(self, state: LotState | None = None, *, shipment: str | None = None) -> LineageGraph:
        """Return the lineage of a lot, or of a shipment's lots (the shipment as the focus)."""
        with self._read() as conn:
            if state is not None:
                return lineage_graph(conn, [state.key])
            return lineage_graph(conn, shipment=shipment)

    # --- across logs (an alliance's members) --------------------------------------------------

    def status_counts(self) -> StatusCounts:
        """Count lots per status, and those with a failing residue verdict."""
        with self._read() as conn:
            return status_counts(conn)

    def failed_lots(self, *, limit: int = 200) -> list[LotState]:
        """Lots with a failing residue verdict on them or upstream (any status), newest first."""
        with self._read() as conn:
            return failed_lots(conn, limit)

    def intakes(self) -> list[IntakeView]:
        """Every lot taken in from another member's log (``trace.intake``), in entry order."""
        with self._read() as conn:
            return intakes(conn)

    # --- master data -------------------------------------------------------------------------

    def products(self) -> list[ProductInfo]:
        """Return every registered product, by GTIN."""
        with self._read() as conn:
            return _lists.products(conn)

    def grade_bands(self, commodity: str) -> tuple[GradeBand, ...]:
        """Return the size bands of ``commodity``'s current profile, smallest first.

        Empty when no profile for it is on the ledger (the grading itself is then refused
        with ``profile-required``).
        """
        with self._read() as conn:
            try:
                _, profile = profile_for(conn, commodity)
            except LifecycleError:
                return ()
        return tuple(sorted(profile.grades, key=lambda g: (g.low is not None, g.low or 0)))

    def plots(self) -> list[PlotInfo]:
        """Return every plot with its farm and grower, by plot."""
        with self._read() as conn:
            return _lists.plots(conn)

    def cooperative(self) -> CooperativeInfo | None:
        """Return the cooperative's master data, or None when no entry names it yet."""
        with self._read() as conn:
            return cooperative_info(conn)

    def company_prefixes(self) -> tuple[str, ...]:
        """Return the GS1 company prefixes the cooperative declared, sorted; () when none."""
        with self._read() as conn:
            rows = conn.execute(select(t.company_prefixes.c.prefix))
            return tuple(sorted(prefix for (prefix,) in rows))

    # --- sampling (issue 14; docs/adr/0020) --------------------------------------------------

    def overdue_samples(self, at: datetime | None = None) -> list[OverdueSample]:
        """Return the sampling plans overdue at ``at`` (default now): the alert rows.

        One row per plan whose next third-party sample was due before ``at`` and not taken
        by then, longest overdue first. The release gate judges with the same rule, so every
        lot a listed plan covers is refused release at ``at`` (``sampling-plan-overdue``).
        The cooperative's and the regulator's pages list these rows; an alert feed polls it.
        """
        when = at or datetime.now(UTC)
        with self._read() as conn:
            return overdue_list(conn, when)

    def sampling_plans(self, at: datetime | None = None) -> list[PlanInfo]:
        """Return every sampling plan with its next due time as of ``at`` (default now)."""
        with self._read() as conn:
            return plan_list(conn, at or datetime.now(UTC))

    def samples(self, gtin: str, lot: str) -> list[SampleLine]:
        """Return the samples taken of a lot (by a lab or the regulator), oldest first.

        Raises:
            ValidationError: as :meth:`lot`.
        """
        state = self.lot(gtin, lot)
        with self._read() as conn:
            return lot_samples(conn, state.key)

    def labs(self) -> list[LabInfo]:
        """Return every enrolled lab key, with the regulator's approval if given."""
        with self._read() as conn:
            return lab_list(conn)

    # --- monitoring --------------------------------------------------------------------------

    def applied_size(self) -> int:
        """How many ledger entries the projection has applied (its answers' position)."""
        with self._read() as conn:
            return _dashboard.applied_size(conn)

    def monitoring(self, *, upto: int | None = None, at: datetime | None = None) -> Monitoring:
        """Return a dashboard's figures: holds, failures, excursions, loss, trends, scans.

        Args:
            upto: Count only entries before this position (default: all applied).
            at: "Now" for the overdue sampling plans (default: the current time).
        """
        with self._read() as conn:
            size = _dashboard.applied_size(conn)
            found = _dashboard.monitoring(conn, size if upto is None else min(upto, size))
        suspicious = tuple(
            (gtin, serial, count.count)
            for gtin, serial, count in suspicious_serials(self._ledger.engine)[:20]
        )
        return replace(
            found,
            suspicious=suspicious,
            overdue_samples=len(self.overdue_samples(at or datetime.now(UTC))),
            complaints=self.complaint_counts().open,
        )

    def quarterly(self, quarter: str | Quarter, *, upto: int | None = None) -> QuarterlyEvaluation:
        """Return the quarterly evaluation of the ledger's cooperative at position ``upto``.

        Args:
            quarter: ``YYYY-Qn`` (e.g. ``2026-Q4``) or a parsed :class:`Quarter`.
            upto: Count only entries before this position, e.g. the size of the checkpoint
                the report names (default: all applied).

        Raises:
            ValidationError: a malformed quarter (field ``quarter``), or ``upto`` beyond
                what the projection has applied (field ``upto``).
        """
        wanted = parse_quarter(quarter) if isinstance(quarter, str) else quarter
        with self._read() as conn:
            size = _dashboard.applied_size(conn)
            if upto is not None and not 0 <= upto <= size:
                raise ValidationError("upto", f"a position from 0 to {size} (applied)", upto)
            return quarterly(conn, wanted, size if upto is None else upto)

    # --- complaints and decisions ----------------------------------------------------------

    def complaints(
        self,
        *,
        open_only: bool = False,
        gtin: str | None = None,
        lot: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> list[ComplaintView]:
        """Return complaints, newest first, with their decisions.

        Args:
            open_only: Only those still waiting for a decision (the regulator's queue).
            gtin: With ``lot``: only complaints about that lot.
            lot: The lot code (its GTIN may be left out when one product has it).
            offset: How many to skip (requires ``offset >= 0``).
            limit: The most to return (requires ``limit >= 1``).

        Raises:
            ValidationError: the lot is malformed or unknown.
        """
        keys = None if lot is None else [self.resolve(lot, gtin).key]
        with self._read() as conn:
            return complaint_views(conn, open_only=open_only, lots=keys, offset=offset, limit=limit)

    def complaint(self, seq: int) -> ComplaintView:
        """Return complaint entry ``seq`` with its decision.

        Raises:
            UnknownError: entry ``seq`` is no complaint (field ``complaint``).
        """
        if not 0 <= seq <= _MAX_STORED_SEQ:  # no such entry here (and no int4 overflow)
            raise UnknownError("complaint", "the entry of a trace.complaint", seq)
        with self._read() as conn:
            found = complaint_view(conn, seq)
        if found is None:
            raise UnknownError("complaint", "the entry of a trace.complaint", seq)
        return found

    def complaint_counts(self, gtin: str | None = None, lot: str | None = None) -> ComplaintCounts:
        """Count open and decided complaints: all, or about one lot (dashboards use it)."""
        keys = None if lot is None else [self.resolve(lot, gtin).key]
        with self._read() as conn:
            return complaint_counts(conn, keys)

    def decisions(self, gtin: str, lot: str) -> list[DecisionView]:
        """Return the regulator's decisions that apply to a lot: on it or a lot it came from.

        A recall decided on a harvest lot applies to every lot graded or processed from it.

        Raises:
            ValidationError: the lot is malformed or unknown.
        """
        state = self.lot(gtin, lot)
        with self._read() as conn:
            return decisions_on(conn, ancestors(conn, state.key))

    def contact(self, complaint: ComplaintView) -> str | None:
        """Return the contact left with ``complaint`` (personal data: regulators only).

        None when none was left, it was erased, or the stored row does not match the
        signed ``contact_sha256``.
        """
        if complaint.contact_sha256 is None:
            return None
        return find_contact(self._ledger.engine, complaint.contact_sha256)

    # --- alerts ------------------------------------------------------------------------------

    def alerts(
        self, *, since: int = 0, limit: int = 100, kinds: Collection[str] | None = None
    ) -> list[Alert]:
        """Return the newest alerts of every kind (or of ``kinds``), newest first.

        Args:
            since: Only alerts about entries after this one (alerts about no entry, such as
                a label scanned unusually often, are always included while they stand).
            limit: The most alerts to return (requires ``limit >= 1``).
            kinds: Alert kinds to include (keys of ``ALERT_SOURCES``); None: all.

        Raises:
            ValidationError: an unknown kind (field ``kind``).
        """
        wanted = list(ALERT_SOURCES) if kinds is None else list(kinds)
        for kind in wanted:
            if kind not in ALERT_SOURCES:
                raise ValidationError("kind", f"one of {sorted(ALERT_SOURCES)}", kind)
        # The projection's entry columns are 32-bit on PostgreSQL: a larger bound would not
        # fit the query's parameter (a 500), and no stored entry is past this one anyway.
        since = min(since, _MAX_STORED_SEQ)
        with self._read() as conn:
            found = [a for kind in wanted for a in ALERT_SOURCES[kind](conn, since, limit)]
        dated = [
            a if a.seq is None else dataclasses.replace(a, time=self._ledger.entry(a.seq).log_time)
            for a in sorted(found, key=_newest, reverse=True)[:limit]
        ]
        return sorted(dated, key=lambda a: a.time, reverse=True)
