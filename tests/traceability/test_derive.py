"""The pure re-derivation of a lot's banner and facts from statement bodies."""

from __future__ import annotations

from typing import Any

from traceability._derive import derive_lot

G = "06912345678902"


def ref(lot: str) -> dict[str, str]:
    return {"gtin": G, "lot": lot}


HARVEST = (1, "trace.harvest", {"lot": ref("H"), "plot": "P1", "time": "2026-06-01T08:00:00+08:00"})
GRADING = (
    3,
    "trace.grading",
    {"input": ref("H"), "outputs": [{"lot": ref("G"), "grade": "super", "quantity": "5"}]},
)
TEST = (
    2,
    "trace.residue",
    {
        "lot": ref("H"),
        "lab": "Lab",
        "sample_id": "S1",
        "results": [{"substance": "chlorpyrifos", "value": "<LOQ", "loq": "0.01"}],
    },
)
RELEASE = (5, "trace.release", {"lot": ref("G")})


def derive(*entries: tuple[int, str, dict[str, Any]]) -> Any:
    return derive_lot(G, "G", entries)


def test_released_graded_lot_is_verified_with_its_facts() -> None:
    lot = derive(HARVEST, TEST, GRADING, RELEASE)
    assert (lot.banner, lot.because, lot.grade, lot.harvested) == (
        "verified",
        5,
        "super",
        "2026-06-01",
    )
    assert lot.plots == ("P1",)
    assert lot.residues == ("chlorpyrifos <LOQ (0.01 mg/kg)",)
    assert lot.labs == ("Lab, sample S1",)


def test_recall_of_the_harvest_lot_reaches_the_graded_lot_even_after_release() -> None:
    lot = derive(HARVEST, GRADING, RELEASE, (9, "trace.recall", {"lot": ref("H")}))
    assert (lot.banner, lot.because) == ("recalled", 9)


def test_a_recall_is_final_a_later_release_does_not_lift_it() -> None:
    recall = (6, "trace.recall", {"lot": ref("G")})
    assert (
        derive(HARVEST, GRADING, RELEASE, recall, (7, "trace.release", {"lot": ref("G")})).banner
        == "recalled"
    )


def test_hold_after_release_holds_and_a_later_release_lifts_it() -> None:
    hold = (6, "trace.hold", {"lot": ref("G")})
    assert derive(HARVEST, GRADING, RELEASE, hold).banner == "on_hold"
    assert (
        derive(HARVEST, GRADING, RELEASE, hold, (7, "trace.release", {"lot": ref("G")})).banner
        == "verified"
    )


def test_a_hold_of_the_input_before_grading_does_not_reach_the_graded_lot() -> None:
    early = (2, "trace.hold", {"lot": ref("H")})
    late = (6, "trace.hold", {"lot": ref("H")})
    assert derive(HARVEST, early, GRADING, RELEASE).banner == "verified"
    assert derive(HARVEST, GRADING, RELEASE, late).banner == "on_hold"


def test_without_a_release_the_lot_is_not_verified() -> None:
    assert derive(HARVEST, GRADING).banner == "on_hold"


def test_a_sibling_lots_recall_does_not_reach_this_lot() -> None:
    sibling = (6, "trace.recall", {"lot": ref("OTHER")})
    assert derive(HARVEST, GRADING, RELEASE, sibling).banner == "verified"
