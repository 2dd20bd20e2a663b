"""Wording of the values the staff and regulator pages show: grades, units, products, rules.

Labels say what a value is; these words say the value itself, in the page's language:
grade codes (``super``), units (``KGM``), commodities (``strawberry``), the rules a lot is
held under (``cold-chain-precool``), the sentences that explain a hold or a recall (worded
from the reason's structure by :mod:`verifier_app._reasons`), and the words of the lineage
drawing. A plain ``{language: {key: text}}`` mapping, every language with the same keys (a
test checks), so ``scripts/wording_to_po.py --source verifier_app._value_wording:VALUE_WORDING
--domain values`` turns it into the ``values`` catalog.

Keys start with ``v_`` so they never clash with the consumer, staff or regulator tables they
are merged with. The Uyghur wording was written without a native speaker and must be
reviewed before release. Placeholders in braces are filled with values already in the page's
language (numbers through Babel, times with their zone, substance names from the reviewed
table).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from verifier_app._i18n import Language

__all__ = ["VALUE_WORDING"]

VALUE_WORDING: Final[Mapping[Language, Mapping[str, str]]] = {
    "zh": {
        # Screen readers' names of the two menus.
        "v_nav_language": "语言",
        "v_nav_regulator": "监管菜单",
        # Grade bands (profile grade codes).
        "v_grade_super": "特级",
        "v_grade_grade_1": "一级",
        "v_grade_grade_2": "二级",
        "v_grade_processing": "加工级",
        # Units (UN/CEFACT codes); 斤 = 500 g, the market unit shown beside kilograms.
        "v_unit_KGM": "{n} 公斤",
        "v_unit_GRM": "{n} 克",
        "v_unit_TNE": "{n} 吨",
        "v_jin": "（{n} 斤）",
        # Commodities: the product's name in the page's language.
        "v_commodity_strawberry": "草莓",
        "v_commodity_almond": "巴旦木",
        "v_commodity_jujube": "红枣",
        "v_commodity_walnut": "核桃",
        # Rules a lot is held or refused under.
        "v_rule_cold-chain-precool": "预冷不达标",
        "v_rule_cold-chain-transport": "运输温度超出范围",
        "v_rule_cold-chain-set-point": "运输设定温度不符",
        "v_rule_cold-chain-incomplete": "冷链记录不全",
        "v_rule_residue-above-mrl": "农药残留超标",
        "v_rule_pre-harvest-interval": "未满安全间隔期",
        "v_rule_manual-hold": "合作社暂停销售",
        "v_rule_regulator-hold": "监管部门暂停销售",
        "v_rule_recall": "召回",
        "v_rule_holds-lifted": "已解除暂停",
        "v_rule_release": "放行",
        "v_rule_unknown": "规则 {code}",
        # How a reason names the entries behind it.
        "v_entry": "（账本条目 {entry}）",
        "v_profile_entry": "（依据账本条目 {entry} 的标准）",
        "v_edition_entry": "（{edition}，账本条目 {entry}）",
        "v_recall_of": "召回批次 {lot}（账本条目 {entry}）",
        "v_lifted_by": "{actor} 解除暂停（账本条目 {entry}）",
        "v_recorded_late": "（补记）",
        "v_join": "；",  # noqa: RUF001
        "v_said": "：",
        # The rules' findings, worded from their numbers.
        "v_precool_late": "采收后 {minutes} 分钟内果心温度未降到 {low}–{high} °C（最迟 {deadline}）",  # noqa: E501, RUF001
        "v_precool_reading": "{time} 果心温度 {celsius} °C，超出 {low}–{high} °C",  # noqa: RUF001
        "v_transport_reading": "{time} 记录仪温度 {celsius} °C，超出设定温度 {point} ± {tolerance} °C",  # noqa: E501
        "v_set_point": "设定温度 {point} °C 不在允许的 {low}–{high} °C 之内",  # noqa: RUF001
        "v_residue_fail": "{substance} {value} mg/kg，超过限量 {limit} mg/kg",
        "v_residue_source": "（{edition}；检测机构 {lab}，样品 {sample}）",  # noqa: RUF001
        "v_phi_short": "{substance} 于 {time} 施用（账本条目 {entry}），须间隔 {days} 天才能采收",
        "v_phi_unlisted": "标准未列出 {substance} 的安全间隔期（账本条目 {entry}）",
        # The lineage drawing.
        "v_lineage_title": "批次谱系图",
        "v_kind_harvest": "采收",
        "v_kind_grading": "分级",
        "v_kind_processing": "加工",
        "v_kind_packing": "包装",
        "v_kind_blend": "混合",
        "v_packed": "已装箱",
        "v_list": "，",
    },
    "ug": {
        "v_nav_language": "تىل",
        "v_nav_regulator": "نازارەت تىزىملىكى",
        "v_grade_super": "ئالاھىدە دەرىجە",
        "v_grade_grade_1": "بىرىنچى دەرىجە",
        "v_grade_grade_2": "ئىككىنچى دەرىجە",
        "v_grade_processing": "پىششىقلاش ئۈچۈن",
        "v_unit_KGM": "{n} كىلوگرام",
        "v_unit_GRM": "{n} گرام",
        "v_unit_TNE": "{n} توننا",
        "v_jin": "",
        "v_commodity_strawberry": "قۇلۇپناي",
        "v_commodity_almond": "بادام",
        "v_commodity_jujube": "چىلان",
        "v_commodity_walnut": "ياڭاق",
        "v_rule_cold-chain-precool": "ئالدىن سوۋۇتۇش ئۆلچەمگە يەتمىدى",
        "v_rule_cold-chain-transport": "توشۇش تېمپېراتۇرىسى دائىرىدىن چىقتى",
        "v_rule_cold-chain-set-point": "توشۇشتا بەلگىلەنگەن تېمپېراتۇرا ماس ئەمەس",
        "v_rule_cold-chain-incomplete": "سوغۇق زەنجىر خاتىرىسى تولۇق ئەمەس",
        "v_rule_residue-above-mrl": "دېھقانچىلىق دورىسى قالدۇقى چەكتىن ئاشتى",
        "v_rule_pre-harvest-interval": "يىغىشتىن بۇرۇنقى بىخەتەر ئارىلىق توشمىدى",
        "v_rule_manual-hold": "كوپىراتىپ سېتىشنى توختاتتى",
        "v_rule_regulator-hold": "نازارەت ئورگىنى سېتىشنى توختاتتى",
        "v_rule_recall": "قايتۇرۇۋېلىش",
        "v_rule_holds-lifted": "توختىتىش بىكار قىلىندى",
        "v_rule_release": "سېتىشقا رۇخسەت",
        "v_rule_unknown": "قائىدە {code}",
        "v_entry": " (دەپتەر خاتىرىسى {entry})",
        "v_profile_entry": " (دەپتەر خاتىرىسى {entry} دىكى ئۆلچەم بويىچە)",
        "v_edition_entry": " ({edition}، دەپتەر خاتىرىسى {entry})",
        "v_recall_of": "{lot} تۈركۈمى قايتۇرۇۋېلىندى (دەپتەر خاتىرىسى {entry})",
        "v_lifted_by": "{actor} توختىتىشنى بىكار قىلدى (دەپتەر خاتىرىسى {entry})",
        "v_recorded_late": " (كېيىن خاتىرىلەنگەن)",
        "v_join": "؛ ",
        "v_said": ": ",
        "v_precool_late": (
            "يىغىۋالغاندىن كېيىن {minutes} مىنۇت ئىچىدە مېۋە ئىچى {low}–{high} °C غا "  # noqa: RUF001
            "چۈشمىدى (ئەڭ كېچىكىش {deadline})"
        ),
        "v_precool_reading": "{time} دا مېۋە ئىچى {celsius} °C، {low}–{high} °C دىن تاشقىرى",  # noqa: RUF001
        "v_transport_reading": (
            "{time} دا خاتىرىلىگۈچ {celsius} °C، بەلگىلەنگەن {point} ± {tolerance} °C دىن تاشقىرى"
        ),
        "v_set_point": "بەلگىلەنگەن تېمپېراتۇرا {point} °C رۇخسەت قىلىنغان {low}–{high} °C ئىچىدە ئەمەس",  # noqa: E501, RUF001
        "v_residue_fail": "{substance} {value} mg/kg، چەك {limit} mg/kg دىن ئاشتى",
        "v_residue_source": " ({edition}؛ تەكشۈرۈش ئورنى {lab}، ئەۋرىشكە {sample})",
        "v_phi_short": (
            "{substance} {time} دا چېچىلغان (دەپتەر خاتىرىسى {entry})، يىغىشتىن بۇرۇن {days} كۈن "
            "ئارىلىق كېرەك"
        ),
        "v_phi_unlisted": "ئۆلچەمدە {substance} نىڭ بىخەتەر ئارىلىقى يوق (دەپتەر خاتىرىسى {entry})",
        "v_lineage_title": "تۈركۈم نەسەب سىزمىسى",
        "v_kind_harvest": "يىغىم",
        "v_kind_grading": "دەرىجىگە ئايرىش",
        "v_kind_processing": "پىششىقلاش",
        "v_kind_packing": "قاچىلاش",
        "v_kind_blend": "ئارىلاشتۇرۇش",
        "v_packed": "قاچىلاندى",
        "v_list": "، ",
    },
    "en": {
        "v_nav_language": "Language",
        "v_nav_regulator": "Regulator menu",
        "v_grade_super": "Super",
        "v_grade_grade_1": "Grade I",
        "v_grade_grade_2": "Grade II",
        "v_grade_processing": "For processing",
        "v_unit_KGM": "{n} kg",
        "v_unit_GRM": "{n} g",
        "v_unit_TNE": "{n} t",
        "v_jin": "",
        "v_commodity_strawberry": "Strawberries",
        "v_commodity_almond": "Almonds",
        "v_commodity_jujube": "Jujubes",
        "v_commodity_walnut": "Walnuts",
        "v_rule_cold-chain-precool": "Pre-cooling out of range",
        "v_rule_cold-chain-transport": "Transport temperature out of range",
        "v_rule_cold-chain-set-point": "Transport set point out of range",
        "v_rule_cold-chain-incomplete": "Cold-chain record incomplete",
        "v_rule_residue-above-mrl": "Pesticide residue above the limit",
        "v_rule_pre-harvest-interval": "Pre-harvest interval not met",
        "v_rule_manual-hold": "Held by the cooperative",
        "v_rule_regulator-hold": "Held by the regulator",
        "v_rule_recall": "Recall",
        "v_rule_holds-lifted": "Holds lifted",
        "v_rule_release": "Released",
        "v_rule_unknown": "rule {code}",
        "v_entry": " (ledger entry {entry})",
        "v_profile_entry": " (standard in ledger entry {entry})",
        "v_edition_entry": " ({edition}, ledger entry {entry})",
        "v_recall_of": "Recall of lot {lot} (ledger entry {entry})",
        "v_lifted_by": "Holds lifted by {actor} (ledger entry {entry})",
        "v_recorded_late": " (recorded late)",
        "v_join": "; ",
        "v_said": ": ",
        "v_precool_late": (
            "core not at {low}–{high} °C within {minutes} min of harvest (by {deadline})"  # noqa: RUF001
        ),
        "v_precool_reading": "core {celsius} °C at {time}, outside {low}–{high} °C",  # noqa: RUF001
        "v_transport_reading": (
            "logger {celsius} °C at {time}, outside set point {point} ± {tolerance} °C"
        ),
        "v_set_point": "set point {point} °C outside the allowed {low}–{high} °C",  # noqa: RUF001
        "v_residue_fail": "{substance} {value} mg/kg, above the limit of {limit} mg/kg",
        "v_residue_source": " ({edition}; lab {lab}, sample {sample})",
        "v_phi_short": (
            "{substance} applied {time} (ledger entry {entry}) needs {days} days before harvest"
        ),
        "v_phi_unlisted": "no pre-harvest interval listed for {substance} (ledger entry {entry})",
        "v_lineage_title": "Lot lineage",
        "v_kind_harvest": "harvest",
        "v_kind_grading": "grading",
        "v_kind_processing": "processing",
        "v_kind_packing": "packing",
        "v_kind_blend": "blend",
        "v_packed": "packed",
        "v_list": ", ",
    },
}
