"""Cold chain complete or says so; recalled goods received; MRL reloads keep other commodities."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from tests.traceability.conftest import DATA, STRAWBERRY, Coop, at, ev, ref
from traceability import (
    LifecycleError,
    LotStatus,
    MrlTable,
    Recall,
    Receiving,
    Role,
    load_mrl_csv,
)
from traceability.projection import _schema as t


def refused(coop: Coop, rule: str, step: Callable[[], Any]) -> LifecycleError:
    size = coop.ledger.size()
    with pytest.raises(LifecycleError) as caught:
        step()
    assert caught.value.rule.startswith(rule), caught.value
    assert coop.ledger.size() == size
    return caught.value


def shipped(coop: Coop, **kw: Any) -> None:
    coop.harvest()
    coop.cool("H1", minutes=40)
    coop.test("H1")
    coop.release("H1")
    coop.ship("SH1", ["H1"], **kw)


def test_shipping_events_own_readings_are_judged(coop: Coop) -> None:
    shipped(coop, readings=[{"time": at(190), "celsius": "15"}])
    state = coop.projection.lot(STRAWBERRY, "H1")
    assert state.status is LotStatus.ON_HOLD
    assert state.status_reason is not None
    assert "cold-chain-transport" in state.status_reason


def test_set_point_outside_the_profiles_range_holds(coop: Coop) -> None:
    shipped(coop, set_point_celsius="20")
    state = coop.projection.lot(STRAWBERRY, "H1")
    assert state.status is LotStatus.ON_HOLD
    assert state.status_reason is not None
    assert "set point 20 °C outside the allowed 0-8 °C" in state.status_reason


def test_a_recalled_shipment_is_received_into_quarantine(coop: Coop) -> None:
    shipped(coop)
    coop.record(Role.REGULATOR, ev(Recall, lot=ref("H1"), reason="spray", time=at(200)))
    seq = coop.record(
        Role.LOGISTICS, ev(Receiving, shipment="SH1", receiver="QUARANTINE-1", time=at(300))
    )
    with coop.ledger.engine.connect() as conn:
        ship = conn.execute(select(t.shipments)).one()
    assert (ship.status, ship.receiver, ship.received_seq) == ("recalled", "QUARANTINE-1", seq)
    assert coop.projection.lot(STRAWBERRY, "H1").status is LotStatus.RECALLED
    again = ev(Receiving, shipment="SH1", receiver="ELSEWHERE", time=at(310))
    refused(coop, "receive-requires-shipped", lambda: coop.record(Role.LOGISTICS, again))


def test_mrl_reload_dropping_a_commodity_is_refused(coop: Coop) -> None:
    table = load_mrl_csv(DATA / "mrl-sample.csv")
    only = [r for r in table.to_body()["rows"] if r["commodity"] == "strawberry"]
    reload = MrlTable.from_body(table.to_body() | {"rows": only})
    error = refused(coop, "mrl-edition-reload-keeps-commodities",
                    lambda: coop.record(Role.COOPERATIVE, reload))  # fmt: skip
    assert "jujube" in str(error)
    coop.record(Role.COOPERATIVE, table)  # the same commodities: replaces exactly its rows
