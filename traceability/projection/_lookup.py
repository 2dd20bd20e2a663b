"""What a consumer's scan may learn about one lot, read from the projection and the ledger.

:func:`lot_summary` answers for a lot (:meth:`traceability.Projection.summary` is the way
in): its status and why, the product, where
and by whom it was grown, when it was picked, its grade, every residue verdict on it or on a
lot it was made from (with the limit, the rule table and the lab), and a cold-chain summary
from the cooling and logger readings. It only reads: the caller brings the projection up to
the ledger's head first (:meth:`Recorder.catch_up`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from ledger import Ledger
from traceability._errors import LifecycleError
from traceability.projection import _schema as t
from traceability.projection._gate import missing_stages
from traceability.projection._lineage import FarmOrigin, ancestors, trace_back
from traceability.projection._query import profile_for
from traceability.rules._lifecycle import LotStatus
from traceability.rules._tables import residue_text

__all__ = [
    "CooperativeInfo",
    "LotSummary",
    "ResidueLine",
    "cooperative_info",
    "lot_summary",
    "result_line",
]


@dataclass(frozen=True)
class ResidueLine:
    """One substance's verdict (``value`` ``"<LOQ"`` below the LOQ; ``limit`` None: unlisted).

    ``seq`` is the residue test's ledger entry, ``rule_seq`` the MRL table entry it used and
    ``reason`` the verdict's explanation (e.g. ``0.12 mg/kg > MRL 0.05 mg/kg``).
    """

    seq: int
    rule_seq: int
    lot: str
    reason: str
    substance: str
    value: str
    loq: str
    limit: str | None
    outcome: str
    edition: str
    lab: str
    sample_id: str

    def __str__(self) -> str:
        return f"{self.substance} {result_line(self.value, self.loq, self.limit)}: {self.outcome}"


def result_line(value: str, loq: str, limit: str | None) -> str:
    """A result with its LOQ and limit: ``<LOQ (0.01 mg/kg), MRL 0.05 mg/kg``.

    A measured value names its LOQ too: ``0.12 mg/kg (LOQ 0.01 mg/kg), MRL 0.05 mg/kg``.
    """
    shown = residue_text(value, loq)
    if value != "<LOQ":
        shown += f" (LOQ {loq} mg/kg)"
    return f"{shown}, " + ("no listed MRL" if limit is None else f"MRL {limit} mg/kg")


@dataclass(frozen=True)
class LotSummary:
    """A lot as a scan shows it; every field comes from ledger entries (``entries``).

    Attributes:
        gtin: GTIN-14.
        lot: Lot code.
        status: The lifecycle status.
        reason: Why it is in that status (hold rule, recall reason, release note), if given.
        product: The product's name.
        grade: The grade band, for graded lots.
        quantity: Quantity and unit, e.g. ``"42.0 KGM"``.
        origins: The harvest lots it came from: plot, farm, grower, village, county.
        harvested: The earliest harvest date (ISO date) of those lots.
        packed: The first packing time (ISO), if packed.
        residues: Every residue verdict on the lot or a lot it was made from.
        cold_chain: One line per pre-cooling log and per shipment (a log recorded in
            several parts is one line).
        entries: Ledger positions of every entry about the lot or its inputs.
        missing_stages: The cold-chain stages its profile requires that neither the lot
            nor a lot it came from has a record of (``"precool"``: "no pre-cooling
            record"); such a lot is never shown as cold-chain compliant.
        best_before: The harvest date plus the profile's ``shelf_life_days`` (ISO date),
            printed on labels and certificates (GS1 AI 15 beside AI 7007); None when the
            profile names no shelf life or the lot has no harvest.
    """

    gtin: str
    lot: str
    status: LotStatus
    reason: str | None
    product: str
    grade: str | None
    quantity: str
    origins: tuple[FarmOrigin, ...]
    harvested: str | None
    packed: str | None
    residues: tuple[ResidueLine, ...]
    cold_chain: tuple[str, ...]
    entries: tuple[int, ...]
    missing_stages: tuple[str, ...] = ()
    best_before: str | None = None


def _range(readings: list[dict[str, Any]]) -> str:
    values = sorted(Decimal(r["celsius"]) for r in readings)
    return f"{values[0]} to {values[-1]} °C" if values else "no readings"


def _when(time: str) -> str:
    # The event's own clock, as recorded: date and minute, offset dropped for reading.
    return time[:16].replace("T", " ")


def _cold_chain(ledger: Ledger, seqs: list[int]) -> tuple[str, ...]:
    # One line per pre-cooling log and per shipment: a long logger file recorded as several
    # events (parts) is one log to the reader.
    logs: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    lines: dict[tuple[str, ...], str] = {}
    key: tuple[str, ...]
    for seq in seqs:
        statement = ledger.entry(seq).statement
        body = statement.body
        if statement.kind == "trace.cooling":
            lot = body["lot"]
            key = ("cooling", lot["gtin"], lot["lot"], body["site"])
            readings = logs.setdefault(key, [])
            readings += body["readings"]
            last = max(readings, key=lambda r: r["time"])
            lines[key] = (
                f"pre-cooling at {body['site']}: core {last['celsius']} °C at "
                f"{_when(last['time'])} ({len(readings)} readings, {_range(readings)})"
            )
        elif statement.kind == "trace.shipping":
            set_point = body.get("set_point_celsius")
            at = f" at set point {set_point} °C" if set_point is not None else ""
            key = ("shipping", body["shipment"])
            lines[key] = f"shipment {body['shipment']} to {body['destination']}{at}"
        elif statement.kind == "trace.receiving":
            key = ("receiving", body["shipment"])
            readings = logs.setdefault(key, [])
            readings += body.get("readings", [])
            logger = f"logger {_range(readings)} ({len(readings)} readings)"
            if body.get("more_readings"):
                lines[key] = f"in transit {body['shipment']}: {logger} so far"
            else:
                lines[key] = (
                    f"received {body['shipment']} at {body['receiver']} "
                    f"{_when(body['time'])}: {logger}"
                )
    return tuple(lines.values())


def residue_lines(rows: Any) -> tuple[ResidueLine, ...]:
    """Return ``trace_results`` rows as :class:`ResidueLine` views."""
    return tuple(
        ResidueLine(
            r.seq,
            r.rule_seq,
            r.lot,
            r.reason,
            r.substance,
            r.value,
            r.loq,
            r.limit,
            r.outcome,
            r.edition,
            r.lab,
            r.sample_id,
        )
        for r in rows
    )


def _summary(conn: Connection, ledger: Ledger, row: Any) -> LotSummary:
    keys = ancestors(conn, row.key)
    product = conn.execute(
        select(t.products.c.name).where(t.products.c.gtin == row.gtin)
    ).scalar_one_or_none()
    back = trace_back(conn, [row.key])
    harvests = sorted(o.harvest_time for o in back.origins if o.harvest_time)
    results = conn.execute(
        select(t.results).where(t.results.c.lot.in_(keys)).order_by(t.results.c.seq)
    ).all()
    residues = residue_lines(results)
    seqs = sorted(
        set(conn.execute(select(t.event_lots.c.seq).where(t.event_lots.c.lot.in_(keys))).scalars())
    )
    packed = (
        conn.execute(
            select(t.packed.c.seq).where(t.packed.c.lot == row.key).order_by(t.packed.c.seq)
        )
        .scalars()
        .first()
    )
    packed_at = None if packed is None else str(ledger.entry(packed).statement.body["time"])
    return LotSummary(
        gtin=row.gtin,
        lot=row.lot,
        status=LotStatus(row.status),
        reason=row.status_reason,
        product=product or row.gtin,
        grade=row.grade,
        quantity=f"{row.quantity} {row.unit}",
        origins=back.origins,
        harvested=harvests[0][:10] if harvests else None,
        packed=packed_at,
        residues=residues,
        cold_chain=_cold_chain(ledger, seqs),
        entries=tuple(seqs),
        missing_stages=_missing(conn, row.key),
        best_before=_best_before(conn, row.commodity, harvests[0][:10] if harvests else None),
    )


def _best_before(conn: Connection, commodity: str, harvested: str | None) -> str | None:
    # The same rule as traceability/_story.py: harvest date plus the current profile's days.
    if harvested is None:
        return None
    try:
        _, profile = profile_for(conn, commodity)
    except LifecycleError:
        return None
    if profile.shelf_life_days is None:
        return None
    return (date.fromisoformat(harvested) + timedelta(days=profile.shelf_life_days)).isoformat()


def _missing(conn: Connection, key: str) -> tuple[str, ...]:
    try:
        return missing_stages(conn, key)
    except LifecycleError:
        return ()  # no profile for its commodity: nothing it requires, nothing missing


def lot_summary(conn: Connection, ledger: Ledger, key: str) -> LotSummary | None:
    """Return what the ledger says about lot ``key``, or None when it names no recorded lot.

    Args:
        conn: A connection to the projection's database.
        ledger: The open ledger, for the entries' bodies (cold chain, packing time).
        key: The projection's lot key.
    """
    row = conn.execute(select(t.lots).where(t.lots.c.key == key)).first()
    return None if row is None else _summary(conn, ledger, row)


@dataclass(frozen=True)
class CooperativeInfo:
    """The cooperative that keeps the ledger, from its latest ``trace.cooperative`` entry.

    Attributes:
        name_zh: The registered (Chinese) name.
        name_ug: The Uyghur name, if recorded.
        name_en: The English name, if recorded.
        address: Street address or township.
        county: The county it is registered in.
        gln: Its GS1 GLN, if it has one.
        seq: The ledger entry this comes from (for a proof link).
    """

    name_zh: str
    name_ug: str | None
    name_en: str | None
    address: str
    county: str
    gln: str | None
    seq: int

    def name(self, lang: str) -> str:
        """The name in ``lang`` (``zh``, ``ug``, ``en``); the registered name when unrecorded."""
        return {"ug": self.name_ug, "en": self.name_en}.get(lang) or self.name_zh


def cooperative_info(conn: Connection) -> CooperativeInfo | None:
    """Return the cooperative's master data, or None when no entry names it yet."""
    row = conn.execute(select(t.cooperative).where(t.cooperative.c.id == 1)).first()
    if row is None:
        return None
    return CooperativeInfo(
        row.name_zh, row.name_ug, row.name_en, row.address, row.county, row.gln, row.seq
    )
