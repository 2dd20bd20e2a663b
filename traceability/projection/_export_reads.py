"""Reads the exports need from the projection: lots, master data, shipments, entries.

The export modules (EPCIS, FSMA 204) build documents; this module is the only place their
SQL lives, so the projection package stays the one reader and writer of the ``trace_*``
tables. An export asks :meth:`traceability.Projection.export_snapshot` for an
:class:`ExportSnapshot`: one read transaction (so a whole document sees one state of the
projection) whose methods return frozen rows, or ``None`` when the projection has no row.
The exports never hold the connection itself.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields

from sqlalchemy import Connection, select

from traceability._errors import LifecycleError
from traceability.projection import _schema as t
from traceability.projection._lineage import ancestors, descendants
from traceability.projection._query import profile_for
from traceability.rules._tables import Profile

__all__ = [
    "CooperativeRow",
    "ExportSnapshot",
    "FarmRow",
    "LabRow",
    "LotRow",
    "PlanRow",
    "ResultRow",
    "ShipmentRow",
    "SiteRow",
    "SourceRow",
]


@dataclass(frozen=True)
class LotRow:
    """A lot as the projection holds it, with its product's name."""

    key: str
    gtin: str
    lot: str
    commodity: str
    product_name: str
    origin_kind: str
    plot: str | None
    harvest_time: str | None
    grade: str | None
    quantity: str
    unit: str


@dataclass(frozen=True)
class FarmRow:
    """A farm's master data (``trace.farm``)."""

    farm: str
    grower: str
    village: str
    county: str
    phone: str | None


@dataclass(frozen=True)
class SiteRow:
    """A site's location description (``trace.site``)."""

    site: str
    business_name: str
    address: str
    phone: str | None
    gln: str | None


@dataclass(frozen=True)
class CooperativeRow:
    """The cooperative's master data (``trace.cooperative``)."""

    name_zh: str
    name_ug: str | None
    name_en: str | None
    address: str
    county: str
    phone: str | None
    gln: str | None
    seq: int  # the entry it comes from


@dataclass(frozen=True)
class ResultRow:
    """A residue verdict the projection derived for one substance of a test entry."""

    substance: str
    outcome: str
    limit: str | None
    rule_seq: int


@dataclass(frozen=True)
class ShipmentRow:
    """A shipment: where it left from and where it went."""

    shipment: str
    origin: str
    destination: str


@dataclass(frozen=True)
class SourceRow:
    """The approved lab behind a residue entry, its sample and who took the sample."""

    lab: str
    sample_id: str
    taken_by: str


@dataclass(frozen=True)
class LabRow:
    """An enrolled lab: id, name, accreditation, enrolment and approval entries."""

    lab: str
    name: str
    accreditation: str
    seq: int
    approved_seq: int | None


@dataclass(frozen=True)
class PlanRow:
    """A sampling plan as stored (``analyses`` a JSON list; times ISO 8601)."""

    plan: str
    gtin: str
    farm: str | None
    plot: str | None
    every_days: int
    analyses: str
    start: str
    ends: str | None
    seq: int


class ExportSnapshot:
    """What an export reads from the projection, in one read transaction.

    Made by :meth:`traceability.Projection.export_snapshot`, valid inside its ``with``
    block only. Every method returns frozen rows or plain values.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._profiles: dict[str, Profile | None] = {}  # by commodity, read once per export

    def lot(self, key: str) -> LotRow | None:
        """Return the lot with element-string ``key`` and its product name, or None."""
        query = (
            select(t.lots, t.products.c.name)
            .join(t.products, t.products.c.gtin == t.lots.c.gtin)
            .where(t.lots.c.key == key)
        )
        row = self._conn.execute(query).first()
        if row is None:
            return None
        columns = {f.name for f in fields(LotRow)} - {"product_name"}
        return LotRow(product_name=row.name, **{c: getattr(row, c) for c in columns})

    def farm_of_plot(self, plot: str) -> FarmRow | None:
        """Return the farm a plot belongs to, or None for an unregistered plot."""
        row = self._conn.execute(
            select(t.farms)
            .join(t.plots, t.plots.c.farm == t.farms.c.farm)
            .where(t.plots.c.plot == plot)
        ).first()
        if row is None:
            return None
        return FarmRow(row.farm, row.grower, row.village, row.county, row.phone)

    def site(self, site: str) -> SiteRow | None:
        """Return a site's latest ``trace.site`` description, or None if it has none."""
        row = self._conn.execute(select(t.sites).where(t.sites.c.site == site)).first()
        if row is None:
            return None
        return SiteRow(row.site, row.business_name, row.address, row.phone, row.gln)

    def cooperative(self) -> CooperativeRow | None:
        """Return the cooperative's latest master data, or None before its first entry."""
        row = self._conn.execute(select(t.cooperative)).first()
        if row is None:
            return None
        return CooperativeRow(
            row.name_zh,
            row.name_ug,
            row.name_en,
            row.address,
            row.county,
            row.phone,
            row.gln,
            row.seq,
        )

    def shipment(self, shipment: str) -> ShipmentRow | None:
        """Return a shipment's origin and destination, or None for an unknown shipment."""
        query = select(t.shipments).where(t.shipments.c.shipment == shipment)
        row = self._conn.execute(query).first()
        if row is None:
            return None
        return ShipmentRow(row.shipment, row.origin, row.destination)

    def shipment_lots(self, shipment: str) -> list[tuple[str, str]]:
        """Return the (GTIN, lot) of every lot on a shipment, in lot-key order."""
        rows = self._conn.execute(
            select(t.lots.c.gtin, t.lots.c.lot)
            .join(t.shipment_lots, t.shipment_lots.c.lot == t.lots.c.key)
            .where(t.shipment_lots.c.shipment == shipment)
            .order_by(t.lots.c.key)
        ).all()
        return [(r.gtin, r.lot) for r in rows]

    def lot_entry_seqs(self, key: str) -> list[int]:
        """Return the seqs of the entries that name the lot ``key``, in ledger order."""
        query = (
            select(t.event_lots.c.seq).where(t.event_lots.c.lot == key).order_by(t.event_lots.c.seq)
        )
        return list(self._conn.execute(query).scalars())

    def entry_results(self, seq: int) -> dict[str, ResultRow]:
        """Return the verdicts of residue-test entry ``seq``, by substance."""
        rows = self._conn.execute(select(t.results).where(t.results.c.seq == seq))
        return {r.substance: ResultRow(r.substance, r.outcome, r.limit, r.rule_seq) for r in rows}

    def analysis_kind(self, key: str, substance: str) -> str:
        """Return the kind of analysis ``substance`` is for lot ``key``'s commodity profile.

        ``pesticide_residue`` when the profile lists no kind for it (or the lot is unknown).
        """
        row = self.lot(key)
        if row is None:
            return "pesticide_residue"
        if row.commodity not in self._profiles:
            try:
                self._profiles[row.commodity] = profile_for(self._conn, row.commodity)[1]
            except LifecycleError:
                self._profiles[row.commodity] = None
        profile = self._profiles[row.commodity]
        return "pesticide_residue" if profile is None else profile.analysis_kind(substance)

    def entry_source(self, seq: int) -> SourceRow | None:
        """Return who stands behind residue entry ``seq``: lab, sample, who took it."""
        row = self._conn.execute(
            select(t.result_sources).where(t.result_sources.c.seq == seq)
        ).first()
        return None if row is None else SourceRow(row.lab, row.sample_id, row.taken_by)

    def labs(self) -> list[LabRow]:
        """Return every enrolled lab once (its first key's enrolment), approved or not."""
        rows = self._conn.execute(select(t.lab_keys).order_by(t.lab_keys.c.seq)).all()
        out: dict[str, LabRow] = {}
        for r in rows:
            if r.lab not in out:
                approved = [k.approved_seq for k in rows if k.lab == r.lab and k.approved_seq]
                out[r.lab] = LabRow(
                    r.lab, r.name, r.accreditation, r.seq, min(approved, default=None)
                )
        return list(out.values())

    def sampling_plans(self) -> list[PlanRow]:
        """Return every sampling plan in force (the latest entry per plan id)."""
        rows = self._conn.execute(select(t.sampling_plans).order_by(t.sampling_plans.c.plan))
        return [
            PlanRow(
                r.plan, r.gtin, r.farm, r.plot, r.every_days, r.analyses, r.start, r.ends, r.seq
            )
            for r in rows
        ]

    def entries_of_lots(self, keys: Collection[str]) -> list[int]:
        """Return the seqs of every entry naming any of the lots ``keys``, in ledger order."""
        query = select(t.event_lots.c.seq).where(t.event_lots.c.lot.in_(list(keys))).distinct()
        return sorted(self._conn.execute(query).scalars())

    def ancestors(self, key: str) -> list[str]:
        """Return ``key`` and every lot it was made from, at any depth."""
        return ancestors(self._conn, key)

    def chain(self, key: str) -> list[str]:
        """Return the keys of a lot's chain: the lot, what it was made from, what was made from it.

        A sibling (another lot graded from the same harvest lot) is not in the chain: it is
        neither an input of the lot nor made from it.
        """
        return sorted(set(ancestors(self._conn, key)) | set(descendants(self._conn, key)))
