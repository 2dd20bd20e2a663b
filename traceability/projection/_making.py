"""Handlers for master data, rules, and the events that make or judge lots.

Cooperative, product, farm, site, profile/MRL, input, harvest, cooling, grading, residue test.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from traceability._errors import LifecycleError, ValidationError
from traceability.events._events import (
    Cooling,
    Cooperative,
    Farm,
    Grading,
    Harvest,
    InputApplication,
    Product,
    ResidueTest,
    Site,
)
from traceability.events._prefixes import matching_prefix
from traceability.projection import _schema as t
from traceability.projection._cache import read, write
from traceability.projection._cold_chain import new_precool_findings
from traceability.projection._holds import hold_forward, place_hold
from traceability.projection._quality import (
    QUALITY_HANDLERS,
    check_graded_lot,
    check_qualified,
    keep_dose,
    keep_measurements,
)
from traceability.projection._query import (
    commodity_of,
    find_lot,
    harvest_time,
    link,
    mrl_table,
    new_lot,
    profile_for,
    set_status,
    touch,
)
from traceability.projection._timing import advance_stage, after_made
from traceability.rules._holds import AUTOMATIC
from traceability.rules._lifecycle import Action, LotStatus, transition
from traceability.rules._tables import MrlTable, Profile, residue_verdict

__all__ = ["MAKING_HANDLERS"]

# --- handlers ------------------------------------------------------------------------------


def _cooperative(conn: Connection, seq: int, e: Cooperative) -> None:
    # One cooperative keeps the ledger: a later entry (a new name, a GLN) replaces the row.
    if e.company_prefixes is not None:
        _declare_prefixes(conn, seq, e.company_prefixes)
    conn.execute(t.cooperative.delete())
    row = e.model_dump(exclude={"company_prefixes"})
    conn.execute(insert(t.cooperative), {"id": 1, "seq": seq, **row})


def _declare_prefixes(conn: Connection, seq: int, prefixes: tuple[str, ...]) -> None:
    # Every product already registered must stay inside: a prefix set that leaves one out
    # would route its labels' scans to another log (or to none).
    for gtin, product_seq in conn.execute(select(t.products.c.gtin, t.products.c.seq)):
        if matching_prefix(gtin, prefixes) is None:
            raise LifecycleError(
                "company-prefixes-cover-products",
                f"GTIN {gtin} (product entry {product_seq}) is outside the company prefixes "
                f"{', '.join(prefixes)}",
                {"gtin": gtin, "entry": str(product_seq), "prefixes": ", ".join(prefixes)},
            )
    conn.execute(t.company_prefixes.delete())
    conn.execute(insert(t.company_prefixes), [{"prefix": p, "seq": seq} for p in prefixes])


def _product(conn: Connection, seq: int, e: Product) -> None:
    declared = [p for (p,) in conn.execute(select(t.company_prefixes.c.prefix))]
    if declared and matching_prefix(e.gtin, declared) is None:
        # A GTIN of someone else's prefix on this log: a typo, or labels that would resolve
        # to the other company's log in a deployment (docs/deployment.md).
        prefixes = ", ".join(sorted(declared))
        raise LifecycleError(
            "product-in-company-prefixes",
            f"GTIN {e.gtin} is outside the cooperative's company prefixes {prefixes}",
            {"gtin": e.gtin, "prefixes": prefixes},
        )
    row = conn.execute(select(t.products).where(t.products.c.gtin == e.gtin)).first()
    if row is not None and row.commodity != e.commodity:
        # Lots already made under this GTIN were judged by that commodity's profile.
        raise LifecycleError(
            "product-commodity-fixed",
            f"GTIN {e.gtin} is {row.commodity!r} since entry {row.seq}, not {e.commodity!r}",
            {"gtin": e.gtin, "commodity": row.commodity, "entry": row.seq, "new": e.commodity},
        )
    conn.execute(t.products.delete().where(t.products.c.gtin == e.gtin))  # a renamed product
    conn.execute(
        insert(t.products), {"gtin": e.gtin, "commodity": e.commodity, "name": e.name, "seq": seq}
    )


def _farm(conn: Connection, seq: int, e: Farm) -> None:
    if conn.execute(select(t.farms).where(t.farms.c.farm == e.farm)).first() is not None:
        raise LifecycleError(
            "farm-ids-unique", f"farm {e.farm} is already registered", {"farm": e.farm}
        )
    for plot in e.plots:
        if conn.execute(select(t.plots).where(t.plots.c.plot == plot)).first() is not None:
            raise LifecycleError(
                "plot-ids-unique", f"plot {plot} is already registered", {"plot": plot}
            )
        conn.execute(insert(t.plots), {"plot": plot, "farm": e.farm, "seq": seq})
    conn.execute(
        insert(t.farms),
        {
            "farm": e.farm,
            "grower": e.grower,
            "village": e.village,
            "county": e.county,
            "grower_actor": e.grower_actor,
            "phone": e.phone,
            "seq": seq,
        },
    )


def _site(conn: Connection, seq: int, e: Site) -> None:
    # A moved warehouse or a new phone number: the latest description replaces the row.
    conn.execute(t.sites.delete().where(t.sites.c.site == e.site))
    conn.execute(insert(t.sites), {"seq": seq, **e.model_dump()})


def _rule(conn: Connection, seq: int, e: Profile | MrlTable) -> None:
    if isinstance(e, MrlTable):
        _check_reload(conn, e)
    name = e.commodity if isinstance(e, Profile) else e.edition
    commodity = e.commodity if isinstance(e, Profile) else None
    body = json.dumps(e.to_body(), ensure_ascii=False, sort_keys=True)
    conn.execute(
        insert(t.rules),
        {"seq": seq, "kind": e.KIND, "name": name, "commodity": commodity, "body": body},
    )


def _check_reload(conn: Connection, e: MrlTable) -> None:
    """Refuse reloading an edition that would drop commodities the earlier entry listed.

    An edition's latest entry is the whole table (lookups read only it), so a reload that
    lists strawberry alone would silently drop walnut's limits: refused. A reload that lists
    every commodity the last one did replaces exactly its rows; a new edition gets a new name.
    """
    try:
        old_seq, old = mrl_table(conn, e.edition)
    except LifecycleError:
        return  # a new edition
    dropped = sorted({r.commodity for r in old.rows} - {r.commodity for r in e.rows})
    if dropped:
        raise LifecycleError(
            "mrl-edition-reload-keeps-commodities",
            f"edition {e.edition!r} (entry {old_seq}) lists {', '.join(dropped)}; this reload "
            "omits them: include their rows, or load the new table under a new edition name",
            {"edition": e.edition, "entry": old_seq, "dropped": ", ".join(dropped)},
        )


# Built once: building a statement per event cost about as much as running it.
PLOT = select(t.plots).where(t.plots.c.plot == bindparam("plot"))
PESTICIDES = select(t.inputs).where(
    t.inputs.c.plot == bindparam("plot"), t.inputs.c.category == "pesticide"
)


def require_plot(conn: Connection, plot: str) -> None:
    """Refuse a plot no farm entry registered (field ``plot``)."""
    if not read(conn, PLOT, {"plot": plot}):  # asked ahead by the batch (_prefetch)
        raise ValidationError("plot", "a plot registered with a trace.farm entry", plot)


def _input(conn: Connection, seq: int, e: InputApplication) -> None:
    require_plot(conn, e.plot)
    conn.execute(
        insert(t.inputs),
        {
            "seq": seq,
            "plot": e.plot,
            "category": e.category,
            "product_name": e.product_name,
            "substance": e.active_substance,
            "time": e.time.isoformat(),
        },
    )
    keep_dose(conn, seq, e)
    if e.category == "pesticide":
        _late_spray(conn, seq, e)


# Built once: a statement built per call cost about as much as running it (bench/trace.py).
_RESULTS = insert(t.results)

_PLOT_HARVESTS = select(t.lots.c.key, t.lots.c.commodity, t.lots.c.harvest_time).where(
    t.lots.c.plot == bindparam("plot"), t.lots.c.harvest_time.is_not(None)
)


def _phi_problem(
    profile: Profile, substance: str, applied: datetime, harvested: datetime, seq: int
) -> str | None:
    """Why a harvest at ``harvested`` breaks the pre-harvest interval of a spray, or None."""
    days = profile.pre_harvest_interval_days.get(substance.lower())
    if days is None:
        # No listed interval: compliance cannot be shown, so never a silent pass.
        return f"no pre-harvest interval listed for {substance} (entry {seq})"
    if applied <= harvested and (harvested - applied).total_seconds() < days * 86400:
        return (
            f"{substance} applied {applied.isoformat()} (entry {seq}) needs "
            f"{days} days before harvest"
        )
    return None


def _late_spray(conn: Connection, seq: int, e: InputApplication) -> None:
    """A spray recorded after the harvest it affects still holds the lot, and what it made.

    Evidence recorded late counts: the harvest lots of the plot picked inside the spray's
    pre-harvest interval are held at once, with everything made from them.
    """
    for lot in conn.execute(_PLOT_HARVESTS, {"plot": e.plot}).all():
        harvested = datetime.fromisoformat(lot.harvest_time)
        if harvested < e.time:
            continue  # picked before the spray: not affected
        profile_seq, profile = profile_for(conn, lot.commodity)
        problem = _phi_problem(profile, e.active_substance, e.time, harvested, seq)
        if problem is not None:
            rule = "pre-harvest-interval"
            reason = f"{rule} (profile entry {profile_seq}): {problem}; recorded late"
            hold_forward(conn, seq, lot.key, reason, rule=rule, failed=False)


def _harvest(conn: Connection, seq: int, e: Harvest) -> None:
    commodity = commodity_of(conn, e.lot.gtin, "lot.gtin")
    require_plot(conn, e.plot)
    profile_seq, profile = profile_for(conn, commodity)
    check_qualified(conn, profile_seq, profile, e.plot, e.time)
    problem = None
    params: dict[str, object] = {}
    for row in read(conn, PESTICIDES, {"plot": e.plot}):
        applied = datetime.fromisoformat(row.time)
        problem = _phi_problem(profile, row.substance, applied, e.time, row.seq)
        if problem:
            days = profile.pre_harvest_interval_days.get(row.substance.lower())
            params = {"substance": row.substance, "entry": row.seq, "days": days or ""}
            break
    rule = f"pre-harvest-interval (profile entry {profile_seq})"
    if problem and profile.phi_policy == "refuse":
        unlisted = params["days"] == ""
        raise LifecycleError(rule, problem, params, case="unlisted" if unlisted else None)
    key = new_lot(
        conn,
        seq,
        e.lot,
        commodity,
        origin_kind=e.KIND,
        plot=e.plot,
        harvest_time=e.time.isoformat(),
        quantity=format(e.quantity, "f"),
        unit=e.unit,
        made_time=e.time.isoformat(),
        stage_time=e.time.isoformat(),
    )
    if problem:
        place_hold(
            conn,
            seq,
            key,
            rule="pre-harvest-interval",
            authority=AUTOMATIC,
            actor=AUTOMATIC,
            reason=f"{rule}: {problem}",
        )
    touch(conn, seq, key)


def _cooling(conn: Connection, seq: int, e: Cooling) -> None:
    row = find_lot(conn, e.lot)
    transition(Action.COOL, LotStatus(row.status), row.key)
    touch(conn, seq, row.key)
    harvested = harvest_time(conn, row.key)
    profile_seq, profile = profile_for(conn, row.commodity)
    if harvested is not None:
        early = [r for r in e.readings if r.time < harvested]
        if early:
            # A core reading before the fruit was picked means the wrong lot or a wrong clock.
            raise ValidationError(
                "readings",
                f"times at or after the harvest ({harvested.isoformat()})",
                early[0].time.isoformat(),
            )
        advance_stage(conn, row, e.time, "cooling")
        # Judged across all the lot's cooling readings, not this event's alone.
        found = new_precool_findings(
            conn, seq, row.key, profile, harvested, e.readings, bool(e.more_readings)
        )
        if found:
            reason = f"cold-chain-precool (profile entry {profile_seq}): {found[0]}"
            hold_forward(conn, seq, row.key, reason, rule="cold-chain-precool", failed=False)


def _grading(conn: Connection, seq: int, e: Grading) -> None:
    row = find_lot(conn, e.input, "input")
    transition(Action.GRADE, LotStatus(row.status), row.key)
    advance_stage(conn, row, e.time, "grading")
    profile_seq, profile = profile_for(conn, row.commodity)
    total = sum((o.quantity for o in e.outputs), start=Decimal(0))
    if total > Decimal(row.quantity):
        raise LifecycleError(
            "grading-conserves-mass",
            f"outputs weigh {total}, the input lot only {row.quantity}",
            {"total": total, "quantity": row.quantity},
        )
    for i, out in enumerate(e.outputs):
        try:
            band = profile.band(out.grade)
        except ValidationError as error:
            raise ValidationError(f"outputs[{i}].grade", error.expected, error.got) from error
        if out.lot.gtin != row.gtin:
            commodity_of(conn, out.lot.gtin, f"outputs[{i}].lot.gtin")
        check_graded_lot(profile_seq, profile, band, i, out)
    set_status(conn, row.key, LotStatus.CONSUMED, seq)
    keys = [row.key]
    for out in e.outputs:
        key = new_lot(
            conn,
            seq,
            out.lot,
            row.commodity,
            origin_kind=e.KIND,
            grade=out.grade,
            quantity=format(out.quantity, "f"),
            unit=row.unit,
            made_time=e.time.isoformat(),
            stage_time=e.time.isoformat(),
        )
        link(conn, seq, row.key, key, e.KIND)
        keep_measurements(conn, seq, profile_seq, profile, key, out)
        keys.append(key)
    touch(conn, seq, *keys)


def _residue(conn: Connection, seq: int, e: ResidueTest) -> None:
    row = find_lot(conn, e.lot)
    transition(Action.TEST, LotStatus(row.status), row.key)
    after_made(row, e.time, "residue result")
    if e.sampled is not None:
        after_made(row, e.sampled, "residue sample")
    touch(conn, seq, row.key)
    _, profile = profile_for(conn, row.commodity)
    table_seq, table = mrl_table(conn, profile.mrl_edition)
    failures, rows = [], []
    for result in e.results:
        v = residue_verdict(result, row.commodity, table, table_seq)
        rows.append(
            {
                "seq": seq,
                "substance": v.substance,
                "lot": row.key,
                "value": v.value,
                "loq": v.loq,
                "limit": v.limit,
                "outcome": v.outcome,
                "rule_seq": v.rule_seq,
                "edition": v.edition,
                "reason": v.reason,
                "sample_id": e.sample_id,
                "lab": e.lab,
                "time": e.time.isoformat(),
            }
        )
        if v.outcome == "fail":
            failures.append(f"{v.substance} {v.reason}")
    if rows:
        for r in rows:  # queued: one executemany with the batch's other results (see _cache)
            write(conn, _RESULTS, r)
    if failures:
        # "Local retention": a failing result holds the lot and everything made from it.
        reason = f"residue-above-mrl ({table.edition}, entry {table_seq}): " + "; ".join(failures)
        hold_forward(conn, seq, row.key, reason, rule="residue-above-mrl", failed=True)


MAKING_HANDLERS: dict[type[Any], Any] = {
    Cooperative: _cooperative,
    Product: _product,
    Farm: _farm,
    Site: _site,
    Profile: _rule,
    MrlTable: _rule,
    InputApplication: _input,
    Harvest: _harvest,
    Cooling: _cooling,
    Grading: _grading,
    ResidueTest: _residue,
    **QUALITY_HANDLERS,
}
