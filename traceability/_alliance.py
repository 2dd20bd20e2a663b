"""An alliance (or a county platform) reading its members' logs side by side.

Each member cooperative keeps its own log and projection, in a database of its own; nothing
joins them. :class:`Alliance` asks each member's :class:`~traceability.Projection` and
:class:`~ledger.Ledger` the same question and puts the answers together, each row naming
its member: lots and their counts, the dashboards' figures per member and summed, an audit
of each member (the ledger audit and the projection drift check), and the links between
logs where one member took in a lot another shipped (``trace.intake``), each verified
against the source log (:mod:`traceability._alliance_links`). Tracing across logs is in
:mod:`traceability._alliance_trace`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledger import Ledger, LedgerError
from traceability._alliance_links import LinkCheck, LinkChecker
from traceability._alliance_sums import AllianceMonitoring, sum_monitoring
from traceability._errors import UnknownError, ValidationError
from traceability.events._ids import lot_key
from traceability.events._intake import Intake
from traceability.projection._check import check_projection, projection_exists
from traceability.projection._lists import LotState
from traceability.projection._member_reads import IntakeView, StatusCounts
from traceability.projection._read import Projection
from traceability.rules._lifecycle import LotStatus

__all__ = ["Alliance", "AllianceMember", "MemberAudit", "MemberCounts", "MemberLot"]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
#: The status filters of :meth:`Alliance.lots`: a lot status, or ``failed`` (a failing
#: residue verdict on the lot or upstream, whatever its status).
LOT_FILTERS = (*(s.value for s in LotStatus), "failed")


@dataclass(frozen=True)
class AllianceMember:
    """One member cooperative (or the alliance's packing centre): its log and projection.

    Attributes:
        slug: a short name for pages and URLs (lowercase letters, digits, ``-``).
        ledger: the member's open log.
        projection: the read API over that log's projection.
    """

    slug: str
    ledger: Ledger
    projection: Projection

    def __post_init__(self) -> None:
        if not isinstance(self.slug, str) or not _SLUG.fullmatch(self.slug):
            raise ValidationError("slug", "1-40 lowercase letters, digits or '-'", self.slug)


@dataclass(frozen=True)
class MemberLot:
    """A lot in one member's log."""

    member: str
    state: LotState


@dataclass(frozen=True)
class MemberCounts:
    """A member's lots by status, and its log's size and name."""

    member: str
    origin: str
    entries: int
    name: str | None
    counts: StatusCounts


@dataclass(frozen=True)
class MemberAudit:
    """One member audited: its log (hashes, signatures, checkpoints), projection and links.

    Attributes:
        member: the member's slug.
        origin: its log's origin.
        entries: entries the ledger audit checked.
        ledger_verdict: ``valid`` or ``invalid`` (the ledger audit's verdict).
        ledger_failure: where and why the log first fails, when invalid.
        anchored: whether the audit checked the log against a witness's cosignature.
        projection_verdict: ``clean``, ``drift`` or ``missing`` (no projection tables).
        drifts: projection fields that differ from a replay of the log (first ten shown).
        links: this member's intakes checked against their source logs.
    """

    member: str
    origin: str
    entries: int
    ledger_verdict: str
    ledger_failure: str | None
    anchored: bool
    projection_verdict: str
    drifts: tuple[str, ...]
    links: tuple[LinkCheck, ...]

    @property
    def verdict(self) -> str:
        """``valid`` only when the log is valid, the projection clean and no link broken."""
        sound = (
            self.ledger_verdict == "valid"
            and self.projection_verdict == "clean"
            and all(link.verdict != "broken" for link in self.links)
        )
        return "valid" if sound else "invalid"


class Alliance:
    """Many members' logs read together; every answer names the member it came from.

    Args:
        members: the members; slugs and log origins must be distinct.

    Raises:
        ValidationError: two members share a slug or a log origin.
    """

    def __init__(self, members: Sequence[AllianceMember]) -> None:
        slugs: set[str] = set()
        origins: set[str] = set()
        for i, member in enumerate(members):
            if member.slug in slugs:
                raise ValidationError(
                    f"members[{i}].slug", "a slug no other member has", member.slug
                )
            origin = member.ledger.origin
            if origin in origins:
                raise ValidationError(f"members[{i}]", "a log no other member has", origin)
            slugs.add(member.slug)
            origins.add(origin)
        self._members = tuple(members)
        self._by_slug = {m.slug: m for m in self._members}

    @property
    def members(self) -> tuple[AllianceMember, ...]:
        """The members, in the order given."""
        return self._members

    def member(self, slug: str) -> AllianceMember:
        """Return the member named ``slug``.

        Raises:
            UnknownError: no member has that slug (field ``member``).
        """
        found = self._by_slug.get(slug)
        if found is None:
            raise UnknownError("member", f"one of {sorted(self._by_slug)}", slug)
        return found

    def by_origin(self, origin: str) -> AllianceMember | None:
        """The member whose log has this origin, or None."""
        return next((m for m in self._members if m.ledger.origin == origin), None)

    # --- lots --------------------------------------------------------------------------------

    def counts(self) -> list[MemberCounts]:
        """Each member's lots by status (released, on hold, recalled, failed ...)."""
        out = []
        for m in self._members:
            m.projection.catch_up()
            info = m.projection.cooperative()
            name = None if info is None else info.name_zh
            out.append(
                MemberCounts(
                    m.slug, m.ledger.origin, m.ledger.size(), name, m.projection.status_counts()
                )
            )
        return out

    def lots(self, status: str | None = None, *, limit: int = 200) -> list[MemberLot]:
        """Lots across every member, newest first within each member, member by member.

        Args:
            status: a lot status (``released``, ``on_hold``, ``recalled`` ...) or ``failed``.
            limit: the most lots to return from each member.

        Raises:
            ValidationError: ``status`` is none of :data:`LOT_FILTERS` (field ``status``).
        """
        if status is not None and status not in LOT_FILTERS:
            raise ValidationError("status", f"one of {', '.join(LOT_FILTERS)}", status)
        out: list[MemberLot] = []
        for m in self._members:
            m.projection.catch_up()
            if status == "failed":
                found = m.projection.failed_lots(limit=limit)
            else:
                statuses = () if status is None else (LotStatus(status),)
                found = m.projection.lots(statuses=statuses, limit=limit)
            out.extend(MemberLot(m.slug, s) for s in found)
        return out

    def find(self, code: str, gtin: str | None = None) -> list[MemberLot]:
        """Every lot with lot code ``code`` (of GTIN ``gtin`` when given), in every member."""
        out = []
        for m in self._members:
            m.projection.catch_up()
            for state in m.projection.lots(code=code, limit=1000):
                if gtin is None or state.gtin == gtin:
                    out.append(MemberLot(m.slug, state))
        return out

    # --- dashboards and audits ---------------------------------------------------------------

    def monitoring(self) -> AllianceMonitoring:
        """Each member's dashboard figures (:meth:`Projection.monitoring`) and their sums."""
        found = []
        for m in self._members:
            m.projection.catch_up()
            found.append((m.slug, m.projection.monitoring()))
        return sum_monitoring(found)

    def audit(self) -> list[MemberAudit]:
        """Audit every member: its log, its projection against a replay, its cross-log links.

        Runs the whole ledger audit and a full projection check of each member: minutes for
        long logs (docs/performance.md), so pages run it on request, not on every view.
        """
        links = self.links()
        out = []
        for m in self._members:
            report = m.ledger.audit()
            failure = None
            if report.failure is not None:
                where = "log" if report.failure.seq is None else f"entry {report.failure.seq}"
                failure = f"{where}: {report.failure.reason}"
            verdict: str = "missing"
            drifts: tuple[str, ...] = ()
            if projection_exists(m.ledger):
                drift = check_projection(m.ledger)
                verdict, drifts = drift.verdict, tuple(d.describe() for d in drift.drifts[:10])
            out.append(
                MemberAudit(
                    m.slug,
                    m.ledger.origin,
                    report.entries,
                    report.verdict,
                    failure,
                    report.anchored,
                    verdict,
                    drifts,
                    tuple(link for link in links if link.member == m.slug),
                )
            )
        return out

    # --- links between logs ------------------------------------------------------------------

    def links(self) -> list[LinkCheck]:
        """Every ``trace.intake`` of every member, checked against its source log.

        The intake is read from the receiving member's own log entry, not its projection row
        (a cache anyone with database access could edit); a row that differs from its
        entry is reported as a broken link (``row-differs-from-entry``). Reads two entries
        per intake: a county's pages run it with the audit, not on every view.
        """
        return self.link_checker().all()

    def link_checker(self) -> LinkChecker:
        """A checker of this alliance's intakes, one at a time as a trace meets them."""
        rows = {}
        for m in self._members:
            m.projection.catch_up()
            rows[m.slug] = m.projection.intakes()
        members = [(m.slug, m.ledger.origin) for m in self._members]
        return LinkChecker(members, rows, self._stated, self._entry, self._lot)

    def _stated(self, slug: str, row: IntakeView) -> IntakeView | None:
        return _intake_entry(self.member(slug).ledger, row)

    def _entry(self, slug: str, seq: int) -> tuple[str, Mapping[str, Any], str] | None:
        ledger = self.member(slug).ledger
        if seq >= ledger.size():
            return None
        record = ledger.entry(seq)
        return record.statement.kind, record.statement.body, record.leaf_hash().hex()

    def _lot(self, slug: str, gtin: str, lot: str) -> LotState | None:
        return self.member(slug).projection.find(gtin, lot)


def _intake_entry(ledger: Ledger, row: IntakeView) -> IntakeView | None:
    """The intake as entry ``row.seq`` states it (None when that entry is no intake)."""
    try:
        record = ledger.entry(row.seq)
        if record.statement.kind != Intake.KIND:
            return None
        e = Intake.from_body(record.statement.body)
    except (LedgerError, ValidationError):
        return None
    return IntakeView(
        seq=row.seq,
        lot=lot_key(e.lot.gtin, e.lot.lot),
        site=e.site,
        source_log=e.source_log,
        source_gtin=e.source_lot.gtin,
        source_lot=e.source_lot.lot,
        source_shipment=e.source_shipment,
        source_seq=e.source_seq,
        source_leaf=e.source_leaf,
        time=e.time.isoformat(),
    )
