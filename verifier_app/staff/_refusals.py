"""A domain refusal said in the staff page's language, from the error's rule and parameters.

:class:`traceability.LifecycleError` carries its rule's wording key and structured
parameters; :func:`refusal_text` finds the sentence in
:data:`~verifier_app.staff._wording.REFUSAL_WORDING`, translates the coded parameters
(action, status, roles, cold-chain stage) and isolates every other value (lot codes, shares,
entry numbers, times) in ``<bdi>`` so that a Latin code inside Uyghur text keeps its order.
A rule with no sentence (none, a test makes sure) falls back to the English message.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from traceability import LifecycleError
from verifier_app._i18n import Language
from verifier_app.staff._wording import REFUSAL_TERMS, REFUSAL_WORDING

__all__ = ["refusal_text"]

# Parameter -> the terms it is said with; any other parameter is a value shown as given.
_TERM_OF = {
    "action": "action",
    "status": "status",
    "allowed": "status",
    "who": "who",
    "stage": "stage",
    "hold_rule": "hold_rule",
}
_OR = {"zh": "或", "ug": " ياكى ", "en": " or "}
_AND = {"zh": "、", "ug": "، ", "en": ", "}


def _value(name: str, value: str, language: Language) -> Markup:
    kind = _TERM_OF.get(name)
    if kind is None:
        return Markup("<bdi>{}</bdi>").format(value)
    terms = REFUSAL_TERMS[language][kind]
    words = [terms.get(code, code.replace("_", " ")) for code in value.split(", ")]
    joiner = _OR[language] if name == "who" else _AND[language]
    return escape(joiner.join(words))


def refusal_text(error: LifecycleError, language: Language) -> Markup:
    """Return the refusal in ``language`` as HTML: the sentence, then the rule's name.

    Values are escaped and isolated; the rule (with the rule entry it used) follows in a
    ``<code class="rule">``, so the page names the rule whatever the language.
    """
    rule = Markup(' <code class="rule">{}</code>').format(error.rule)
    sentence = REFUSAL_WORDING[language].get(error.key)
    if sentence is None:
        return escape(str(error)) + rule
    values = {name: _value(name, value, language) for name, value in error.params.items()}
    try:
        return escape(sentence).format(**values) + rule
    except (KeyError, IndexError):
        # A refusal built without a parameter its sentence needs: say it in English rather
        # than not at all (the registry test keeps this from happening).
        return escape(str(error)) + rule
