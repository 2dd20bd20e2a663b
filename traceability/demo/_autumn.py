"""The demo's autumn: a jujube lot under its own profile (issue 14).

Jujubes grade by count per kg with Brix, moisture and defect thresholds and have no cold
chain; the profile asks every grower for a passed ``gap_basics`` assessment and organic
fertiliser >= 30,000 kg/ha per season. So: Aysha is trained and assessed, fertilises her
plot, harvests; a grower never assessed (Li Hua) is refused; the shed grades with counts
and refractometer readings inside each grade's bounds (a reading outside them is refused:
tests/traceability/test_quality.py); the lab tests, the cooperative releases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from traceability._errors import LifecycleError
from traceability.demo._cast import FARMS, JUJUBE, LAB, PACKING_STATION
from traceability.events._events import (
    Grading,
    Harvest,
    InputApplication,
    Release,
    ResidueTest,
)
from traceability.events._quality import Assessment, Training

__all__ = ["JUJUBE_LOTS", "record_autumn"]

#: The jujube harvest lot and its graded lots (``-SU`` and ``-G1`` released, ``-PR`` to
#: processing).
JUJUBE_LOTS = ("JJ26-H01", "JJ26-H01-SU", "JJ26-H01-G1", "JJ26-H01-PR")

Write = Callable[..., None]
At = Callable[..., str]


def _ref(lot: str) -> dict[str, str]:
    return {"gtin": JUJUBE.gtin, "lot": lot}


def _quality(brix: str, moisture: str, defects: str) -> list[dict[str, str]]:
    return [
        {"indicator": "brix", "value": brix},
        {"indicator": "moisture", "value": moisture},
        {"indicator": "defects", "value": defects},
    ]


def record_autumn(w: Write, refused: list[str], at: At) -> None:
    """Record the jujube season through ``w`` (actor, model, count, **body); list refusals.

    Args:
        w: The season's writer: signs with the actor's key, records, counts.
        refused: Where a refused event's message goes (nothing was appended for it).
        at: ``at(days, minutes)`` -> an RFC 3339 time relative to the first harvest morning.
    """
    aysha, lihua = FARMS[0], FARMS[2]
    plot = aysha.plots[1]
    w("coop-admin", Training, "trainings", farm=aysha.farm, grower=aysha.grower,
      course="红枣病虫害绿色防控 jujube integrated pest management", hours="6",
      trainer="疏附县农技站 Shufu extension station", time=at(-50))  # fmt: skip
    w("coop-admin", Assessment, "assessments", farm=aysha.farm, grower=aysha.grower,
      assessment="GAP-2026-011", topic="gap_basics", outcome="pass", valid_until="2027-02-28",
      assessor="疏附县农技站 Shufu extension station", time=at(-45))  # fmt: skip
    for days, dose in ((-60, "18000"), (-30, "14000")):  # 32,000 kg/ha: the profile's 30,000
        w(aysha.grower_actor, InputApplication, "fertiliser applications", plot=plot,
          category="fertiliser", product_name="腐熟羊粪 composted sheep manure",
          active_substance="organic matter", dose=dose, dose_unit="kg/ha", time=at(days),
          operator=aysha.grower_actor)  # fmt: skip
    harvest: dict[str, Any] = {
        "lot": _ref("JJ26-H02"),
        "plot": lihua.plots[0],
        "variety": "骏枣 Junzao",
        "quantity": "300",
        "time": at(130, 60),
    }
    try:  # Li Hua was never assessed: the harvest is refused, naming him
        w(lihua.grower_actor, Harvest, "harvests", **harvest)
    except LifecycleError as e:
        refused.append(f"harvest JJ26-H02 on {at(130)[:10]}: {e}")
    harvest |= {"lot": _ref(JUJUBE_LOTS[0]), "plot": plot, "quantity": "600", "time": at(130)}
    w(aysha.grower_actor, Harvest, "harvests", **harvest)
    _grade(w, at)
    results = [
        {"substance": "carbendazim", "value": "0.040", "loq": "0.01"},
        {"substance": "imidacloprid", "value": "<LOQ", "loq": "0.01"},
    ]
    w("kashgar-lab", ResidueTest, "residue tests", lot=_ref(JUJUBE_LOTS[0]),
      sample_id="S26-JJ01", lab=LAB, method="GB 23200.113-2018 (GC-MS/MS)", results=results,
      time=at(133))  # fmt: skip
    for lot in JUJUBE_LOTS[1:3]:
        w("coop-admin", Release, "releases", lot=_ref(lot),
          note="农残检测合格 residue tests passed", time=at(135))  # fmt: skip


def _grade(w: Write, at: At) -> None:
    outputs = [
        {
            "lot": _ref(JUJUBE_LOTS[1]),
            "grade": "super",
            "quantity": "250",
            "measures": ["88", "92", "96"],
            "quality": _quality("29.1", "22.5", "2"),
        },
        {
            "lot": _ref(JUJUBE_LOTS[2]),
            "grade": "grade_1",
            "quantity": "250",
            "measures": ["105", "118", "124"],
            "quality": _quality("26.4", "24", "4"),
        },
        {
            "lot": _ref(JUJUBE_LOTS[3]),
            "grade": "processing",
            "quantity": "80",
            "measures": ["210"],
        },
    ]
    w("packing-shed", Grading, "gradings", input=_ref(JUJUBE_LOTS[0]), outputs=outputs,
      site=PACKING_STATION, time=at(131))  # fmt: skip
