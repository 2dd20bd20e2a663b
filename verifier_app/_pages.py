"""Server-rendered pages: Jinja2 with autoescaping, no external assets, readable without script.

Every value that reaches a page is escaped by the template engine (``autoescape=True`` for
every template, whatever its name), so lot codes and facts cannot inject markup.

Numbers, days and times go through the filters ``number``, ``day`` and ``moment``
(verifier_app/_formats.py): Babel writes them as the page's language does, and a time names
its zone (the page's ``zone`` when it has one, the staff device's clock; Beijing time else).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from verifier_app._formats import Clock, format_day, format_moment, format_number
from verifier_app._i18n import DIRECTION, LANGUAGES, MESSAGES, Language

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


_env.filters.update(number=_number, day=_day, moment=_moment)


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
    t = MESSAGES[language] if wording is None else {**MESSAGES[language], **wording[language]}
    return _env.get_template(template).render(
        t=t,
        lang=language,
        dir=DIRECTION[language],
        languages=languages,
        **context,
    )
