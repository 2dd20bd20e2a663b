"""Server-rendered pages: Jinja2 with autoescaping, no external assets, readable without script.

Every value that reaches a page is escaped by the template engine (``autoescape=True`` for
every template, whatever its name), so lot codes and facts cannot inject markup.

Numbers, days and times go through the filters ``number``, ``day`` and ``moment``
(verifier_app/_formats.py): Babel writes them as the page's language does, and a time names
its zone (the page's ``zone`` when it has one, the staff device's clock; Beijing time else).
Recorded codes go through ``grade``, ``commodity``, ``quantity``, ``substance``, ``rule``
(verifier_app/_values.py), a status reason through ``reason`` and a rule finding through
``finding`` (verifier_app/_reasons.py): the page shows values in its language, not codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from verifier_app._formats import Clock, format_day, format_moment, format_number
from verifier_app._i18n import DIRECTION, LANGUAGES, MESSAGES, Language
from verifier_app._reasons import Worded, word_finding, word_reason
from verifier_app._value_wording import VALUE_WORDING
from verifier_app._values import (
    commodity_name,
    grade_name,
    quantity_text,
    rule_name,
    split_quantity,
    substance_name,
)

__all__ = ["render_page"]

_env = Environment(
    loader=PackageLoader("verifier_app", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _language(context: Context) -> Language:
    language = context.get("lang")
    return language if language in LANGUAGES else "zh"


@pass_context
def _number(context: Context, value: object) -> str:
    return format_number(value, _language(context))


@pass_context
def _day(context: Context, value: Any) -> str:
    return format_day(value, _language(context))


@pass_context
def _moment(context: Context, value: Any, clock: Clock | None = None) -> str:
    chosen = clock if clock is not None else context.get("zone")
    return format_moment(value, _language(context), chosen)


def _said(worded: Worded | None) -> Markup:
    """A worded reason as markup: the sentence, then what a person typed, quoted as written.

    The typed words are of any language (``lang="und"``: undetermined) and direction.
    """
    if worded is None:
        return Markup("")
    text = Markup("{}").format(worded.text)
    if worded.typed:
        text += Markup(' <q class="typed" lang="und" dir="auto">{}</q>').format(worded.typed)
    return text


@pass_context
def _grade(context: Context, code: str) -> str:
    return grade_name(code, _language(context))


@pass_context
def _commodity(context: Context, commodity: str, recorded: str = "") -> str:
    return commodity_name(commodity, _language(context), recorded)


@pass_context
def _quantity(context: Context, value: str, unit: str | None = None) -> str:
    value, unit = split_quantity(value) if unit is None else (value, unit)
    return quantity_text(value, unit, _language(context))


@pass_context
def _substance(context: Context, code: str) -> str:
    return substance_name(code, _language(context))


@pass_context
def _rule(context: Context, code: str) -> str:
    return rule_name(code, _language(context))


@pass_context
def _reason(context: Context, reason: str | None, status: object) -> Markup:
    state = str(getattr(status, "value", status))
    return _said(word_reason(reason, state, _language(context), context.get("zone")))


@pass_context
def _finding(context: Context, detail: str) -> Markup:
    return _said(word_finding(detail, _language(context), context.get("zone")))


_env.filters.update(
    number=_number,
    day=_day,
    moment=_moment,
    grade=_grade,
    commodity=_commodity,
    quantity=_quantity,
    substance=_substance,
    rule=_rule,
    reason=_reason,
    finding=_finding,
)


def render_page(
    template: str,
    language: Language,
    context: Mapping[str, Any],
    wording: Mapping[Language, Mapping[str, str]] | None = None,
) -> str:
    """Render a page in ``language``: the template gets ``t`` (wording), ``lang``, ``dir``.

    Args:
        template: The template's file name in ``verifier_app/templates``.
        language: The page language.
        context: The page's own values; ``here`` (the path for language links) is required.
        wording: More wording for this audience's pages (staff, regulator), by language;
            it is added to the consumer wording every page shares.
    """
    languages = [(code, MESSAGES[code]["language_name"]) for code in LANGUAGES]
    # The values' words (``v_`` keys) on every page; the audience's wording on top.
    t = {**MESSAGES[language], **VALUE_WORDING[language], **(wording or {}).get(language, {})}
    return _env.get_template(template).render(
        t=t,
        lang=language,
        dir=DIRECTION[language],
        languages=languages,
        **context,
    )
