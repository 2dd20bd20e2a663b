"""The sale gate: one check before a lot is released, labelled or certified.

"Listed only after passing", over composition: a lot passes when it was itself tested and
its latest result for every substance its commodity's profile requires is a pass, or when
every lot it was made from passes (through any depth of grading, blending, processing),
each judged by its own commodity's profile. A blend of 10 kg of a tested lot and 500 kg of
a never-tested one does not pass: the refusal names the untested input and its share of the
mass. Shares follow the recorded quantities (a graded lot is all of its one input; a
processed lot's inputs weigh in by their quantities, equally when their units differ).

Also refused here: a lot with a failing residue result in its history not lifted by a
re-test or a regulator's decision, a processing-grade lot offered for fresh sale, a
decision dated before the results it relies on, and the release of a lot a sampling plan
covers while that plan is overdue (:func:`traceability.projection._sampling.check_plans`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, select

from traceability._errors import LifecycleError
from traceability.projection import _schema as t
from traceability.projection._cache import active
from traceability.projection._lineage import ancestors
from traceability.projection._query import profile_for
from traceability.projection._sampling import check_plans
from traceability.rules._lifecycle import Action, LotStatus, transition
from traceability.rules._refusals import lot_code

__all__ = [
    "Gap",
    "check_issue",
    "check_sale",
    "composition_gaps",
    "missing_stages",
]

_RESULTS = select(
    t.results.c.lot, t.results.c.substance, t.results.c.outcome, t.results.c.seq, t.results.c.time
).where(t.results.c.lot.in_(bindparam("keys", expanding=True)))
_EDGES = select(t.edges.c.parent, t.edges.c.child).where(
    t.edges.c.child.in_(bindparam("keys", expanding=True))
)
_LOTS = select(
    t.lots.c.key, t.lots.c.commodity, t.lots.c.quantity, t.lots.c.unit, t.lots.c.grade
).where(t.lots.c.key.in_(bindparam("keys", expanding=True)))


@dataclass(frozen=True)
class Gap:
    """An input lot that contributes mass without passing its commodity's required tests.

    Attributes:
        lot: the input lot's key (the gated lot itself when it has no inputs).
        share: the fraction of the gated lot's mass it contributes (0 < share <= 1).
        missing: the required substances it has no passing latest result for.
    """

    lot: str
    share: Decimal
    missing: tuple[str, ...]


def _results(conn: Connection, keys: list[str]) -> list[Any]:
    """The residue results of lots ``keys`` (all lots of this batch: its cached rows)."""
    cache = active(conn)
    if cache is not None:
        made = [cache.made(t.results.name, "lot", k) for k in keys]
        if all(m is not None for m in made):
            return [r for m in made if m is not None for r in m]
    return list(conn.execute(_RESULTS, {"keys": keys}).all())


def composition_gaps(conn: Connection, key: str) -> tuple[list[Gap], datetime | None]:
    """Return the untested inputs of ``key`` and the time of the latest result relied on."""
    keys = ancestors(conn, key)
    latest: dict[str, dict[str, Any]] = defaultdict(dict)
    for r in sorted(_results(conn, keys), key=lambda r: r.seq):
        latest[r.lot][r.substance.lower()] = r  # later entries replace earlier ones
    parents: dict[str, list[str]] = defaultdict(list)
    if len(keys) == 2:
        parents[key] = [keys[1]]  # one input (a graded lot): no need to ask
    elif len(keys) > 2:
        for edge in conn.execute(_EDGES, {"keys": keys}):
            parents[edge.child].append(edge.parent)
    cache = active(conn)
    lots: dict[str, Any]
    cached = [] if cache is None else [cache.lot(k) for k in keys]
    if cached and all(c is not None for c in cached):
        lots = {c.key: c for c in cached if c is not None}  # read or written in this batch
    else:
        lots = {r.key: r for r in conn.execute(_LOTS, {"keys": keys})}
    shares: dict[str, Decimal] = defaultdict(Decimal)
    missing_of: dict[str, tuple[str, ...]] = {}
    relied: list[datetime] = []

    def walk(k: str, share: Decimal) -> None:
        _, profile = profile_for(conn, lots[k].commodity)
        results = latest.get(k, {})
        missing = tuple(
            s
            for s in profile.required_substances
            if (r := results.get(s.lower())) is None or r.outcome != "pass"
        )
        if not missing:
            relied.extend(
                datetime.fromisoformat(results[s.lower()].time)
                for s in profile.required_substances
                if results[s.lower()].time
            )
            return
        inputs = sorted(parents.get(k, ()))
        if not inputs:
            shares[k] += share
            missing_of[k] = missing
            return
        units = {lots[p].unit for p in inputs}
        weights = [Decimal(lots[p].quantity) if len(units) == 1 else Decimal(1) for p in inputs]
        total = sum(weights, start=Decimal(0))
        for p, w in zip(inputs, weights, strict=True):
            walk(p, share * w / total)

    walk(key, Decimal(1))
    gaps = [Gap(k, s, missing_of[k]) for k, s in sorted(shares.items(), key=lambda i: -i[1])]
    return gaps, max(relied, default=None)


def check_sale(conn: Connection, row: Any, when: datetime, action: str) -> None:
    """Refuse ``action`` (release, label, certify) of lot ``row`` at ``when`` unless it passes.

    Raises:
        LifecycleError: ``release-refused-after-failed-residue``,
            ``processing-grade-not-for-sale``, ``release-requires-passed-tests`` (names the
            untested input and its share of the mass), ``decision-after-results`` or, for a
            release, ``sampling-plan-overdue``.
    """
    if row.failed:
        raise LifecycleError(
            "release-refused-after-failed-residue",
            f"cannot {action} lot {row.key}: it or a lot it came from failed a residue test "
            f"({row.status_reason}); a passing re-test or a regulator's decision must lift it",
            {"action": action, "lot": lot_code(row.key)},
        )
    profile_seq, profile = profile_for(conn, row.commodity)
    if row.grade is not None and row.grade in profile.processing_grades:
        raise LifecycleError(
            f"processing-grade-not-for-sale (profile entry {profile_seq})",
            f"cannot {action} lot {row.key}: grade {row.grade} goes to processing only",
            {"action": action, "lot": lot_code(row.key), "grade": row.grade},
        )
    gaps, relied = composition_gaps(conn, row.key)
    if gaps:
        gap = gaps[0]
        whose = "it" if gap.lot == row.key else f"input {gap.lot} ({gap.share:.1%} of the mass)"
        others = f"; {len(gaps) - 1} more untested input(s)" if len(gaps) > 1 else ""
        raise LifecycleError(
            "release-requires-passed-tests",
            f"cannot {action} lot {row.key}: {whose} has no passing result for "
            f"{', '.join(gap.missing)}{others}",
            {
                "action": action,
                "lot": lot_code(row.key),
                "input": lot_code(gap.lot),
                "share": f"{gap.share:.0%}",
                "missing": ", ".join(gap.missing),
                "more": len(gaps) - 1,
            },
            case="self" if gap.lot == row.key else None,
        )
    if action == "release":
        # Release only: a lot released while its plan was kept stays labelable.
        check_plans(conn, row, when, action)
    if relied is not None and when < relied:
        raise LifecycleError(
            "decision-after-results",
            f"cannot {action} lot {row.key} at {when.isoformat()}: it relies on a result "
            f"dated {relied.isoformat()}",
            {
                "action": action,
                "lot": lot_code(row.key),
                "time": when.isoformat(),
                "relied": relied.isoformat(),
            },
        )


def check_issue(conn: Connection, row: Any, when: datetime, action: str) -> None:
    """The one gate for labels and certificates: released, and passing the sale gate now.

    Raises:
        LifecycleError: ``label-requires-released`` (on hold, recalled, not yet released) or
            any refusal of :func:`check_sale`.
    """
    transition(Action.LABEL, LotStatus(row.status), row.key)
    check_sale(conn, row, when, action)
    stages = missing_stages(conn, row.key)
    if stages:
        raise LifecycleError(
            "cold-chain-incomplete",
            f"cannot {action} lot {row.key} as compliant: {_GAP_TEXT[stages[0]].format(row.key)}",
            {"action": action, "lot": lot_code(row.key), "stage": stages[0]},
        )


_COOLED = select(t.readings.c.subject).where(
    t.readings.c.kind == "cooling", t.readings.c.subject.in_(bindparam("keys", expanding=True))
)


#: A missing stage as the English messages say it (pages translate the stage's code).
_GAP_TEXT = {"precool": "no pre-cooling record for lot {} or the lots it came from"}


def missing_stages(conn: Connection, key: str) -> tuple[str, ...]:
    """Return the cold-chain stages (``"precool"``) its profile requires that a lot lacks.

    Pre-cooling is evidenced on the harvest lot (or any lot on the way to this one): a lot
    none of whose ancestors has a cooling reading has "no pre-cooling record". Transport is
    judged when the lot is shipped (a shipment without a set point is held), so it is never
    missing here.
    """
    keys = ancestors(conn, key)
    rows = {r.key: r for r in conn.execute(_LOTS, {"keys": keys})}
    _, profile = profile_for(conn, rows[key].commodity)
    if "precool" not in profile.cold_chain_stages:
        return ()
    if conn.execute(_COOLED, {"keys": keys}).first() is None:
        return ("precool",)
    return ()
