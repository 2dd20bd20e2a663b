"""Handlers and checks for sampling plans, labs and samples (issue 14).

- ``trace.lab``: the signing key enrols itself for a lab; the key must hold the ``lab`` role
  and no other (a key the cooperative uses for itself is no lab's), and a lab's name and
  accreditation are recorded once (a later key of the same lab must repeat them).
- ``trace.lab_approval``: a regulator approves one enrolment, naming the lab and key id.
- ``trace.sample``: taken by an approved lab (its key, its lab id) or by a regulator.
- ``trace.residue``: refused unless signed by an approved lab key; a result naming a
  recorded sample must be of that sample's lot, after it was taken. Each result entry's
  lab, sample and sampler are kept in ``trace_result_sources``.
- ``trace.sampling_plan``: the latest entry per plan id; the release gate asks
  :func:`check_plans`.

Decision record: docs/adr/0020-independent-labs-and-sampling-plans.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from traceability._errors import LifecycleError, RoleError, ValidationError
from traceability.events._events import ResidueTest
from traceability.events._sampling import LabApproval, LabEnrolment, Sample, SamplingPlan
from traceability.projection import _schema as t
from traceability.projection._cache import active, read, write
from traceability.projection._lineage import ancestors
from traceability.projection._query import find_lot, touch
from traceability.projection._timing import after_made
from traceability.rules._actors import Role
from traceability.rules._refusals import lot_code
from traceability.rules._sampling import PlanRule, SampleTaken, overdue

__all__ = [
    "KEY_HANDLERS",
    "SAMPLING_HANDLERS",
    "Signer",
    "check_plans",
    "check_residue_signer",
    "lot_origin",
    "plan_rules",
    "record_result_source",
    "samples_taken",
]


@dataclass(frozen=True)
class Signer:
    """Who signed an entry: the key id, its registration's actor name and roles."""

    key_id: str
    actor: str
    roles: tuple[str, ...]


_LOT_ROWS = select(t.lots.c.key, t.lots.c.plot).where(
    t.lots.c.key.in_(bindparam("keys", expanding=True))
)
_FARMS = select(t.plots.c.farm).where(t.plots.c.plot.in_(bindparam("plots", expanding=True)))


def lot_origin(conn: Connection, key: str) -> tuple[frozenset[str], frozenset[str]]:
    """Return the farms and plots lot ``key`` was grown on (through every lot it came from)."""
    keys = ancestors(conn, key)
    cache = active(conn)
    plots: set[str] = set()
    uncached = []
    for k in keys:
        row = None if cache is None else cache.lot(k)
        if row is None:
            uncached.append(k)
        elif row.plot is not None:
            plots.add(row.plot)
    if uncached:
        plots |= {r.plot for r in conn.execute(_LOT_ROWS, {"keys": uncached}) if r.plot}
    farms = {r.farm for r in conn.execute(_FARMS, {"plots": sorted(plots)})} if plots else set()
    return frozenset(farms), frozenset(plots)


_LAB_KEY = select(t.lab_keys).where(t.lab_keys.c.key_id == bindparam("key_id"))


def _approved(conn: Connection, key_id: str, seq: int) -> Any:
    """The lab enrolment of ``key_id`` approved before entry ``seq``, or None."""
    # Asked once per batch: every residue result of a batch names the same few lab keys.
    row = next(iter(read(conn, _LAB_KEY, {"key_id": key_id})), None)
    if row is None or row.approved_seq is None or row.approved_seq >= seq:
        return None
    return row


def _not_a_lab(kind: str, signer: Signer, why: str) -> RoleError:
    return RoleError(
        kind,
        signer.roles,
        f"{kind} must be signed by a lab key the regulator approved (trace.lab signed by the "
        f"lab's own key, then trace.lab_approval); {signer.actor}'s key {signer.key_id} {why}",
    )


#: A sample by its id (read through the batch's memo: :mod:`traceability.projection._prefetch`).
SAMPLE = select(t.samples).where(t.samples.c.sample_id == bindparam("sample_id"))


def check_residue_signer(
    conn: Connection, seq: int, e: ResidueTest, signer: Signer
) -> tuple[Any, Any]:
    """Refuse a residue result not signed by an approved lab key; return its lab and sample.

    Raises:
        RoleError: the key has no approved lab enrolment.
        ValidationError: ``sample_id`` names a recorded sample of another lot, or the
            result is dated before the sample was taken.
    """
    lab = _approved(conn, signer.key_id, seq)
    if lab is None:
        raise _not_a_lab(e.KIND, signer, "is no approved lab's")
    sample = next(iter(read(conn, SAMPLE, {"sample_id": e.sample_id})), None)
    if sample is not None:
        key = find_lot(conn, e.lot).key
        if sample.lot != key:
            raise ValidationError(
                "sample_id", f"a sample of lot {lot_code(key)}", f"{e.sample_id} of {sample.lot}"
            )
        if e.time < datetime.fromisoformat(sample.time):
            raise ValidationError("time", f"a time at or after the sample ({sample.time})", e.time)
    return lab, sample


_RESULT_SOURCE = insert(t.result_sources)


def record_result_source(conn: Connection, seq: int, lab: Any, sample: Any, key_id: str) -> None:
    """Keep who stands behind residue entry ``seq``: the lab, the sample and its taker."""
    write(
        conn,
        _RESULT_SOURCE,
        {
            "seq": seq,
            "lab": lab.lab,
            "key_id": key_id,
            "sample_id": sample.sample_id if sample is not None else "",
            "taken_by": sample.taken_by if sample is not None else "lab",
            "sampler": sample.sampler if sample is not None else None,
            "sample_seq": sample.seq if sample is not None else None,
        },
    )


def _lab(conn: Connection, seq: int, e: LabEnrolment, signer: Signer) -> None:
    if set(signer.roles) != {Role.LAB.value}:
        # A lab's key is the lab's alone: a key that also records as the cooperative (or
        # anyone else) is one the cooperative holds.
        raise RoleError(
            e.KIND,
            signer.roles,
            f"a lab enrols a key registered with the lab role only; {signer.actor}'s key "
            f"{signer.key_id} has {', '.join(signer.roles)}",
        )
    known = conn.execute(select(t.lab_keys).where(t.lab_keys.c.key_id == signer.key_id)).first()
    if known is not None:
        raise ValidationError("lab", "a key not enrolled before", f"{signer.key_id} ({known.lab})")
    same = conn.execute(select(t.lab_keys).where(t.lab_keys.c.lab == e.lab)).first()
    if same is not None and (same.name, same.accreditation) != (e.name, e.accreditation):
        # Recorded once: a lab's next key repeats who it is, it cannot rename the lab.
        raise ValidationError(
            "accreditation" if same.name == e.name else "name",
            f"lab {e.lab} as enrolled at entry {same.seq}: {same.name}, {same.accreditation}",
            f"{e.name}, {e.accreditation}",
        )
    conn.execute(
        insert(t.lab_keys),
        {
            "key_id": signer.key_id,
            "lab": e.lab,
            "name": e.name,
            "accreditation": e.accreditation,
            "actor": signer.actor,
            "seq": seq,
            "time": e.time.isoformat(),
        },
    )


def _approval(conn: Connection, seq: int, e: LabApproval, signer: Signer) -> None:
    row = conn.execute(select(t.lab_keys).where(t.lab_keys.c.key_id == e.key_id)).first()
    if row is None or row.lab != e.lab:
        raise ValidationError("key_id", f"a key enrolled for lab {e.lab} (trace.lab)", e.key_id)
    if row.approved_seq is not None:
        raise ValidationError("key_id", "an enrolment not approved yet", row.approved_seq)
    if e.time < datetime.fromisoformat(row.time):
        raise ValidationError("time", f"a time at or after the enrolment ({row.time})", e.time)
    conn.execute(
        update(t.lab_keys)
        .where(t.lab_keys.c.key_id == e.key_id)
        .values(approved_seq=seq, approved_by=signer.actor)
    )


def _sample(conn: Connection, seq: int, e: Sample, signer: Signer) -> None:
    if e.taken_by == "regulator":
        if Role.REGULATOR.value not in signer.roles:
            raise RoleError(
                e.KIND,
                signer.roles,
                f"a regulator's sample is signed by a regulator key; {signer.actor}'s has "
                f"{', '.join(signer.roles)}",
            )
    else:
        lab = _approved(conn, signer.key_id, seq)
        if lab is None:
            raise _not_a_lab(e.KIND, signer, "is no approved lab's")
        if lab.lab != e.lab:
            raise ValidationError("lab", f"the signing lab's id {lab.lab}", e.lab)
    enrolled = select(t.lab_keys.c.lab).where(t.lab_keys.c.lab == e.lab)
    if e.lab is not None and e.taken_by == "regulator" and conn.execute(enrolled).first() is None:
        raise ValidationError("lab", "a lab enrolled on this ledger (trace.lab)", e.lab)
    if conn.execute(select(t.samples.c.seq).where(t.samples.c.sample_id == e.sample_id)).first():
        raise ValidationError("sample_id", "a sample id not recorded before", e.sample_id)
    row = find_lot(conn, e.lot)
    after_made(row, e.time, "sample")
    farms, plots = lot_origin(conn, row.key)
    conn.execute(
        insert(t.samples),
        {
            "sample_id": e.sample_id,
            "lot": row.key,
            "gtin": row.gtin,
            "taken_by": e.taken_by,
            "lab": e.lab,
            "sampler": e.sampler,
            "actor": signer.actor,
            "analyses": json.dumps(sorted(e.analyses)),
            "plots": json.dumps(sorted(plots)),
            "farms": json.dumps(sorted(farms)),
            "time": e.time.isoformat(),
            "seq": seq,
        },
    )
    touch(conn, seq, row.key)


def _plan(conn: Connection, seq: int, e: SamplingPlan) -> None:
    if conn.execute(select(t.products.c.gtin).where(t.products.c.gtin == e.gtin)).first() is None:
        raise ValidationError("gtin", "a product recorded on this ledger", e.gtin)
    if e.farm is not None and (
        conn.execute(select(t.farms.c.farm).where(t.farms.c.farm == e.farm)).first() is None
    ):
        raise ValidationError("farm", "a farm recorded on this ledger", e.farm)
    if e.plot is not None and (
        conn.execute(select(t.plots.c.plot).where(t.plots.c.plot == e.plot)).first() is None
    ):
        raise ValidationError("plot", "a plot recorded on this ledger", e.plot)
    conn.execute(t.sampling_plans.delete().where(t.sampling_plans.c.plan == e.plan))
    conn.execute(
        insert(t.sampling_plans),
        {
            "plan": e.plan,
            "gtin": e.gtin,
            "farm": e.farm,
            "plot": e.plot,
            "every_days": e.every_days,
            "analyses": json.dumps(sorted(e.analyses)),
            "start": e.time.isoformat(),
            "ends": e.ends.isoformat() if e.ends is not None else None,
            "seq": seq,
        },
    )


_PLANS = select(t.sampling_plans).order_by(t.sampling_plans.c.plan)
_PLANS_OF = _PLANS.where(t.sampling_plans.c.gtin == bindparam("gtin"))


def plan_rules(conn: Connection, gtin: str | None = None) -> list[PlanRule]:
    """Return the sampling plans in force on the ledger (of ``gtin``, or all)."""
    # Asked once per batch and product: every release checks the plans.
    rows = conn.execute(_PLANS).all() if gtin is None else read(conn, _PLANS_OF, {"gtin": gtin})
    return [
        PlanRule(
            plan=r.plan,
            gtin=r.gtin,
            farm=r.farm,
            plot=r.plot,
            every_days=r.every_days,
            analyses=frozenset(json.loads(r.analyses)),
            start=datetime.fromisoformat(r.start),
            ends=datetime.fromisoformat(r.ends) if r.ends else None,
            seq=r.seq,
        )
        for r in rows
    ]


def samples_taken(conn: Connection, gtin: str | None = None) -> list[SampleTaken]:
    """Return the recorded samples (of lots of ``gtin``, or all) as the rules read them."""
    query = select(t.samples)
    if gtin is not None:
        query = query.where(t.samples.c.gtin == gtin)
    return [
        SampleTaken(
            sample_id=r.sample_id,
            gtin=r.gtin,
            farms=frozenset(json.loads(r.farms)),
            plots=frozenset(json.loads(r.plots)),
            analyses=frozenset(json.loads(r.analyses)),
            time=datetime.fromisoformat(r.time),
        )
        for r in conn.execute(query)
    ]


def check_plans(conn: Connection, row: Any, when: datetime, action: str) -> None:
    """Refuse ``action`` on lot ``row`` at ``when`` while a plan covering it is overdue.

    Raises:
        LifecycleError: ``sampling-plan-overdue`` naming the plan and the missed due time.
    """
    plans = plan_rules(conn, row.gtin)
    if not plans:
        return
    farms, plots = lot_origin(conn, row.key)
    covering = [p for p in plans if p.covers(row.gtin, farms, plots)]
    if not covering:
        return
    samples = samples_taken(conn, row.gtin)
    for plan in covering:
        due = overdue(plan, samples, when)
        if due is not None:
            raise LifecycleError(
                f"sampling-plan-overdue (plan entry {plan.seq})",
                f"cannot {action} lot {row.key}: sampling plan {plan.plan} needed a sample "
                f"by {due.isoformat()} (every {plan.every_days} days) and has none since",
                {"action": action, "lot": lot_code(row.key), "plan": plan.plan,
                 "due": due.isoformat()},
            )  # fmt: skip


#: Handlers that need the signer's key id (labs are known by their key, not their name).
KEY_HANDLERS: dict[type[Any], Any] = {
    LabEnrolment: _lab,
    LabApproval: _approval,
    Sample: _sample,
}
#: Handlers that need only the entry.
SAMPLING_HANDLERS: dict[type[Any], Any] = {SamplingPlan: _plan}
