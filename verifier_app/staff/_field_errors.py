"""A field's validation error said in the staff page's language, with what to type instead.

The domain's :class:`traceability.ValidationError` carries ``(field, expected, got)`` with
``expected`` in English for the command line and the API ("1-20 characters of GS1 character
set 82"). A packer needs "批次号不能包含空格 — 例如 SB26-H01". :data:`KINDS` recognises each
``expected`` the domain raises (a test collects every one from the code and fails when one
has no kind, or a kind has no zh/ug/en sentence) and picks the sentence; values (codes,
numbers, times) are isolated in ``<bdi>`` so they keep their order in Uyghur. An
``expected`` no kind knows (a new one, before its sentence is written) is shown in English
rather than not at all.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from markupsafe import Markup, escape

from traceability import ValidationError
from verifier_app._i18n import DIRECTION, Language
from verifier_app.staff._field_error_wording import FIELD_ERROR_WORDING
from verifier_app.staff._forms import FormError

__all__ = ["KINDS", "Kind", "field_error_text", "kind_of"]


@dataclass(frozen=True)
class Kind:
    """One kind of ``expected``: its pattern (named groups become sentence values).

    Attributes:
        key: The sentence's key in :data:`FIELD_ERROR_WORDING`.
        pattern: Matches the whole ``expected`` text.
        when: Chooses this kind only for such a ``got`` (a more precise sentence).
    """

    key: str
    pattern: re.Pattern[str]
    when: Callable[[object], bool] | None = None


def _k(key: str, pattern: str, when: Callable[[object], bool] | None = None) -> Kind:
    return Kind(key, re.compile(pattern), when)


def _has_space(got: object) -> bool:
    return isinstance(got, str) and any(c.isspace() for c in got)


#: Every ``expected`` the domain raises under a form's event, first match wins.
KINDS: Final[tuple[Kind, ...]] = (
    _k("required", r"a value \(the field is required\)"),
    _k("empty", r"string should have at least 1 character"),
    _k("gs1_space", r"1-20 characters of GS1 character set 82", _has_space),
    _k("gs1_chars", r"1-20 characters of GS1 character set 82"),
    _k("lot_text", r"a lot code string"),
    _k("serial_text", r"a serial number string"),
    _k("local_id", r"1-40 characters of A-Z a-z 0-9 \. _ - \(letter/digit first\)"),
    _k("gtin_digits", r"a GTIN as a string of digits"),
    _k("gtin_check", r"a GTIN-8/12/13/14 with a valid check digit"),
    _k("gln_digits", r"a GLN of 13 digits"),
    _k("gln_check", r"a GLN with check digit (?P<digit>\S+)"),
    _k("decimal", r"a decimal string like '12\.5'"),
    _k("positive", r"a value greater than 0"),
    _k("at_least", r"a value of at least (?P<minimum>.+)"),
    _k("time_format", r"(an RFC 3339 time|a date and time) like .+"),
    _k("time_offset", r"a time with a UTC offset"),
    _k("time_floor", r"a time not before (?P<floor>.+)"),
    _k("time_future", r"a time not after now \((?P<now>.+)\)"),
    _k("sampled_after_result", r"a time at or before the result \((?P<time>.+)\)"),
    _k("after_harvest", r"times at or after the harvest \((?P<time>.+)\)"),
    _k("below_loq", r"'<LOQ' or a value >= the LOQ (?P<loq>.+)"),
    _k("packed_unit", r"a unit of one of the packed lots"),
    _k("new_lot", r"a new lot, not one of the inputs"),
    _k("distinct_lots", r"distinct lots, none equal to the input"),
    _k("serial_once", r"each serial once"),
    _k("serial_count", r"(?P<count>\S+) serials \(the count\)"),
    _k("no_repeat", r"no repeat within (?P<what>.+)"),
    _k("json_object", r"a JSON object"),
    _k("text", r"text"),
    _k("text_chars", r"text without control or invisible characters \((?P<what>.+)\)"),
    _k("text_long", r"at most (?P<most>\S+) characters"),
    _k("unknown_product", r"a GTIN registered with a trace\.product entry"),
    _k("unknown_lot", r"a lot recorded on this ledger"),
    _k("unknown_plot", r"a plot registered with a trace\.farm entry"),
    _k("unknown_shipment", r"a shipment recorded on this ledger"),
    _k("unknown_complaint", r"the entry of a trace\.complaint"),
    _k("choose_product", r"(?P<field>\S+) to choose between (?P<choices>.+)"),
    _k("one_of", r"one of (?P<choices>.+)"),
    _k("precool_order", r"<= precool_max_celsius (?P<most>.+)"),
    _k("grade_names", r"distinct grade names"),
    _k("grade_bands", r"size bands that cover every size once, end to end"),
    _k("idempotency_key", r"1 to 255 printable ASCII characters"),
    # The forms' own refusals (FormError), before the domain sees the event.
    _k("lot_from_list", r"a lot from the list"),
    _k("graded_weight", r"at least one graded lot with its weight"),
    # Grading under a profile's basis and indicators (issue 14).
    _k("quality_readings", r"readings like brix 9\.5, moisture 20"),
    _k("basis_values", r"the values graded by \((?P<basis>\S+)\), at least one"),
    _k("profile_indicator", r"an indicator of the profile \((?P<choices>.+)\)"),
    # Growers' training and assessment records (API and CLI; said here all the same).
    _k("unknown_farm", r"a farm registered with a trace\.farm entry"),
    _k("farm_grower", r"the grower farm (?P<farm>\S+) registers \((?P<grower>.+)\)"),
    _k("valid_until", r"the date a passed assessment expires"),
    _k("valid_from", r"a day on or after the assessment \((?P<day>.+)\)"),
    # A commodity profile's own consistency (loaded by the cooperative admin).
    _k("threshold_bound", r"a min, a max or both"),
    _k("threshold_order", r"<= max (?P<most>.+)"),
    _k("season_day", r"a day every year has \(MM-DD\)"),
    _k(
        "profile_parts",
        r"(?P<rule>all three precool limits or none"
        r"|pre-cooling limits \(cold_chain_stages has precool\)"
        r"|a tolerance \(cold_chain_stages has transport\)"
        r"|either min_mm/max_mm or min/max, not both"
        r"|no bands when grade_by is quality"
        r"|distinct names"
        r"|an indicator the profile declares \(.+\))",
    ),
    _k("readable_file", r"a readable (TOML profile|CSV file)"),
    # Received quantities and the monitoring reads (issue 14).
    _k("unit_needs_quantity", r"a unit only together with a quantity"),
    _k(
        "quantity_last_part",
        r"the received quantity on the last part \(more_readings false\), not a part",
    ),
    _k("shipment_unit", r"the unit of the shipment's lots \((?P<unit>.+)\)"),
    _k("quarter", r"a quarter written YYYY-Qn, e\.g\. 2026-Q4"),
    _k("log_position", r"a position from 0 to (?P<size>\S+) \(applied\)"),
    # Many cooperatives in one deployment and lots between their logs (issue 15).
    _k("member_slug", r"1-40 lowercase letters, digits or '-'"),
    _k(
        "company_prefix",
        r"a GS1 company prefix of 6 to 12 digits as GS1 assigned it "
        r"\(without the GTIN-14 indicator digit\)",
    ),
    _k("prefix_covered", r"a prefix not already covered by (?P<prefix>.+) \((?P<where>.+)\)"),
    _k("member_slug_unique", r"a slug no other member has"),
    _k("member_log_unique", r"a log no other member has"),
    _k("log_origin_line", r"a log origin on one line"),
    _k("table_row_width", r"(?P<width>\w+) fields"),
    _k(
        "normalise_before_signing",
        r"text as the server writes it: NFC, no white space around it \(normalise before signing\)",
    ),
)


def kind_of(expected: str, got: object = None) -> tuple[Kind, dict[str, str]] | None:
    """Return the kind ``expected`` is (with its values), or None when no kind knows it."""
    for kind in KINDS:
        found = kind.pattern.fullmatch(expected)
        if found is not None and (kind.when is None or kind.when(got)):
            return kind, {k: v for k, v in found.groupdict().items() if v is not None}
    return None


def _shown(got: object) -> str:
    return "" if got is None else str(got)


# A code or number inside a right-to-left sentence: "SB26-H01", "2026-06-01 08:30", "<LOQ".
_LTR_RUN = re.compile(r"<?[0-9A-Za-z][0-9A-Za-z.\-/_:+]*(?: [0-9][0-9:.]*)*")


def _literal(text: str, language: Language) -> Markup:
    if DIRECTION[language] != "rtl":
        return escape(text)
    out, at = Markup(""), 0
    for found in _LTR_RUN.finditer(text):
        out += escape(text[at : found.start()]) + Markup("<bdi>{}</bdi>").format(found[0])
        at = found.end()
    return out + escape(text[at:])


def field_error_text(error: ValidationError | FormError, language: Language) -> Markup:
    """Return the error as HTML in ``language``: what is wrong and what to type instead.

    Every value from the error (what was typed, limits, times) is escaped and isolated in
    ``<bdi>``, and so is every code or number in a right-to-left sentence. An ``expected``
    with no kind yet falls back to the English message.
    """
    found = kind_of(error.expected, error.got)
    if found is None:
        return escape(str(error))
    kind, values = found
    isolated = {k: Markup("<bdi>{}</bdi>").format(v) for k, v in values.items()}
    isolated["got"] = Markup("<bdi>{}</bdi>").format(_shown(error.got))
    out = Markup("")
    sentence = FIELD_ERROR_WORDING[language][kind.key]
    for text, name, _, _ in string.Formatter().parse(sentence):
        out += _literal(text, language)
        if name is not None:
            if name not in isolated:
                # A sentence naming a value its pattern lacks (a test stops it): English.
                return escape(str(error))
            out += isolated[name]
    return out
