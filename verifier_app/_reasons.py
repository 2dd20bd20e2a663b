"""A lot's status reason and a rule's finding, worded from their structure in the page's language.

The projection keeps why a lot stands where it does as one line the domain composes from a
fixed grammar: the rule's code, the ledger entries behind it, then the rule's finding, itself
built from numbers by the rules (``traceability/rules/_tables.py``)::

    cold-chain-precool (profile entry 7): core not at 4-6 °C within 60 min of harvest (by …)
    residue-above-mrl (GB 2763-2021, entry 9): chlorpyrifos 0.12 mg/kg > MRL 0.05 mg/kg
    regulator-hold (entry 40): <what the regulator typed>
    recall of (01)…(10)SB26-H02 (entry 51): <what the person typed>

:func:`word_reason` reads that structure -- the rule code, the entry numbers, the finding's
numbers, times and substance codes -- and says it with the page language's wording
(``verifier_app/_value_wording.py``): numbers through Babel, times with their zone, substances
from the reviewed table. It never looks English words up in a dictionary. What a person typed
(a hold's reason, a recall's reason, a release note) is kept apart as ``typed``: it is shown
as written, marked as text of undetermined language. A line it cannot read is returned whole
as ``text``, unworded (never an error), so the page-words test names it.

tests/verifier_app/test_reasons.py feeds the rules' own sentence builders through this
module, so a change to the domain's grammar fails a test rather than a page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from verifier_app._bidi import PDI, isolate_ltr
from verifier_app._formats import Clock, format_moment, format_number
from verifier_app._i18n import DIRECTION, Language
from verifier_app._value_wording import VALUE_WORDING
from verifier_app._values import rule_name, substance_name

__all__ = ["Worded", "word_finding", "word_reason"]


@dataclass(frozen=True)
class Worded:
    """A reason in the page's language.

    Attributes:
        text: The sentence, in the page language (or the recorded line, when unreadable).
        typed: What a person typed with it, as written (any language), else None.
        worded: Whether ``text`` was worded (False: the recorded line, unread).
    """

    text: str
    typed: str | None = None
    worded: bool = True


_NUM = r"-?\d+(?:\.\d+)?"
_ROUTE: Final = re.compile(
    r"^(?P<rule>cold-chain-[a-z-]+|pre-harvest-interval) \(profile entry (?P<entry>\d+)\): "
    r"(?P<detail>.+?)(?P<late>; recorded late)?$"
)
_RESIDUE: Final = re.compile(
    r"^residue-above-mrl \((?P<edition>.+), entry (?P<entry>\d+)\): (?P<detail>.+)$"
)
_TYPED_HOLD: Final = re.compile(
    r"^(?P<rule>manual-hold|regulator-hold) \(entry (?P<entry>\d+)\): (?P<typed>.*)$", re.S
)
_RECALL: Final = re.compile(
    r"^recall of (?P<key>\S+) \(entry (?P<entry>\d+)\): (?P<typed>.*)$", re.S
)
_LIFTED: Final = re.compile(
    r"^holds lifted by (?P<actor>.+?) \(entry (?P<entry>\d+)\): (?P<typed>.*)$", re.S
)
_FINDING_SOURCE: Final = re.compile(
    r"^(?P<detail>.+) \((?P<edition>[^;()]+); lab (?P<lab>.+), sample (?P<sample>[^()]+)\)$"
)

# The rules' findings: key of the wording, pattern of the domain's sentence.
_DETAILS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    (
        "v_precool_late",
        re.compile(
            rf"^core not at (?P<low>{_NUM})-(?P<high>{_NUM}) °C within (?P<minutes>\d+) min of "
            r"harvest \(by (?P<deadline>\S+)\)$"
        ),
    ),
    (
        "v_precool_reading",
        re.compile(
            rf"^core (?P<celsius>{_NUM}) °C at (?P<time>\S+) outside "
            rf"(?P<low>{_NUM})-(?P<high>{_NUM}) °C$"
        ),
    ),
    (
        "v_transport_reading",
        re.compile(
            rf"^logger (?P<celsius>{_NUM}) °C at (?P<time>\S+) outside set point "
            rf"(?P<point>{_NUM}) ± (?P<tolerance>{_NUM}) °C$"
        ),
    ),
    (
        "v_set_point",
        re.compile(
            rf"^set point (?P<point>{_NUM}) °C outside the allowed "
            rf"(?P<low>{_NUM})-(?P<high>{_NUM}) °C$"
        ),
    ),
    (
        "v_residue_fail",
        re.compile(
            rf"^(?P<substance>[\w-]+) (?P<value>{_NUM}) mg/kg > MRL (?P<limit>{_NUM}) mg/kg$"
        ),
    ),
    (
        "v_phi_short",
        re.compile(
            r"^(?P<substance>[\w-]+) applied (?P<time>\S+) \(entry (?P<entry>\d+)\) needs "
            r"(?P<days>\d+) days before harvest$"
        ),
    ),
    (
        "v_phi_unlisted",
        re.compile(
            r"^no pre-harvest interval listed for (?P<substance>[\w-]+) "
            r"\(entry (?P<entry>\d+)\)$"
        ),
    ),
)

_FSI: Final = "\u2068"


def _fill(language: Language, key: str, **fields: object) -> str:
    """The wording ``key`` filled with ``fields``; right to left, every run kept in order.

    In a right-to-left sentence a filled value (a lot code, a number, a name in any script)
    is isolated (FSI … PDI) and the wording's own left-to-right runs (``°C``, ``mg/kg``) too
    (LRI … PDI), so the bidirectional algorithm cannot reorder them against the Uyghur.
    """
    text = VALUE_WORDING[language][key]
    if DIRECTION[language] != "rtl":
        return text.format(**fields)
    isolated = {name: f"{_FSI}{value}{PDI}" for name, value in fields.items()}
    return isolate_ltr(text).format(**isolated)


_TIMES: Final = frozenset({"time", "deadline"})
_TEXTS: Final = frozenset({"entry", "days", "minutes"})


def _say(fields: dict[str, str], language: Language, clock: Clock | None) -> dict[str, str]:
    """Each field in the page's language: substances named, times zoned, numbers localised."""
    said = {}
    for name, value in fields.items():
        if name == "substance":
            said[name] = substance_name(value, language)
        elif name in _TIMES:
            said[name] = format_moment(value, language, clock)
        elif name in _TEXTS:
            said[name] = value  # a count or an entry number: plain digits, like lot codes
        else:
            said[name] = format_number(value, language)
    return said


def _detail(text: str, language: Language, clock: Clock | None) -> str | None:
    """One finding's sentence in ``language``, or None when it is not one the rules write."""
    for key, pattern in _DETAILS:
        match = pattern.match(text)
        if match is not None:
            fields = _say(match.groupdict(), language, clock)
            return _fill(language, key, **fields)
    return None


def _details(text: str, language: Language, clock: Clock | None) -> str | None:
    # Several failing results are joined with "; " by the residue rule.
    parts = [_detail(part, language, clock) for part in text.split("; ")]
    if any(p is None for p in parts):
        return None
    return VALUE_WORDING[language]["v_join"].join(p for p in parts if p is not None)


def _route(m: re.Match[str], language: Language, clock: Clock | None) -> Worded | None:
    words = VALUE_WORDING[language]
    detail = _details(m["detail"], language, clock)
    if detail is None:
        return None
    head = rule_name(m["rule"], language) + _fill(language, "v_profile_entry", entry=m["entry"])
    late = words["v_recorded_late"] if m["late"] else ""
    return Worded(head + words["v_said"] + detail + late)


def _residue(m: re.Match[str], language: Language, clock: Clock | None) -> Worded | None:
    words = VALUE_WORDING[language]
    detail = _details(m["detail"], language, clock)
    if detail is None:
        return None
    source = _fill(language, "v_edition_entry", edition=m["edition"], entry=m["entry"])
    return Worded(rule_name("residue-above-mrl", language) + source + words["v_said"] + detail)


def _typed_hold(m: re.Match[str], language: Language, clock: Clock | None) -> Worded:
    text = rule_name(m["rule"], language) + _fill(language, "v_entry", entry=m["entry"])
    return Worded(text, m["typed"] or None)


def _recall(m: re.Match[str], language: Language, clock: Clock | None) -> Worded:
    lot = m["key"].rpartition("(10)")[2] or m["key"]
    text = _fill(language, "v_recall_of", lot=lot, entry=m["entry"])
    return Worded(text, m["typed"] or None)


def _lifted(m: re.Match[str], language: Language, clock: Clock | None) -> Worded:
    text = _fill(language, "v_lifted_by", actor=m["actor"], entry=m["entry"])
    return Worded(text, m["typed"] or None)


_Reader = Callable[[re.Match[str], Language, "Clock | None"], "Worded | None"]
_READERS: Final[tuple[tuple[re.Pattern[str], _Reader], ...]] = (
    (_ROUTE, _route),
    (_RESIDUE, _residue),
    (_TYPED_HOLD, _typed_hold),
    (_RECALL, _recall),
    (_LIFTED, _lifted),
)


def word_reason(
    reason: str | None, status: str, language: Language, clock: Clock | None = None
) -> Worded | None:
    """Say why a lot has ``status`` in ``language``; None when there is no reason.

    Args:
        reason: The projection's status reason (``LotState.status_reason``).
        status: The lot's status (``released``: an unreadable reason is the release note a
            person typed).
        language: The page language.
        clock: The clock times are shown on (default Beijing time).
    """
    if not reason:
        return None
    for pattern, reader in _READERS:
        match = pattern.match(reason)
        if match is not None:
            worded = reader(match, language, clock)
            if worded is not None:
                return worded
            break
    if status == "released":
        return Worded(rule_name("release", language), reason)
    return Worded(reason, worded=False)


def word_finding(detail: str, language: Language, clock: Clock | None = None) -> Worded:
    """Say one rule finding's detail (``RuleFinding.detail``) in ``language``.

    A residue finding ends with its source (``(GB 2763-2021; lab …, sample …)``); a cold-chain
    finding is the rule's sentence alone. Unreadable: the detail as recorded, unworded.
    """
    recorded, source = detail, ""
    match = _FINDING_SOURCE.match(detail)
    if match is not None:
        detail = match["detail"]
        source = _fill(
            language,
            "v_residue_source",
            edition=match["edition"],
            lab=match["lab"],
            sample=match["sample"],
        )
    said = _details(detail, language, clock)
    if said is None:
        return Worded(recorded, worded=False)
    return Worded(said + source)
