"""Who may lift which hold, and with what evidence: the hold rules as an explicit table.

A hold is placed under a rule, by an authority (the role of the key that placed it, or
``rule`` for a hold the rules placed themselves: a failing residue result, a cold-chain
excursion, a spray inside the pre-harvest interval). Lifting it is a ``trace.release``:

- a regulator's release is the regulator's *decision entry*: it may lift any hold, and it is
  the only thing that lifts a hold the regulator placed ("the regulator's hold is the
  regulator's");
- the cooperative may lift its own manual holds with a note;
- a hold the rules placed (residue, cold chain, pre-harvest interval) is lifted by the
  cooperative only with evidence: a passing re-test, signed by a lab, recorded after the
  hold (``Release.evidence`` names its entry). A note is never evidence.

Pure: roles and facts in, a refusal naming the rule and the hold entry out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from traceability._errors import LifecycleError
from traceability.rules._actors import Role
from traceability.rules._refusals import lot_code

__all__ = ["AUTOMATIC", "HOLD_RULES", "HoldRule", "Needs", "check_lift"]


class Needs(StrEnum):
    """What a lift by someone other than the regulator must cite."""

    NOTE = "note"  # the placing authority's own decision, with a note
    RETEST = "retest"  # a passing re-test signed by a lab, recorded after the hold


@dataclass(frozen=True)
class HoldRule:
    """One hold rule: the roles that may lift it and what they must cite.

    A regulator may always lift (its release is a decision entry); ``lifted_by`` names the
    other roles that may, given ``needs``.
    """

    name: str
    lifted_by: frozenset[Role]
    needs: Needs


_RETEST = frozenset({Role.COOPERATIVE})

#: Rule name -> who may lift it. ``regulator-hold`` is a manual hold the regulator placed.
HOLD_RULES: Mapping[str, HoldRule] = {
    r.name: r
    for r in (
        HoldRule("manual-hold", frozenset({Role.COOPERATIVE}), Needs.NOTE),
        HoldRule("regulator-hold", frozenset(), Needs.NOTE),
        HoldRule("residue-above-mrl", _RETEST, Needs.RETEST),
        HoldRule("cold-chain-precool", _RETEST, Needs.RETEST),
        HoldRule("cold-chain-transport", _RETEST, Needs.RETEST),
        HoldRule("cold-chain-set-point", _RETEST, Needs.RETEST),
        HoldRule("pre-harvest-interval", _RETEST, Needs.RETEST),
    )
}

#: The authority recorded for holds the rules placed themselves.
AUTOMATIC = "rule"


def check_lift(
    rule: str, hold_seq: int, lot: str, roles: tuple[str, ...], retest: int | None
) -> None:
    """Refuse unless a signer with ``roles`` may lift hold ``hold_seq`` under ``rule``.

    Args:
        rule: the hold's rule name (a key of :data:`HOLD_RULES`).
        hold_seq: the entry that placed the hold (named in the refusal).
        lot: the held lot's key (named in the refusal).
        roles: the lifting key's roles.
        retest: the entry of a passing lab re-test of the lot recorded after the hold, or
            None when the release cites none (or cites one that does not qualify).

    Raises:
        LifecycleError: ``hold-lift-authority`` (the signer may not lift this rule's holds)
            or ``hold-lift-evidence`` (the rule needs a re-test the release does not cite).
    """
    if Role.REGULATOR in roles:
        return  # the regulator's release is its decision entry: it may lift any hold
    spec = HOLD_RULES[rule]
    if not spec.lifted_by.intersection(roles):
        who = ", ".join(sorted({Role.REGULATOR, *spec.lifted_by}))
        raise LifecycleError(
            "hold-lift-authority",
            f"lot {lot} is held under {rule} (entry {hold_seq}); only {who} may lift it, "
            f"the signer has {', '.join(roles) or 'no roles'}",
            {"lot": lot_code(lot), "hold_rule": rule, "hold_entry": hold_seq, "who": who},
        )
    if spec.needs is Needs.RETEST and retest is None:
        raise LifecycleError(
            "hold-lift-evidence",
            f"lot {lot} is held under {rule} (entry {hold_seq}); lifting it needs a passing "
            f"re-test signed by a lab after entry {hold_seq} (release evidence) or a "
            "regulator's decision; a note is not evidence",
            {"lot": lot_code(lot), "hold_rule": rule, "hold_entry": hold_seq},
        )
