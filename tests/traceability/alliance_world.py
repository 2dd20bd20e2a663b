"""Two cooperatives and the alliance's packing centre, each on its own log (issue 15).

Co-op A harvests, grades, tests, releases and ships a graded lot to the packing centre's
site ``PC1``; the centre takes it in (``trace.intake``, naming A's shipping entry and its
leaf hash), tests and releases it, and ships it on. Co-op B keeps a log of its own with a lot
on hold. Built by the traceability and the county page tests alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy

from ledger import Ledger, NoteSigner
from tests.ledger.conftest import Actor, LogWorld
from tests.traceability.conftest import Coop, at, ev, ref, setup_coop
from traceability import (
    Alliance,
    AllianceMember,
    Intake,
    Packing,
    Role,
)

A_ORIGIN = "coop-a.example/log"
B_ORIGIN = "coop-b.example/log"
CENTRE_ORIGIN = "alliance-centre.example/log"
CENTRE_SITE = "PC1"


def make_member(url: str, origin: str) -> Coop:
    """A cooperative's log with origin ``origin`` in database ``url`` (keys, farm, rules)."""
    root = Actor("root", origin=origin)
    signer = NoteSigner.generate(origin)
    ledger = Ledger.create(url, origin, root.key, signer, checkpoint_interval=timedelta(0))
    return setup_coop(LogWorld(url, root, signer, ledger))


def intake_of(source: Coop, seq: int, shipped: str, **kw: Any) -> Intake:
    """An intake of lot ``shipped`` of ``source``'s entry ``seq`` at the centre's site.

    As a tool builds it from the source entry; ``kw`` overrides fields.
    """
    record = source.ledger.entry(seq)
    fields: dict[str, Any] = {
        "lot": ref(f"C-{shipped}"),
        "quantity": "30",
        "site": CENTRE_SITE,
        "source_log": source.ledger.origin,
        "source_lot": ref(shipped),
        "source_shipment": record.statement.body.get("shipment", "NONE"),
        "source_seq": seq,
        "source_leaf": record.leaf_hash().hex(),
        "time": at(300),
    }
    return ev(Intake, **(fields | kw))


@dataclass
class County:
    """The three members, what moved between them, and the alliance over them."""

    a: Coop
    b: Coop
    centre: Coop
    shipped_seq: int  # A's shipping entry of G1 to the centre
    intake_seq: int  # the centre's intake of it

    def alliance(self) -> Alliance:
        return Alliance(
            [
                AllianceMember("coop-a", self.a.ledger, self.a.projection),
                AllianceMember("coop-b", self.b.ledger, self.b.projection),
                AllianceMember("centre", self.centre.ledger, self.centre.projection),
            ]
        )


def build_county(a_url: str, b_url: str, centre_url: str) -> County:
    """Record the season described in the module docstring."""
    a = make_member(a_url, A_ORIGIN)
    a.harvest("H1")
    a.cool("H1")
    a.grade("H1", {"G1": ("grade_1", "40", ["31", "32"]), "G2": ("grade_2", "30", ["27"])})
    a.test("G1")
    a.release("G1")
    shipped = a.ship("SH-A1", ["G1"], destination=CENTRE_SITE)
    b = make_member(b_url, B_ORIGIN)
    b.harvest("BH1")
    b.cool("BH1")
    b.test("BH1", {"chlorpyrifos": "0.5"})  # over its limit: held at once
    centre = make_member(centre_url, CENTRE_ORIGIN)
    taken = centre.record(Role.PACKING_STATION, intake_of(a, shipped, "G1"))
    centre.test("C-G1", minutes=320)
    centre.release("C-G1", minutes=330)
    centre.record(
        Role.PACKING_STATION,
        ev(Packing, unit_id="PAL-1", lots=[ref("C-G1")], site=CENTRE_SITE, time=at(335)),
    )
    centre.ship("SH-C1", ["C-G1"], minutes=340, origin=CENTRE_SITE, destination="URUMQI-DC")
    return County(a, b, centre, shipped, taken)


@contextmanager
def fresh_databases(server: str, *names: str) -> Iterator[list[str]]:
    """Databases ``names`` created empty on the PostgreSQL ``server``, dropped afterwards.

    Named after the branch (``county_...``) so that other suites on the server never clash.
    """
    admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
    base = server.split("?", 1)[0].rsplit("/", 1)[0]
    try:
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
        yield [f"{base}/{name}" for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()
