"""Critical tracking events and master data, each a typed model of one ledger statement kind.

Every model validates on construction (GTIN check digit, AI 10 lot syntax, decimal strings,
no future times) and knows its statement ``KIND``; how each maps to EPCIS 2.0 is in
:mod:`traceability.exports._epcis`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from traceability._errors import ValidationError
from traceability.events._complaints import Complaint, Decision
from traceability.events._model import (
    Amount,
    Gln,
    Gtin,
    LocalId,
    LotCode,
    LotRef,
    Measure,
    Model,
    Part,
    SerialNo,
    Text,
    Time,
)
from traceability.events._prefixes import MAX_PREFIXES, CompanyPrefix, check_prefix_set
from traceability.events._quality import Assessment, QualityReading, Training

__all__ = [
    "EVENT_TYPES",
    "Assessment",
    "CertificateIssued",
    "Complaint",
    "Cooling",
    "Cooperative",
    "Decision",
    "Farm",
    "GradedLot",
    "Grading",
    "Harvest",
    "Hold",
    "InputApplication",
    "LabelRun",
    "LotRef",
    "Packing",
    "Processing",
    "Product",
    "QualityReading",
    "Reading",
    "Recall",
    "Receiving",
    "Release",
    "ResidueTest",
    "Shipping",
    "Site",
    "StatusMap",
    "SubstanceResult",
    "Training",
]

_COMMODITY = r"^[a-z][a-z_]{1,30}$"
_UNIT = Literal["KGM", "H87"]  # UN/CEFACT rec. 20: kilogram, piece


def _distinct(field: str, keys: Sequence[object]) -> None:
    seen: set[object] = set()
    for i, key in enumerate(keys):
        if key in seen:
            raise ValidationError(f"{field}[{i}]", f"no repeat within {field}", key)
        seen.add(key)


class UnitRef(Part):
    """One serialised unit (a case or punnet) of a lot: GTIN, lot, serial (AI 01, 10, 21)."""

    gtin: Gtin
    lot: LotCode
    serial: SerialNo


class Reading(Part):
    """One temperature reading (°C, decimal string) from a probe or logger."""

    time: Time
    celsius: Measure


# --- master data ---------------------------------------------------------------------------


class Cooperative(Model):
    """The cooperative that keeps the ledger: its names, address, county and optional GLN.

    The Chinese name is the registered one; the Uyghur and English names are what the
    consumer page shows in those languages. A later entry replaces an earlier one.
    """

    KIND: ClassVar[str] = "trace.cooperative"
    name_zh: Text
    name_ug: Text | None = None
    name_en: Text | None = None
    address: Text
    county: Text
    gln: Gln | None = None  # GS1 Global Location Number of the cooperative as a party
    #: A phone number: part of an FDA FSMA 204 location description (21 CFR 1.1310).
    phone: Text | None = None
    #: The GS1 company prefixes its GTINs are issued under (docs/deployment.md). Once a log
    #: declares them, a product outside them is refused, and a deployment routes scans of
    #: their GTINs to this log. Omitted in a later entry: the declared ones stay.
    company_prefixes: tuple[CompanyPrefix, ...] | None = Field(
        default=None, min_length=1, max_length=MAX_PREFIXES
    )

    @model_validator(mode="after")
    def _distinct_prefixes(self) -> Cooperative:
        if self.company_prefixes is not None:
            check_prefix_set(self.company_prefixes, "company_prefixes")
        return self


class Product(Model):
    """A trade item: its GTIN and the commodity whose profile governs it."""

    KIND: ClassVar[str] = "trace.product"
    gtin: Gtin
    commodity: str = Field(pattern=_COMMODITY)
    name: Text


class Farm(Model):
    """A grower's farm with its plots, village and county (the origin a trace reaches)."""

    KIND: ClassVar[str] = "trace.farm"
    farm: LocalId
    grower: Text
    village: Text
    county: Text
    plots: tuple[LocalId, ...] = Field(min_length=1)
    #: The actor name on the grower's key registration: the only grower key that may record
    #: inputs and harvests on these plots (the cooperative and packing stations still may).
    grower_actor: Text | None = None
    #: The grower's phone: FSMA 204 asks for the farm's and the harvester's (21 CFR 1.1330(a)).
    phone: Text | None = None


class Site(Model):
    """A place lots are cooled, packed, shipped from or received at, as a business describes it.

    Sites are named by the cooperative's own ids in events (``KS-PS1``, ``URC-DC1``); this
    entry gives one its FSMA 204 location description (21 CFR 1.1310: business name, phone
    number, physical location address). A later entry for the same id replaces the earlier.
    """

    KIND: ClassVar[str] = "trace.site"
    site: LocalId
    business_name: Text
    address: Text
    phone: Text | None = None
    gln: Gln | None = None  # GS1 Global Location Number of the place


class InputApplication(Model):
    """A pesticide or fertiliser applied to a plot."""

    KIND: ClassVar[str] = "trace.input"
    plot: LocalId
    category: Literal["pesticide", "fertiliser"]
    product_name: Text
    active_substance: Text
    dose: Amount
    dose_unit: Literal["kg/ha", "l/ha", "g/ha", "ml/ha"]
    time: Time
    operator: Text


# --- lot events ----------------------------------------------------------------------------


class Harvest(Model):
    """A harvest lot picked from one plot (EPCIS ObjectEvent ADD, commissioning)."""

    KIND: ClassVar[str] = "trace.harvest"
    lot: LotRef
    plot: LocalId
    variety: Text
    quantity: Amount
    unit: _UNIT = "KGM"
    time: Time


class Cooling(Model):
    """Pre-cooling of a lot with its core temperature readings (storing/sensor_reporting)."""

    KIND: ClassVar[str] = "trace.cooling"
    lot: LotRef
    site: LocalId
    readings: tuple[Reading, ...] = Field(min_length=1, max_length=1000)
    #: True when more readings of the same log follow in a later cooling event (a logger
    #: file split at 1,000 readings): until the last part, a lot not yet in band waits.
    more_readings: bool | None = None
    time: Time


class GradedLot(Model):
    """One output of grading: a new lot of one grade with what was measured on it.

    What the grade rests on follows the commodity profile's ``grade_by``: ``sizes_mm`` (fruit
    diameters), ``measures`` (count per kg or unit weight in g), and ``quality`` (indicators
    such as Brix or moisture that the grade's thresholds name). Absent fields are omitted
    from the body, so gradings recorded before these existed keep their bytes.
    """

    lot: LotRef
    grade: str = Field(pattern=r"^[a-z][a-z0-9_]{0,30}$")
    quantity: Amount
    sizes_mm: tuple[Measure, ...] | None = Field(default=None, min_length=1, max_length=500)
    measures: tuple[Measure, ...] | None = Field(default=None, min_length=1, max_length=500)
    quality: tuple[QualityReading, ...] | None = Field(default=None, min_length=1, max_length=20)

    @model_validator(mode="after")
    def _one_reading_per_indicator(self) -> GradedLot:
        _distinct("quality", [q.indicator for q in self.quality or ()])
        return self


class Grading(Model):
    """A harvest lot split into graded lots (TransformationEvent)."""

    KIND: ClassVar[str] = "trace.grading"
    input: LotRef
    outputs: tuple[GradedLot, ...] = Field(min_length=1, max_length=20)
    site: LocalId | None = None  # the packing station: the new lots' lot code source
    time: Time

    @model_validator(mode="after")
    def _distinct_lots(self) -> Grading:
        keys = [(o.lot.gtin, o.lot.lot) for o in self.outputs]
        if len(set(keys)) != len(keys) or (self.input.gtin, self.input.lot) in keys:
            raise ValidationError("outputs", "distinct lots, none equal to the input", keys)
        return self


class SubstanceResult(Model):
    """One substance's measured residue; ``value`` is ``"<LOQ"`` below the LOQ, never 0."""

    substance: Text
    value: Measure | Literal["<LOQ"]
    loq: Amount
    unit: Literal["mg/kg"] = "mg/kg"

    @model_validator(mode="after")
    def _value_at_or_above_loq(self) -> SubstanceResult:
        if isinstance(self.value, Decimal) and self.value < self.loq:
            raise ValidationError(
                "value", f"'<LOQ' or a value >= the LOQ {self.loq} {self.unit}", self.value
            )
        return self


class ResidueTest(Model):
    """A lab's pesticide-residue results for a sample of one lot (inspecting)."""

    KIND: ClassVar[str] = "trace.residue"
    lot: LotRef
    sample_id: LocalId
    lab: Text
    method: Text
    results: tuple[SubstanceResult, ...] = Field(min_length=1, max_length=500)
    #: When the sample was taken: after the lot was made, at or before the result ``time``.
    sampled: Time | None = None
    time: Time

    @model_validator(mode="after")
    def _one_result_per_substance(self) -> ResidueTest:
        _distinct("results", [r.substance.lower() for r in self.results])
        if self.sampled is not None and self.sampled > self.time:
            raise ValidationError(
                "sampled",
                f"a time at or before the result ({self.time.isoformat()})",
                self.sampled.isoformat(),
            )
        return self


class Packing(Model):
    """Lots packed into one logistic unit (AggregationEvent ADD, packing)."""

    KIND: ClassVar[str] = "trace.packing"
    unit_id: LocalId
    lots: tuple[LotRef, ...] = Field(min_length=1, max_length=200)
    units: tuple[UnitRef, ...] = Field(default=(), max_length=2000)  # optional serials
    site: LocalId
    time: Time

    @model_validator(mode="after")
    def _lots_once(self) -> Packing:
        lots = [(r.gtin, r.lot) for r in self.lots]
        _distinct("lots", lots)
        _distinct("units", [(u.gtin, u.serial) for u in self.units])
        for i, unit in enumerate(self.units):
            if (unit.gtin, unit.lot) not in lots:
                raise ValidationError(f"units[{i}]", "a unit of one of the packed lots", unit.lot)
        return self


class Shipping(Model):
    """Lots leaving for a receiver, optionally at a reefer set point (shipping)."""

    KIND: ClassVar[str] = "trace.shipping"
    shipment: LocalId
    lots: tuple[LotRef, ...] = Field(min_length=1, max_length=200)
    origin: LocalId
    destination: LocalId
    set_point_celsius: Measure | None = None
    readings: tuple[Reading, ...] = Field(default=(), max_length=1000)
    time: Time

    @model_validator(mode="after")
    def _lots_once(self) -> Shipping:
        _distinct("lots", [(r.gtin, r.lot) for r in self.lots])
        return self


class Receiving(Model):
    """A shipment arriving, with the transport logger's readings (receiving).

    A logger file longer than 1,000 readings is recorded as parts: every part but the last
    has ``more_readings`` true and only records readings (the shipment stays in transit);
    the last part receives the shipment. The readings are judged across all parts.
    """

    KIND: ClassVar[str] = "trace.receiving"
    shipment: LocalId
    receiver: LocalId
    readings: tuple[Reading, ...] = Field(default=(), max_length=1000)
    more_readings: bool | None = None
    #: What arrived, weighed (or counted) at the receiver: the shipment's loss is what its
    #: lots weighed at shipping less this. Optional; only on the part that receives.
    quantity: Amount | None = None
    #: The quantity's unit (kilograms when absent); only with ``quantity``.
    unit: _UNIT | None = None
    time: Time

    @model_validator(mode="after")
    def _quantity_on_the_receipt(self) -> Receiving:
        if self.unit is not None and self.quantity is None:
            raise ValidationError("unit", "a unit only together with a quantity", self.unit)
        if self.quantity is not None and self.more_readings:
            raise ValidationError(
                "quantity",
                "the received quantity on the last part (more_readings false), not a part",
                format(self.quantity, "f"),
            )
        return self


class Processing(Model):
    """Lots turned into a processed product lot, e.g. jam (TransformationEvent)."""

    KIND: ClassVar[str] = "trace.processing"
    inputs: tuple[LotRef, ...] = Field(min_length=1, max_length=50)
    output: LotRef
    quantity: Amount
    unit: _UNIT = "KGM"
    process: Text
    site: LocalId | None = None  # where the food was transformed (lot code source)
    time: Time

    @model_validator(mode="after")
    def _inputs_once(self) -> Processing:
        keys = [(r.gtin, r.lot) for r in self.inputs]
        _distinct("inputs", keys)
        if (self.output.gtin, self.output.lot) in keys:
            raise ValidationError("output", "a new lot, not one of the inputs", self.output.lot)
        return self


class Hold(Model):
    """Stop a lot (and what derives from it) from moving on (disposition non_sellable)."""

    KIND: ClassVar[str] = "trace.hold"
    lot: LotRef
    reason: Text
    time: Time


class Release(Model):
    """Lift a lot's holds and, signed by the cooperative, release it for sale.

    Signed by the cooperative (disposition sellable_accessible): every open hold must be
    one it may lift, citing ``evidence`` where the hold's rule needs it (the entry of a
    passing re-test of the lot, signed by a lab, recorded after the hold), and the lot must
    pass the sale gate. Signed by a regulator, it is the regulator's decision entry: it
    lifts the lot's holds and returns the lot to where it stood before them, without
    releasing it for sale (rules in :mod:`traceability.rules._holds`).
    """

    KIND: ClassVar[str] = "trace.release"
    lot: LotRef
    note: Text
    evidence: int | None = Field(default=None, gt=0)
    time: Time


class Recall(Model):
    """Recall a lot and everything derived from it (disposition recalled)."""

    KIND: ClassVar[str] = "trace.recall"
    lot: LotRef
    reason: Text
    time: Time


class CertificateIssued(Model):
    """A 承诺达标合格证 compliance certificate issued for a lot (``trace.certificate``).

    Allowed only for a released lot that passes the sale gate; the certificate's QR code is
    then backed by this entry.
    """

    KIND: ClassVar[str] = "trace.certificate"
    lot: LotRef
    #: The grounds of the commitment as printed (e.g. 委托检测, 自我承诺).
    basis: tuple[Text, ...] = Field(min_length=1, max_length=4)
    quantity: Text  # as printed, e.g. "500 kg"
    time: Time


class LabelRun(Model):
    """A run of sale labels printed for a lot (``trace.labels``), gated as a certificate."""

    KIND: ClassVar[str] = "trace.labels"
    lot: LotRef
    count: int = Field(gt=0, le=100_000)
    #: The unit serials (GS1 AI 21) this run prints, when its labels are serialised: a scan
    #: of a serial no run issued is a counterfeit signal (docs/trust.md, "The label").
    serials: tuple[SerialNo, ...] = Field(default=(), max_length=100_000)
    time: Time

    @model_validator(mode="after")
    def _serials_fit_the_count(self) -> LabelRun:
        if self.serials and len(self.serials) != self.count:
            raise ValidationError("serials", f"{self.count} serials (the count)", len(self.serials))
        if len(set(self.serials)) != len(self.serials):
            raise ValidationError("serials", "each serial once", "a serial twice")
        return self


class StatusMap(Model):
    """The root of the lot-status map over the first ``size`` entries (``trace.status_map``).

    Appended by the server as the last entry before each checkpoint it publishes, at
    position ``size`` (docs/adr/0017-lot-status-map.md); the projection refuses a root that
    its own map does not give, so only a replay-reproducible root enters through it.
    """

    KIND: ClassVar[str] = "trace.status_map"
    size: int = Field(ge=0, le=2**53 - 1)
    #: SHA-256 root of the map, standard base64 (44 characters).
    root: str = Field(pattern=r"^[A-Za-z0-9+/]{43}=$")
    lots: int = Field(ge=0, le=2**53 - 1)


#: Statement kind -> model, for reading bodies back from the ledger.
EVENT_TYPES: dict[str, type[Model]] = {
    m.KIND: m
    for m in (
        Cooperative,
        Product,
        Farm,
        Site,
        InputApplication,
        Training,
        Assessment,
        Harvest,
        Cooling,
        Grading,
        ResidueTest,
        Packing,
        Shipping,
        Receiving,
        Processing,
        Hold,
        Release,
        Recall,
        CertificateIssued,
        LabelRun,
        StatusMap,
        Complaint,
        Decision,
    )
}

# Sampling plans, labs and samples (issue 14) live in their own module, which builds on
# LotRef above: imported last, and first through the package (traceability/events/__init__).
from traceability.events._sampling import SAMPLING_TYPES  # noqa: E402

EVENT_TYPES.update(SAMPLING_TYPES)

# A lot taken in from another member's log (issue 15), likewise built on LotRef.
from traceability.events._intake import INTAKE_TYPES  # noqa: E402

EVENT_TYPES.update(INTAKE_TYPES)
