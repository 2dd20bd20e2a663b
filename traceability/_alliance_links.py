"""Cross-log links verified, not trusted: a ``trace.intake`` checked against its source log.

A member's log says "lot X came from entry N of log A, whose leaf hash is H". Nothing joins
two databases, and the receiving member could write anything, so when both logs are in the
alliance the claim is checked against A's own log, step by step:

1. the source log is a member of the alliance (else the link is ``unverified``: named, not
   followed, never shown as proven);
2. A's log has an entry at ``source_seq`` and its RFC 6962 leaf hash is ``source_leaf`` (so
   the intake names exactly the bytes A signed and chained; A's own audit vouches for them);
3. that entry is a ``trace.shipping`` of ``source_shipment``;
4. whose lots include ``source_lot``;
5. whose ``destination`` is the site the intake says it received at (so a member cannot
   claim a lot A shipped elsewhere), and whose time is not after the intake's;
6. and no other intake in the alliance takes in the same lot of the same entry (a lot is
   received once, by one member).

Any failed step makes the link ``broken`` and names the step. Only ``verified`` links are
followed by the cross-log trace (traceability/_alliance_trace.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ledger import LedgerError
from traceability.events._ids import lot_key
from traceability.projection._lists import LotState
from traceability.projection._member_reads import IntakeView

__all__ = ["LINK_PROBLEMS", "LinkCheck", "LinkChecker"]

#: Why a link is broken or unverified (the wording key of each, in every language).
LINK_PROBLEMS = (
    "source-not-a-member",
    "source-is-this-log",
    "no-such-entry",
    "leaf-hash-differs",
    "not-a-shipping",
    "other-shipment",
    "lot-not-shipped",
    "other-destination",
    "taken-in-before-shipped",
    "claimed-twice",
    "row-differs-from-entry",
)

Verdict = Literal["verified", "broken", "unverified"]
#: Reads (kind, body, leaf hash hex) of entry ``seq`` of member ``slug``; None: no such entry.
EntryReader = Callable[[str, int], "tuple[str, Mapping[str, Any], str] | None"]
#: Reads the state of lot (gtin, lot) in member ``slug``'s projection; None: unknown there.
LotReader = Callable[[str, str, str], "LotState | None"]


@dataclass(frozen=True)
class LinkCheck:
    """One intake checked against its source log.

    Attributes:
        member: the receiving member's slug.
        intake: the intake as the receiving projection keeps it.
        source_member: the slug of the member whose log is ``source_log``, or None.
        verdict: ``verified`` (every step held), ``broken`` (a step failed: ``problem``)
            or ``unverified`` (the source log is not in the alliance).
        problem: the step that failed (one of :data:`LINK_PROBLEMS`), or None.
        detail: what was found instead, in plain words for logs and the API.
        source_state: the source lot's state in the source log now, when found.
    """

    member: str
    intake: IntakeView
    source_member: str | None
    verdict: Verdict
    problem: str | None = None
    detail: str = ""
    source_state: LotState | None = None

    @property
    def source_key(self) -> str:
        """The source lot's key in the source log."""
        return lot_key(self.intake.source_gtin, self.intake.source_lot)

    @property
    def upstream_alarm(self) -> str | None:
        """``recalled``, ``on_hold`` or ``failed`` when the source lot is so now, else None.

        A hold or recall in the source log reaches what the receiver made of the lot: the
        cross-log trace flags those lots with this.
        """
        state = self.source_state
        if state is None:
            return None
        if state.status.value in ("recalled", "on_hold"):
            return state.status.value
        return "failed" if state.failed else None


class LinkChecker:
    """Checks members' intakes against their source logs, one at a time, each once.

    Args:
        members: (slug, origin) of each member.
        rows: slug -> that member's intakes as its projection keeps them (where to look).
        stated: reads the intake that entry ``row.seq`` of member ``slug`` states, or None
            when that entry is no intake: what is checked (the row is only a cache).
        source_entry: reads (kind, body, leaf hash hex) of entry ``seq`` of member ``slug``,
            or None when the log has no such entry.
        source_lot: reads a lot's state in member ``slug``'s projection, or None.
    """

    def __init__(
        self,
        members: Sequence[tuple[str, str]],
        rows: Mapping[str, Sequence[IntakeView]],
        stated: Callable[[str, IntakeView], IntakeView | None],
        source_entry: EntryReader,
        source_lot: LotReader,
    ) -> None:
        self.members = tuple(members)
        self.rows = rows
        self._by_origin = {origin: slug for slug, origin in members}
        self._origin_of = dict(members)
        self._stated = stated
        self._entry = source_entry
        self._lot = source_lot
        self._claims = Counter(_claim(i) for found in rows.values() for i in found)
        self._done: dict[tuple[str, int], LinkCheck] = {}

    def source_member(self, row: IntakeView) -> str | None:
        """The member whose log the row names as its source, or None."""
        return self._by_origin.get(row.source_log)

    def check(self, slug: str, row: IntakeView) -> LinkCheck:
        """Check member ``slug``'s intake ``row`` (module docstring, steps 1-6)."""
        done = self._done.get((slug, row.seq))
        if done is not None:
            return done
        stated = self._stated(slug, row)
        if stated != row:
            detail = f"projection row of entry {row.seq} differs from the entry"
            found = LinkCheck(slug, row, None, "broken", "row-differs-from-entry", detail)
        else:
            twice = self._claims[_claim(row)] > 1
            found = _check(slug, self._origin_of[slug], row, self._by_origin, self._entry,
                           self._lot, twice)  # fmt: skip
        self._done[(slug, row.seq)] = found
        return found

    def all(self) -> list[LinkCheck]:
        """Every intake of every member, checked, member by member in entry order."""
        return [self.check(slug, row) for slug, _ in self.members for row in self.rows[slug]]


def _claim(i: IntakeView) -> tuple[str, int, str, str]:
    return (i.source_log, i.source_seq, i.source_gtin, i.source_lot)


def _check(
    slug: str,
    origin: str,
    i: IntakeView,
    by_origin: Mapping[str, str],
    source_entry: EntryReader,
    source_lot: LotReader,
    twice: bool,
) -> LinkCheck:
    def broken(problem: str, detail: str, source: str | None = None) -> LinkCheck:
        return LinkCheck(slug, i, source, "broken", problem, detail)

    if i.source_log == origin:
        return broken("source-is-this-log", f"{slug} names its own log as the source")
    source = by_origin.get(i.source_log)
    if source is None:
        detail = f"log {i.source_log} is not a member of this alliance: not checked"
        return LinkCheck(slug, i, None, "unverified", "source-not-a-member", detail)
    where = f"entry {i.source_seq} of {source}"
    try:
        found = source_entry(source, i.source_seq)
    except LedgerError as e:
        return broken("no-such-entry", f"{where}: {e}", source)
    if found is None:
        return broken("no-such-entry", f"{source}'s log has no entry {i.source_seq}", source)
    kind, body, leaf = found
    if leaf != i.source_leaf:
        return broken(
            "leaf-hash-differs", f"{where} has leaf hash {leaf}, not {i.source_leaf}", source
        )
    if kind != "trace.shipping":
        return broken("not-a-shipping", f"{where} is {kind}", source)
    if body.get("shipment") != i.source_shipment:
        shipped = body.get("shipment")
        return broken("other-shipment", f"{where} ships {shipped}, not {i.source_shipment}", source)
    lots = body.get("lots")
    refs = lots if isinstance(lots, list) else []
    carried = {(r.get("gtin"), r.get("lot")) for r in refs if isinstance(r, dict)}
    if (i.source_gtin, i.source_lot) not in carried:
        detail = f"shipment {i.source_shipment} ({where}) does not carry lot {i.source_lot}"
        return broken("lot-not-shipped", detail, source)
    if body.get("destination") != i.site:
        went = body.get("destination")
        detail = f"shipment {i.source_shipment} ({where}) went to {went}, not {i.site}"
        return broken("other-destination", detail, source)
    shipped_at = _time(body.get("time"))
    if shipped_at is None or shipped_at > datetime.fromisoformat(i.time):
        detail = f"{where} shipped at {body.get('time')}, after the intake at {i.time}"
        return broken("taken-in-before-shipped", detail, source)
    if twice:
        detail = f"lot {i.source_lot} of {where} is taken in by more than one intake"
        return broken("claimed-twice", detail, source)
    state = source_lot(source, i.source_gtin, i.source_lot)
    return LinkCheck(slug, i, source, "verified", source_state=state)


def _time(value: object) -> datetime | None:
    """A statement body's ISO 8601 time, or None when it holds none that parses."""
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
