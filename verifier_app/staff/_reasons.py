"""Why a lot stands where it stands, said first in the reader's language.

A lot's status reason is the domain's record of the rule that moved it, in English with its
evidence ("residue-above-mrl (GB 2763-2026, entry 24): chlorpyrifos 0.120 mg/kg > MRL 0.05
mg/kg"). A packer reading Chinese or Uyghur needs the gist first: "农残超标". The rule at the
head of the reason picks a short phrase (:data:`REASON_WORDING`); the domain's text follows,
isolated in ``<bdi>``, as the evidence. A reason no phrase knows (a release note, a new rule)
is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from markupsafe import Markup

from verifier_app._i18n import Language

__all__ = ["REASON_WORDING", "reason_text"]

#: The rule at the head of a status reason -> a short phrase, per language. Uyghur needs a
#: native speaker's review.
REASON_WORDING: Final[Mapping[Language, Mapping[str, str]]] = {
    "zh": {
        "residue-above-mrl": "农残超标",
        "cold-chain-precool": "预冷不及时或温度不达标",
        "cold-chain-transport": "运输温度超出范围",
        "cold-chain-set-point": "冷藏车设定温度不对",
        "pre-harvest-interval": "施药后未过安全间隔期就采收",
        "manual-hold": "合作社暂停销售",
        "regulator-hold": "监管部门暂停销售",
        "recall": "已召回",
    },
    "ug": {
        "residue-above-mrl": "دورا قالدۇقى ئۆلچەمدىن ئېشىپ كەتتى",
        "cold-chain-precool": "ئالدىن سوۋۇتۇش ۋاقتىدا ياكى ئۆلچەمدە بولمىدى",
        "cold-chain-transport": "توشۇش تېمپېراتۇرىسى دائىرىدىن چىقتى",
        "cold-chain-set-point": "سوغۇتقۇچ ماشىنىنىڭ بەلگىلەنگەن تېمپېراتۇرىسى خاتا",
        "pre-harvest-interval": "دورا چاچقاندىن كېيىن بىخەتەر ئارىلىق توشماي يىغىلدى",
        "manual-hold": "كوپىراتىپ سېتىشنى توختاتتى",
        "regulator-hold": "نازارەت ئورنى سېتىشنى توختاتتى",
        "recall": "قايتۇرۇۋېلىندى",
    },
    "en": {
        "residue-above-mrl": "Residue above the limit",
        "cold-chain-precool": "Not pre-cooled in time or to temperature",
        "cold-chain-transport": "Transport temperature out of range",
        "cold-chain-set-point": "Reefer set point wrong",
        "pre-harvest-interval": "Harvested before the spray's safety interval ended",
        "manual-hold": "Held by the cooperative",
        "regulator-hold": "Held by the regulator",
        "recall": "Recalled",
    },
}
_HEAD = re.compile(r"(?P<rule>[a-z][a-z0-9-]*?)(?: of | \(|:)")


#: Statuses whose reason is a rule's record; any other's is a person's note (a release note).
_RULED: Final = frozenset({"on_hold", "recalled"})


def reason_text(reason: str | None, status: str, language: Language) -> Markup:
    """Return ``reason`` as HTML: the rule's phrase in ``language``, then the evidence.

    Only a held or recalled lot's reason is read for a rule: a release note typed by a
    person is shown as typed, whatever it starts with.
    """
    if not reason:
        return Markup("")
    evidence = Markup("<bdi>{}</bdi>").format(reason)
    found = _HEAD.match(reason) if str(status) in _RULED else None
    phrase = REASON_WORDING[language].get(found["rule"]) if found else None
    if phrase is None:
        return evidence
    return Markup('<strong class="reason-phrase">{}</strong> · ').format(phrase) + evidence
