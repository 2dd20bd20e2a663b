"""Lots a regulator looks for: held, recalled, or not compliant, with why and the rule entries.

Read-only questions over the projection (the caller brings it up to the ledger's head first
with :meth:`Recorder.catch_up`). "Not compliant" means a failing residue verdict on the lot
or a lot it was made from (the projection's ``failed`` mark), a cold-chain excursion
holding it now (a ``cold-chain-*`` hold reason), or a cold-chain stage its profile requires
that neither it nor a lot it came from has a record of ("no pre-cooling record"; a lot used
up in grading or processing is left out, its products are listed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal, get_args

from sqlalchemy import ColumnElement, Connection, func, or_, select

from traceability._errors import LifecycleError
from traceability.projection import _schema as t
from traceability.projection._gate import missing_stages
from traceability.projection._lineage import ancestors
from traceability.projection._lists import LotState, lot_rows
from traceability.projection._query import profile_for

__all__ = [
    "STATUS_FILTERS",
    "FlaggedLot",
    "LotPage",
    "RuleFinding",
    "StatusFilter",
    "lots_by_status",
]

StatusFilter = Literal["held", "recalled", "non_compliant"]
#: The lists a regulator can ask for.
STATUS_FILTERS: Final[tuple[StatusFilter, ...]] = get_args(StatusFilter)

# Hold reasons name the rule entry they used: "cold-chain-precool (profile entry 7): ..."
# or "residue-above-mrl (GB 2763-2026, entry 9): ...".
_RULE_ENTRY = re.compile(r"^[a-z-]+ \((?:[^()]*, )?(?:profile )?entry (\d+)\)")


@dataclass(frozen=True)
class RuleFinding:
    """One failing check behind a lot's non-compliance: which rule entry, on which entry.

    Attributes:
        rule: The rule's name (``residue-above-mrl``, ``cold-chain-precool`` ...).
        rule_seq: The ledger entry of the rule table or profile that was applied.
        seq: The ledger entry that was judged (the residue test, cooling or receiving).
        lot: The lot it was judged on (the lot itself or one it was made from).
        detail: What was found, e.g. ``chlorpyrifos 0.2 mg/kg > MRL 0.05 mg/kg``.
    """

    rule: str
    rule_seq: int
    seq: int
    lot: str
    detail: str


@dataclass(frozen=True)
class FlaggedLot:
    """A lot in a status list: the lot as it stands, and the failing checks behind it.

    ``missing_stages``: the cold-chain stages it has no record of (``"precool"``).
    """

    lot: LotState
    findings: tuple[RuleFinding, ...]
    missing_stages: tuple[str, ...] = ()


@dataclass(frozen=True)
class LotPage:
    """One page of a status list, and how many lots the whole list holds."""

    total: int
    offset: int
    lots: tuple[FlaggedLot, ...]


def _condition(conn: Connection, status: StatusFilter) -> ColumnElement[bool]:
    if status == "held":
        return t.lots.c.status == "on_hold"
    if status == "recalled":
        return t.lots.c.status == "recalled"
    found = or_(t.lots.c.failed.is_(True), t.lots.c.status_reason.like("cold-chain-%"))
    missing = _missing_precool(conn)
    return or_(found, t.lots.c.key.in_(sorted(missing))) if missing else found


def _missing_precool(conn: Connection) -> set[str]:
    """Every lot (not used up) whose profile requires pre-cooling and whose lineage has none.

    One pass over the tables: the lots a cooling reading covers are those readings' lots
    and everything made from them, at any depth.
    """
    covered = set(
        conn.execute(select(t.readings.c.subject).where(t.readings.c.kind == "cooling")).scalars()
    )
    children: dict[str, list[str]] = {}
    for edge in conn.execute(select(t.edges.c.parent, t.edges.c.child)):
        children.setdefault(edge.parent, []).append(edge.child)
    todo = list(covered)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in covered:
                covered.add(child)
                todo.append(child)
    requires: dict[str, bool] = {}
    missing = set()
    rows = select(t.lots.c.key, t.lots.c.commodity).where(t.lots.c.status != "consumed")
    for row in conn.execute(rows):
        if row.key in covered:
            continue
        if row.commodity not in requires:
            try:
                stages = profile_for(conn, row.commodity)[1].cold_chain_stages
            except LifecycleError:
                stages = ()  # no profile: it requires nothing
            requires[row.commodity] = "precool" in stages
        if requires[row.commodity]:
            missing.add(row.key)
    return missing


def _missing(conn: Connection, key: str) -> tuple[str, ...]:
    try:
        return missing_stages(conn, key)
    except LifecycleError:
        return ()


def _findings(conn: Connection, key: str, reason: str | None, status_seq: int) -> list[RuleFinding]:
    found = []
    failing = conn.execute(
        select(t.results)
        .where(t.results.c.lot.in_(ancestors(conn, key)), t.results.c.outcome == "fail")
        .order_by(t.results.c.seq)
    )
    for r in failing:
        detail = f"{r.substance} {r.reason} ({r.edition}; lab {r.lab}, sample {r.sample_id})"
        found.append(RuleFinding("residue-above-mrl", r.rule_seq, r.seq, r.lot, detail))
    match = _RULE_ENTRY.match(reason or "")
    if match is not None and (reason or "").startswith("cold-chain-"):
        rule = (reason or "").split(" ", 1)[0]
        detail = (reason or "").split(": ", 1)[-1]
        found.append(RuleFinding(rule, int(match.group(1)), status_seq, key, detail))
    return found


def lots_by_status(
    conn: Connection, status: StatusFilter, *, offset: int = 0, limit: int = 50
) -> LotPage:
    """Return one page of the lots ``status`` selects, ordered by lot key.

    Args:
        conn: A connection to the projection's database.
        status: ``held`` (on hold now), ``recalled``, or ``non_compliant`` (a failing residue
            verdict here or upstream, held now for a cold-chain excursion, or missing a
            cold-chain stage its profile requires).
        offset: How many lots of the list to skip (requires ``offset >= 0``).
        limit: The most lots to return (requires ``limit >= 1``).
    """
    if status not in STATUS_FILTERS:
        raise ValueError(f"expected a status from {STATUS_FILTERS}, got {status!r}")
    if offset < 0 or limit < 1:
        raise ValueError(f"expected offset >= 0 and limit >= 1, got {offset}, {limit}")
    where = _condition(conn, status)
    total = conn.execute(select(func.count()).select_from(t.lots).where(where)).scalar_one()
    rows = conn.execute(
        select(t.lots).where(where).order_by(t.lots.c.key).offset(offset).limit(limit)
    ).all()
    lines = tuple(
        FlaggedLot(
            lot,
            tuple(_findings(conn, lot.key, lot.status_reason, lot.status_seq)),
            _missing(conn, lot.key),
        )
        for lot in lot_rows(rows)
    )
    return LotPage(int(total), offset, lines)
