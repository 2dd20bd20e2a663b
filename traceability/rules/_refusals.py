"""Every rule the domain can refuse an event under, and the parameters its refusal carries.

A :class:`~traceability.LifecycleError` names its rule (``rule``, sometimes followed by the
rule entry it used, e.g. ``"grade-band (profile entry 7)"``) and carries structured
``params`` (lot, input, share, hold entry ...) so that a page can say the refusal in its
reader's language; the English ``message`` stays as it is for the command line and the API.
This table is the one list of those rules: a test collects every rule name the rules and
projection code can raise and fails when one is missing here, and the app's wording tables
are checked against it (every rule in every language, no placeholder that is not listed).

Parameter values are plain text. ``action`` holds a lifecycle action (``release``,
``label``, ``certify``, ``ship`` ...), ``status`` a lot status and ``allowed`` the statuses
an action needs (comma-separated): pages translate those three; every other value (a lot
code, a share such as ``"98.0%"``, an entry number) is shown as given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["REFUSALS", "lot_code", "rule_name"]

_TABLE = ("action", "lot", "status", "allowed")

#: Wording key -> the parameters its refusals carry (every one of them, always). The key is
#: the rule's name, or ``rule/case`` where one rule is refused in differently built sentences
#: (a shipment rather than a lot); :attr:`LifecycleError.key` gives it.
REFUSALS: Final[Mapping[str, tuple[str, ...]]] = {
    # The lifecycle table (rules/_lifecycle.py): an action not allowed from a status.
    "cool-only-before-shipping": _TABLE,
    "grade-only-active-or-released": _TABLE,
    "test-not-after-recall": _TABLE,
    "pack-only-active-or-released": _TABLE,
    "label-requires-released": _TABLE,
    "ship-requires-released": _TABLE,
    "receive-requires-shipped": _TABLE,
    "process-only-active-released-or-received": _TABLE,
    "hold-only-movable-lots": _TABLE,
    "release-only-active-or-held": _TABLE,
    "recall-once": _TABLE,
    # The sale gate (projection/_gate.py), shared by release, label runs and certificates.
    "release-refused-after-failed-residue": ("action", "lot"),
    "processing-grade-not-for-sale": ("action", "lot", "grade"),
    "release-requires-passed-tests": ("action", "lot", "input", "share", "missing", "more"),
    "release-requires-passed-tests/self": ("action", "lot", "input", "share", "missing", "more"),
    "decision-after-results": ("action", "lot", "time", "relied"),
    "cold-chain-incomplete": ("action", "lot", "stage"),
    # Sampling plans (projection/_sampling.py, rules/_sampling.py).
    "sampling-plan-overdue": ("action", "lot", "plan", "due"),
    # Holds (rules/_holds.py, projection/_movement.py).
    "hold-lift-authority": ("lot", "hold_rule", "hold_entry", "who"),
    "hold-lift-evidence": ("lot", "hold_rule", "hold_entry"),
    "hold-lift-evidence/not-a-retest": ("lot", "evidence"),
    "regulator-release-lifts-holds": ("lot", "status"),
    # Time (projection/_timing.py, projection/_movement.py).
    "time-after-lot-made": ("action", "lot", "time", "made"),
    "time-order": ("action", "lot", "time", "before"),
    "time-order/receiving": ("shipment", "time", "shipped"),
    # Receiving a shipment that is not in transit (projection/_movement.py).
    "receive-requires-shipped/shipment": ("shipment", "status"),
    # Identifiers and master data (projection/_origin.py, _query.py, _movement.py).
    "lot-codes-unique": ("lot", "existing"),
    "lot-codes-unique/look-alike": ("lot", "existing"),
    "shipment-ids-unique": ("shipment",),
    # A lot of another member's shipping entry, taken in twice (projection/_intake.py).
    "intake-once-per-source-lot": ("lot", "source_log", "entry", "existing"),
    "pack-once-per-unit": ("lot", "unit"),
    "farm-ids-unique": ("farm",),
    "plot-ids-unique": ("plot",),
    "product-commodity-fixed": ("gtin", "commodity", "entry", "new"),
    # Company prefixes (projection/_making.py; docs/deployment.md).
    "product-in-company-prefixes": ("gtin", "prefixes"),
    "company-prefixes-cover-products": ("gtin", "entry", "prefixes"),
    "profile-required": ("commodity",),
    "mrl-table-required": ("edition",),
    "mrl-edition-reload-keeps-commodities": ("edition", "entry", "dropped"),
    # Harvest and grading (projection/_origin.py).
    "pre-harvest-interval": ("substance", "entry", "days"),
    "pre-harvest-interval/unlisted": ("substance", "entry", "days"),
    "grading-conserves-mass": ("total", "quantity"),
    "grade-band": ("output", "size", "unit", "grade"),
    # Quality and qualification (projection/_quality.py, issue 14).
    "grade-quality": ("output", "grade", "indicator", "value", "needs"),
    "grade-quality/missing": ("output", "grade", "indicator", "value", "needs"),
    "grower-qualified/none": ("grower", "farm", "topic", "assessment", "day"),
    "grower-qualified/failed": ("grower", "farm", "topic", "assessment", "day"),
    "grower-qualified/expired": ("grower", "farm", "topic", "assessment", "day"),
    "assessment-ids-unique": ("assessment", "entry"),
    # Decisions on complaints (rules/_complaints.py).
    "decision-once": ("complaint", "entry"),
    "decision-same-lot": ("complaint", "lot", "expected"),
    "decision-follows-action": ("action", "lot"),
}


def rule_name(rule: str) -> str:
    """Return the rule's name without the rule entry it cites (``"grade-band (profile ...)"``)."""
    return rule.split(" (", 1)[0]


def lot_code(key: str) -> str:
    """Return the lot code of a projection lot key (``(01)<gtin>(10)<lot>``) for a message."""
    return key.split("(10)", 1)[1] if "(10)" in key else key
