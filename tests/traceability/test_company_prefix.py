"""GS1 company prefixes as master data on the ledger: declared, read, enforced, replayed."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from tests.traceability.conftest import Coop, ev
from traceability import (
    Cooperative,
    LifecycleError,
    Product,
    Role,
    ValidationError,
    matching_prefix,
    reindex,
)
from traceability.projection import _schema as t

# The fixture's products: 06912345678902 and 06912345678919, both under GCP 6912345678.
BODY = {"name_zh": "喀什果农合作社", "address": "托克扎克镇", "county": "疏附县"}
OURS = "691234567"
OTHER_GTIN = "06923456780019"  # another company's GTIN (GCP 692345678)


def _declare(coop: Coop, *prefixes: str) -> int:
    return coop.record(
        Role.COOPERATIVE, Cooperative.from_body(BODY | {"company_prefixes": list(prefixes)})
    )


def test_declared_prefixes_are_read_back_and_survive_reindex(coop: Coop) -> None:
    assert coop.projection.company_prefixes() == ()
    _declare(coop, OURS, "6999999")
    reindex(coop.ledger)
    assert coop.projection.company_prefixes() == ("691234567", "6999999")


def test_a_product_outside_the_prefixes_is_refused_naming_them(coop: Coop) -> None:
    _declare(coop, OURS)
    size = coop.ledger.size()
    with pytest.raises(LifecycleError) as refused:
        coop.record(
            Role.COOPERATIVE, ev(Product, gtin=OTHER_GTIN, commodity="strawberry", name="x")
        )
    assert refused.value.rule == "product-in-company-prefixes"
    assert refused.value.params == {"gtin": OTHER_GTIN, "prefixes": OURS}
    assert coop.ledger.size() == size  # nothing appended


def test_a_product_inside_the_prefixes_is_recorded(coop: Coop) -> None:
    _declare(coop, OURS)
    inside = "16912345670019"  # a case-level GTIN (indicator 1) of the same company
    coop.record(Role.COOPERATIVE, ev(Product, gtin=inside, commodity="strawberry", name="箱"))
    assert inside in {p.gtin for p in coop.projection.products()}


def test_without_declared_prefixes_any_gtin_is_still_accepted(coop: Coop) -> None:
    coop.record(Role.COOPERATIVE, ev(Product, gtin=OTHER_GTIN, commodity="strawberry", name="x"))
    assert OTHER_GTIN in {p.gtin for p in coop.projection.products()}


def test_prefixes_leaving_out_a_registered_product_are_refused(coop: Coop) -> None:
    size = coop.ledger.size()
    with pytest.raises(LifecycleError) as refused:
        _declare(coop, "692345678")
    assert refused.value.rule == "company-prefixes-cover-products"
    assert refused.value.params["gtin"] == "06912345678902"
    assert coop.ledger.size() == size
    assert coop.projection.company_prefixes() == ()


def test_a_later_entry_without_prefixes_keeps_them_and_one_with_prefixes_replaces(
    coop: Coop,
) -> None:
    _declare(coop, OURS)
    coop.record(Role.COOPERATIVE, Cooperative.from_body(BODY | {"name_en": "Renamed"}))
    assert coop.projection.company_prefixes() == (OURS,)
    _declare(coop, "6912345678")
    assert coop.projection.company_prefixes() == ("6912345678",)


@pytest.mark.parametrize(
    ("prefixes", "field"),
    [
        (["12345"], "company_prefixes[0]"),  # too short
        (["1234567890123"], "company_prefixes[0]"),  # too long
        (["69123456a"], "company_prefixes[0]"),  # not digits
        ([691234567], "company_prefixes[0]"),  # not a string: leading zeros would be lost
        ([OURS, OURS], "company_prefixes[1]"),  # twice
        ([OURS, "6912345678"], "company_prefixes[1]"),  # covered by the first
        (["6912345678", OURS], "company_prefixes[0]"),  # covered by the second
        ([], "company_prefixes"),
        ([f"69123{i:04d}" for i in range(9)], "company_prefixes"),  # more than a few
    ],
)
def test_malformed_prefixes_are_refused_naming_the_field(
    prefixes: list[object], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        Cooperative.from_body(BODY | {"company_prefixes": prefixes})
    assert refused.value.field == field


def test_only_the_cooperative_may_declare_prefixes(coop: Coop) -> None:
    from traceability import RoleError

    with pytest.raises(RoleError):
        coop.record(
            Role.PACKING_STATION,
            Cooperative.from_body(BODY | {"company_prefixes": [OURS]}),
        )
    assert coop.projection.company_prefixes() == ()


def test_a_prefix_written_straight_into_the_database_is_caught_by_the_drift_check(
    coop: Coop,
) -> None:
    from traceability import ProjectionCheck

    _declare(coop, OURS)
    with coop.ledger.engine.begin() as conn:
        conn.execute(insert(t.company_prefixes), {"prefix": "692345678", "seq": 1})
    with ProjectionCheck(coop.ledger) as check:
        report = check.run()
    assert report.verdict == "drift"
    assert {d.table for d in report.drifts} == {"trace_company_prefixes"}


@pytest.mark.parametrize(
    ("gtin", "prefixes", "want"),
    [
        ("06912345670012", ["691234567"], "691234567"),
        ("06912345670012", ["0691234567"], None),  # the indicator digit is not the prefix
        ("16912345670019", ["691234567"], "691234567"),  # indicator 1: same company
        ("06912345670012", ["691234", "691234567"], "691234567"),  # the longest wins
        ("00614141000012", ["0614141"], "0614141"),  # a UPC's prefix carries its 0
        ("06912345670012", [], None),
    ],
)
def test_matching_prefix_reads_the_gtin13_form(
    gtin: str, prefixes: list[str], want: str | None
) -> None:
    assert matching_prefix(gtin, prefixes) == want
