"""One strawberry season of the demo cooperative, recorded event by event.

Every event goes through :class:`~traceability.Recorder`, signed by the key of the role that
may record it, so the lifecycle and quality rules decide the statuses, not this script:
one harvest misses pre-cooling (held), one lot fails the residue test (held with everything
graded from it), one harvest is refused by the pre-harvest interval and picked days later,
and one harvest lot is recalled (its graded lots and their shipment follow).

Sampling (issue 14): the Kashgar lab enrols its own key (kept outside the cooperative's key
folder) and the market regulator approves it; a weekly plan covers the strawberries and a
3-day plan the Yengisar farm; the lab takes a sample before each test, and the regulator
pre-samples (抽检) one lot. One late release is refused while the weekly plan is overdue and
passes after the regulator's sample.

Seeded: the same seed gives the same lots, sizes, readings and results.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import KEY_REGISTER, Ledger, Statement, format_time, key_id_for, register_body
from ledger import sign_statement as sign
from traceability._errors import LifecycleError
from traceability._labs import enrol_lab
from traceability._recorder import Recorder
from traceability._seal import seal_with_status_map
from traceability.demo._autumn import JUJUBE_LOTS, record_autumn
from traceability.demo._cast import (
    COOPERATIVE_BODY,
    FARMS,
    JUJUBE,
    LAB,
    LAB_CMA,
    LAB_ID,
    PACKING_STATION,
    PRODUCTS,
    SITES,
    STRAWBERRY,
)
from traceability.events._events import (
    CertificateIssued,
    Complaint,
    Cooling,
    Cooperative,
    Decision,
    Farm,
    Grading,
    Harvest,
    InputApplication,
    Packing,
    Product,
    Recall,
    Receiving,
    Release,
    ResidueTest,
    Shipping,
    Site,
)
from traceability.events._model import Model
from traceability.events._sampling import Sample, SamplingPlan
from traceability.projection._read import Projection
from traceability.rules._actors import Role
from traceability.rules._tables import load_mrl_csv, load_profile

__all__ = ["Season", "build_season"]

_DATA = Path(__file__).resolve().parents[1] / "data"
#: The first harvest morning (Beijing time; Xinjiang's packing sheds keep it too).
T0 = datetime.fromisoformat("2026-06-01T07:00:00+08:00")

#: Actor key name -> roles on its ledger registration.
ACTORS: Mapping[str, tuple[Role, ...]] = {
    "coop-admin": (Role.COOPERATIVE,),
    "packing-shed": (Role.PACKING_STATION,),
    "kashgar-lab": (Role.LAB,),
    "cold-truck": (Role.LOGISTICS,),
    "market-regulator": (Role.REGULATOR,),
    # The server's key for the lot-status map it appends before each checkpoint.
    "status-map": (Role.COOPERATIVE,),
    # The server's key for complaints from the public scan page (docs/adr/0022).
    "complaint-intake": (Role.INTAKE,),
} | {f.grower_actor: (Role.GROWER,) for f in FARMS}

#: The lab's key name (kept by the lab, not in the cooperative's key folder).
LAB_ACTOR = "kashgar-lab"
#: The weekly plan for every strawberry lot, and a closer one for the Yengisar farm, whose
#: lot failed last season's residue test (the regulator asked for it).
WEEKLY_PLAN, FARM_PLAN = "SP-SB-WEEKLY", "SP-YS-F04"

# Grade -> (lot suffix, share of the harvest's mass, size range in mm drawn for the sample).
# The ranges sit inside the profile's bands (super >= 35, grade_1 30-35, grade_2 25-30).
_GRADES = {
    "super": ("SU", Decimal("0.30"), (35.0, 42.0)),
    "grade_1": ("G1", Decimal("0.35"), (30.0, 34.9)),
    "grade_2": ("G2", Decimal("0.20"), (25.0, 29.9)),
    "processing": ("PR", Decimal("0.10"), (18.0, 24.9)),
}


@dataclass
class Season:
    """What the demo built: counts, and the lots worth looking at.

    Attributes:
        gtin: The strawberries' GTIN-14 (every lot of the season).
        counts: How many of each thing were recorded (``farms``, ``harvests`` ...).
        refused: Events the rules refused (nothing appended), with the rule's message.
        released: A released lot (labelled and on sale).
        cold_chain_hold: The harvest lot held for missing pre-cooling.
        residue_hold: A graded lot held because its harvest lot failed the residue test.
        recalled: A graded lot recalled with the harvest lot it came from.
        recalled_harvest: The harvest lot the recall was recorded on.
        jujube_gtin: The jujubes' GTIN-14 (the autumn's lots).
        jujube_released: A released jujube lot (graded by count, with Brix readings).
        late_release: A lot whose release is refused while the weekly sampling plan is
            overdue, then passes after the regulator's pre-sample.
        quarter: The calendar quarter the season falls in (its quarterly evaluation).
        complained: A shipped lot a buyer complained about; the regulator decided (warning).
    """

    gtin: str
    counts: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)
    released: str = "SB26-H01-G1"
    cold_chain_hold: str = "SB26-H04"
    residue_hold: str = "SB26-H03-SU"
    recalled: str = "SB26-H02-SU"
    recalled_harvest: str = "SB26-H02"
    jujube_gtin: str = JUJUBE.gtin
    jujube_released: str = JUJUBE_LOTS[2]
    late_release: str = "SB26-H01-G2"
    quarter: str = f"{T0.year}-Q{(T0.month - 1) // 3 + 1}"
    complained: str = "SB26-H05-G1"

    @property
    def interesting(self) -> tuple[str, ...]:
        """The lots a tour shows: released, held (cold chain, residue), recalled."""
        return (self.released, self.cold_chain_hold, self.residue_hold, self.recalled)

    @property
    def pages(self) -> dict[str, str]:
        """A lot per consumer page worth opening: ``released``, ``on hold``, ``recalled``."""
        return {"released": self.released, "on hold": self.residue_hold, "recalled": self.recalled}


def _ref(lot: str) -> dict[str, str]:
    return {"gtin": STRAWBERRY.gtin, "lot": lot}


class _Writer:
    """Signs each event with the key of an actor and records it at the event's time."""

    def __init__(self, ledger: Ledger, keys: dict[str, Ed25519PrivateKey], season: Season):
        self.recorder = Recorder(ledger)
        self.projection = Projection(ledger)
        self.keys = keys
        self.season = season

    def __call__(self, actor: str, model: type[Model], count: str, **body: Any) -> None:
        event = model.from_body(body)
        time = body.get("time")
        at = datetime.fromisoformat(time) if isinstance(time, str) else T0 - timedelta(days=2)
        self.recorder.record(event, self.keys[actor], at=at)
        self.season.counts[count] += 1


def _at(days: float = 0, minutes: float = 0) -> str:
    return (T0 + timedelta(days=days, minutes=minutes)).isoformat()


def _enrol(
    ledger: Ledger,
    root: Ed25519PrivateKey,
    new_key: Callable[[str], Ed25519PrivateKey],
    lab_key: Callable[[str], Ed25519PrivateKey],
) -> dict[str, Ed25519PrivateKey]:
    root_id = key_id_for(root.public_key().public_bytes_raw())
    when = format_time(T0 - timedelta(days=40))
    keys = {}
    for name, roles in ACTORS.items():
        # The lab makes its own key; the cooperative registers only its public half.
        key = keys[name] = (lab_key if name == LAB_ACTOR else new_key)(name)
        body = register_body(key.public_key().public_bytes_raw(), name, [r.value for r in roles])
        ledger.append(sign(Statement(ledger.origin, KEY_REGISTER, body, root_id, when), root))
    return keys


def _master_data(w: _Writer) -> None:
    w("coop-admin", Cooperative, "cooperative", **COOPERATIVE_BODY)
    for p in PRODUCTS:
        w("coop-admin", Product, "products", gtin=p.gtin, commodity=p.commodity, name=p.name)
    for f in FARMS:
        w(
            "coop-admin",
            Farm,
            "farms",
            farm=f.farm,
            grower=f.grower,
            village=f.village,
            county=f.county,
            plots=list(f.plots),
            grower_actor=f.grower_actor,
            phone=f.phone,
        )
        w.season.counts["plots"] += len(f.plots)
    for site in SITES:
        w("coop-admin", Site, "sites", **site)
    coop = w.keys["coop-admin"]
    w.recorder.record(load_profile(_DATA / "strawberry.toml"), coop, at=T0 - timedelta(days=35))
    w.recorder.record(load_mrl_csv(_DATA / "mrl-sample.csv"), coop, at=T0 - timedelta(days=35))
    w.season.counts["rule tables"] += 2
    when = T0 - timedelta(days=30)
    enrol_lab(
        w.recorder,
        w.keys[LAB_ACTOR],
        w.keys["market-regulator"],
        lab=LAB_ID,
        name=LAB,
        accreditation=LAB_CMA,
        at=when,
    )
    w.season.counts["labs"] += 1
    analyses = ["pesticide_residues"]
    w("coop-admin", SamplingPlan, "sampling plans", plan=WEEKLY_PLAN, gtin=STRAWBERRY.gtin,
      every_days=7, analyses=analyses, time=_at(-1))  # fmt: skip
    w("market-regulator", SamplingPlan, "sampling plans", plan=FARM_PLAN, gtin=STRAWBERRY.gtin,
      farm=FARMS[3].farm, every_days=3, analyses=analyses, time=_at(-1))  # fmt: skip


def _spray(w: _Writer, grower: str, plot: str, substance: str, product: str, at: str) -> None:
    w(
        grower,
        InputApplication,
        "pesticide applications",
        plot=plot,
        category="pesticide",
        product_name=product,
        active_substance=substance,
        dose="0.3",
        dose_unit="l/ha",
        time=at,
        operator=grower,
    )


# Harvest lot -> (farm index, plot index, day, kg). H04 misses pre-cooling; H06's plot was
# sprayed too late for a 1 June harvest, so it is refused then and picked on 5 June.
_HARVESTS = {
    "SB26-H01": (0, 0, 0, "120"),
    "SB26-H02": (1, 0, 0, "150"),
    "SB26-H03": (3, 0, 0, "90"),
    "SB26-H04": (0, 1, 1, "110"),
    "SB26-H05": (1, 1, 1, "140"),
    "SB26-H06": (2, 0, 4, "100"),
}


def _feed(w: _Writer, grower: str, plot: str, at: str) -> None:
    # A base dressing of compound fertiliser before flowering (no pre-harvest interval).
    w(
        grower,
        InputApplication,
        "fertiliser applications",
        plot=plot,
        category="fertiliser",
        product_name="复合肥 15-15-15",
        active_substance="NPK 15-15-15",
        dose="300",
        dose_unit="kg/ha",
        time=at,
        operator=grower,
    )


def _fields(w: _Writer, rng: random.Random) -> None:
    for f in FARMS:
        for plot in f.plots:
            _feed(w, f.grower_actor, plot, _at(-30))
            # Sprayed well before harvest: carbendazim (PHI 14 d), imidacloprid (PHI 7 d).
            _spray(w, f.grower_actor, plot, "carbendazim", "多菌灵 50% WP", _at(-22))
            _spray(w, f.grower_actor, plot, "imidacloprid", "吡虫啉 10% WP", _at(-12))
    late = FARMS[2]
    _spray(w, late.grower_actor, late.plots[0], "imidacloprid", "吡虫啉 10% WP", _at(-3))
    for lot, (farm_no, plot_no, day, kg) in _HARVESTS.items():
        f = FARMS[farm_no]
        minute = 30 * farm_no + rng.randrange(0, 20)
        body = {
            "lot": _ref(lot),
            "plot": f.plots[plot_no],
            "variety": rng.choice(["红颜 Benihoppe", "章姬 Akihime"]),
            "quantity": kg,
            "time": _at(day, minute),
        }
        if lot == "SB26-H06":
            try:
                w(f.grower_actor, Harvest, "harvests", **(body | {"time": _at(0, 60)}))
            except LifecycleError as e:
                w.season.refused.append(f"harvest {lot} on {_at(0, 60)[:10]}: {e}")
        w(f.grower_actor, Harvest, "harvests", **body)
        _cool(w, rng, lot, day, minute, late=lot == w.season.cold_chain_hold)


def _reading(at: str, celsius: float) -> dict[str, str]:
    return {"time": at, "celsius": f"{celsius:.1f}"}


def _cool(w: _Writer, rng: random.Random, lot: str, day: float, minute: float, late: bool) -> None:
    # Core temperature: field heat at first, then in the profile's 4-6 °C band.
    steps = [(25, 11.0 + rng.random() * 3), (45, 4.5 + rng.random())]
    if late:  # the forced-air cooler's door was left open: in band only after 95 minutes
        steps = [(25, 14.0), (60, 9.5), (95, 5.2)]
    readings = [_reading(_at(day, minute + m), c) for m, c in steps]
    end = _at(day, minute + steps[-1][0])
    w(
        "packing-shed",
        Cooling,
        "cooling records",
        lot=_ref(lot),
        site=PACKING_STATION,
        readings=readings,
        time=end,
    )


def _grade(w: _Writer, rng: random.Random, lot: str) -> None:
    _, _, day, kg = _HARVESTS[lot]
    outputs = []
    for grade, (suffix, share, (low, high)) in _GRADES.items():
        sizes = [f"{rng.uniform(low, high):.1f}" for _ in range(8)]
        quantity = (Decimal(kg) * share).quantize(Decimal("0.1"))
        # A refractometer reading per graded lot (7.5-11.5 °Bx), drawn from a generator of
        # its own so that adding it left every other drawn value as it was.
        brix = random.Random(f"brix {lot} {grade}").uniform(7.5, 11.5)  # noqa: S311 (demo)
        outputs.append(
            {
                "lot": _ref(f"{lot}-{suffix}"),
                "grade": grade,
                "quantity": str(quantity),
                "sizes_mm": sizes,
                "quality": [{"indicator": "brix", "value": f"{brix:.1f}"}],
            }
        )
    w(
        "packing-shed",
        Grading,
        "gradings",
        input=_ref(lot),
        outputs=outputs,
        site=PACKING_STATION,
        time=_at(day, 180),
    )
    w.season.counts["graded lots"] += len(outputs)


def _test(w: _Writer, rng: random.Random, lot: str, fail: bool) -> None:
    day = _HARVESTS[lot][2]

    def value(low: float, high: float) -> str:
        return "<LOQ" if rng.random() < 0.4 else f"{rng.uniform(low, high):.3f}"

    sample_id = f"S26-{lot[-3:]}"
    w(LAB_ACTOR, Sample, "samples", sample_id=sample_id, lot=_ref(lot), taken_by="lab",
      lab=LAB_ID, sampler="吐尔逊·阿里 Tursun Ali", analyses=["pesticide_residues"],
      time=_at(day + 1, 30))  # fmt: skip
    results = [
        # 0.12 mg/kg against the sample table's 0.05: the failing lot of the season.
        {"substance": "chlorpyrifos", "value": "0.120" if fail else "<LOQ", "loq": "0.01"},
        {"substance": "carbendazim", "value": value(0.02, 0.30), "loq": "0.01"},
        {"substance": "imidacloprid", "value": value(0.02, 0.20), "loq": "0.01"},
    ]
    w(
        "kashgar-lab",
        ResidueTest,
        "residue tests",
        lot=_ref(lot),
        sample_id=sample_id,
        lab=LAB,
        method="GB 23200.113-2018 (GC-MS/MS)",
        results=results,
        time=_at(day + 1, 120),
    )


def _ship(
    w: _Writer,
    rng: random.Random,
    shipment: str,
    lots: list[str],
    day: float,
    to: str,
    loss: Decimal = Decimal("0.03"),
) -> None:
    unit = f"PAL-{shipment[3:]}"
    w(
        "packing-shed",
        Packing,
        "packing units",
        unit_id=unit,
        lots=[_ref(x) for x in lots],
        site=PACKING_STATION,
        time=_at(day, 360),
    )
    w(
        "cold-truck",
        Shipping,
        "shipments",
        shipment=shipment,
        lots=[_ref(x) for x in lots],
        origin=PACKING_STATION,
        destination=to,
        set_point_celsius="2",
        time=_at(day, 420),
    )
    # The reefer logger, every 2 h for a day: within the haulier's ±2 °C of the set point.
    readings = [_reading(_at(day, 420 + 120 * i), 1.2 + rng.random() * 1.8) for i in range(12)]
    # Weighed on arrival: berries lose water and crushed fruit on the road (``loss``).
    shipped = sum(Decimal(w.projection.lot(STRAWBERRY.gtin, x).quantity) for x in lots)
    received = (shipped * (1 - loss)).quantize(Decimal("0.1"))
    w(
        "cold-truck",
        Receiving,
        "receivings",
        shipment=shipment,
        receiver=to,
        readings=readings,
        quantity=format(received, "f"),
        time=_at(day + 1, 480),
    )


def _complaints(w: _Writer, season: Season) -> None:
    """A buyer in Shanghai reports mould; the regulator warns the cooperative. One stays open."""
    w("complaint-intake", Complaint, "complaints", lot=_ref(season.complained),
      category="spoiled", language="zh", text="收到的草莓有一半发霉，包装里有积水。",
      time=_at(7, 30))  # fmt: skip
    complaint = w.recorder.ledger.size() - 1
    w("market-regulator", Decision, "decisions", complaint=complaint, lot=_ref(season.complained),
      action="warning", rule="《农产品质量安全法》第四十二条 (storage and transport)",
      reason="冷藏车记录在范围内，包装透气不足。责令合作社改进包装 — packaging to be improved.",
      time=_at(7, 90))  # fmt: skip
    w("complaint-intake", Complaint, "complaints", lot=_ref(season.released), category="label",
      language="en", text="The label on my punnet looks blurred; is it genuine?",
      time=_at(7, 120))  # fmt: skip


def _late_release(w: _Writer, lot: str) -> None:
    """A lot kept back past the weekly plan's due date: refused, pre-sampled, released."""
    day, note = 13, "监管抽检合格 regulator's pre-sample passed"
    try:
        w("coop-admin", Release, "releases", lot=_ref(lot), note=note, time=_at(day, 60))
    except LifecycleError as e:
        w.season.refused.append(f"release {lot} on {_at(day)[:10]}: {e}")
    w("market-regulator", Sample, "samples", sample_id="JG26-0614-01", lot=_ref(lot),
      taken_by="regulator", lab=LAB_ID, sampler="市场监管局 王明 Wang Ming",
      analyses=["pesticide_residues"], time=_at(day, 120))  # fmt: skip
    results = [
        {"substance": s, "value": "<LOQ", "loq": "0.01"}
        for s in ("chlorpyrifos", "carbendazim", "imidacloprid")
    ]
    w(LAB_ACTOR, ResidueTest, "residue tests", lot=_ref(lot), sample_id="JG26-0614-01",
      lab=LAB, method="GB 23200.113-2018 (GC-MS/MS)", results=results,
      time=_at(day, 300))  # fmt: skip
    w("coop-admin", Release, "releases", lot=_ref(lot), note=note, time=_at(day, 360))
    w("coop-admin", CertificateIssued, "certificates", lot=_ref(lot), basis=["委托检测"],
      quantity="整批 whole lot", time=_at(day, 365))  # fmt: skip


def build_season(
    ledger: Ledger,
    root: Ed25519PrivateKey,
    new_key: Callable[[str], Ed25519PrivateKey],
    *,
    seed: int = 2026,
    lab_key: Callable[[str], Ed25519PrivateKey] | None = None,
) -> Season:
    """Record the demo season on a fresh ledger.

    Args:
        ledger: A new, empty log (genesis only) whose root key is ``root``.
        root: The cooperative's root key: it registers every actor's key.
        new_key: Makes (and keeps) a private key for an actor name, e.g. in a key folder.
        seed: Seeds sizes, readings, varieties and residue values.
        lab_key: Makes the lab's own key, kept apart from the cooperative's (e.g. a
            ``lab-keys`` folder); ``new_key`` when None.

    Returns:
        The counts and the lots a visitor should look at.

    Raises:
        TraceError: A rule refused an event the season expects to pass (a bug).
    """
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    season = Season(STRAWBERRY.gtin)
    keys = _enrol(ledger, root, new_key, lab_key or new_key)
    season.counts["actor keys"] = len(keys)
    w = _Writer(ledger, keys, season)
    _master_data(w)
    _fields(w, rng)
    passing = [lot for lot in _HARVESTS if lot != season.cold_chain_hold]
    for lot in passing:
        _grade(w, rng, lot)
    for lot in _HARVESTS:
        _test(w, rng, lot, fail=lot == "SB26-H03")
    for lot in passing:
        if lot == "SB26-H03":
            continue  # failed: its graded lots are on hold, never released
        for suffix in ("SU", "G1", "G2"):
            if f"{lot}-{suffix}" == season.late_release:
                continue  # released after the season's last sample: see _late_release
            day = _HARVESTS[lot][2] + 1
            note = "三项农残检测合格 residue tests passed"
            w("coop-admin", Release, "releases", lot=_ref(f"{lot}-{suffix}"), note=note,
              time=_at(day, 240))  # fmt: skip
            # The certificate is issued on the ledger, through the gate, only once released.
            w("coop-admin", CertificateIssued, "certificates", lot=_ref(f"{lot}-{suffix}"),
              basis=["委托检测"], quantity="整批 whole lot", time=_at(day, 245))  # fmt: skip
    _ship(w, rng, "SH-0602-URC", ["SB26-H01-SU", "SB26-H02-SU", "SB26-H02-G1"], 1, "URC-DC1")
    # The long road to Shanghai loses more than the 10% target: the quarterly report shows it.
    _ship(w, rng, "SH-0606-SHA", ["SB26-H05-SU", "SB26-H05-G1", "SB26-H06-SU"], 5, "SHA-EC-WH2",
          loss=Decimal("0.12"))  # fmt: skip
    w(
        "coop-admin",
        Recall,
        "recalls",
        lot=_ref(season.recalled_harvest),
        reason="种植户报告喷雾器混用未登记农药 grower reported a sprayer mix-up with an "
        "unregistered product on plot YK-F02-P1; precautionary recall",
        time=_at(7, 60),
    )
    _complaints(w, season)
    _late_release(w, season.late_release)
    # The autumn comes after the summer's entries, so theirs keep their positions.
    w.recorder.record(load_profile(_DATA / "jujube.toml"), keys["coop-admin"], at=T0)
    season.counts["rule tables"] += 1
    record_autumn(w, season.refused, _at)
    season.counts["ledger entries"] = ledger.size()
    # From here on every checkpoint ends with the lot-status map (the demo's next one, too).
    seal_with_status_map(ledger, keys["status-map"])
    return season
