"""Sentences for a field's validation error, in Chinese, Uyghur and English: what to type.

Keyed by :data:`verifier_app.staff._field_errors.KINDS`; ``{got}`` is what was typed and
the other placeholders are the values the kind's pattern reads from the domain's
``expected``. Each sentence says what is wrong and gives an example to copy. The Uyghur
needs a native speaker's review before release.
"""

# Sentences are kept whole on one line so translators can read and edit each as a unit;
# Chinese sentences use Chinese punctuation.
# ruff: noqa: E501, RUF001

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from verifier_app._i18n import Language

__all__ = ["FIELD_ERROR_WORDING"]

FIELD_ERROR_WORDING: Final[Mapping[Language, Mapping[str, str]]] = {
    "zh": {
        "required": "请填写这一项。",
        "empty": "这一项不能是空的。",
        "gs1_space": "批次号不能包含空格 — 例如 SB26-H01",
        "gs1_chars": "编号只能用 1 到 20 个字母、数字或 - . / _ 等符号，不能用汉字 — 例如 SB26-H01",
        "lot_text": "请填写批次号 — 例如 SB26-H01",
        "serial_text": "请填写序列号 — 例如 000001",
        "local_id": "编号只能用 1 到 40 个字母、数字或 . _ -，以字母或数字开头 — 例如 KS-PS1",
        "gtin_digits": "商品编码只能是数字 — 例如 06912345670012",
        "gtin_check": "商品编码的校验位不对，请对照包装上的条码重新输入",
        "gln_digits": "位置编码要 13 位数字",
        "gln_check": "位置编码的最后一位应是 {digit}，请检查",
        "decimal": "请填写一个数字 — 例如 12.5（不要写单位以外的文字）",
        "positive": "这个数要大于 0 — 例如 42.5",
        "at_least": "这个数至少是 {minimum}",
        "time_format": "请填写日期和时间 — 例如 2026-06-01 08:30",
        "time_offset": "时间缺少时区，请重新选择时间",
        "time_floor": "时间太早了，不能早于 {floor}",
        "time_future": "时间不能晚于现在（{now}），请检查日期和时间",
        "sampled_after_result": "采样时间要在出结果（{time}）之前",
        "after_harvest": "测温时间要在采收（{time}）之后，请检查批次和时间",
        "below_loq": "低于检出限时请写 <LOQ；否则数值至少是 {loq}",
        "packed_unit": "这个包装单元要属于所包装的批次之一",
        "new_lot": "分级后的批次号要用新的，不能和原批次相同 — 例如 SB26-H01-G1",
        "distinct_lots": "每个分级后的批次号都要不同，也不能和原批次相同",
        "serial_once": "每个序列号只能出现一次",
        "serial_count": "序列号的个数要等于 {count}",
        "no_repeat": "同一项不能重复填写",
        "json_object": "提交的内容格式不对，请重新打开本页再填",
        "text": "请填写文字",
        "text_chars": "文字里有看不见的控制字符，请删除后重新输入",
        "text_long": "文字太长了，最多 {most} 个字",
        "unknown_product": "没有这个产品，请从列表中选择",
        "unknown_lot": "账本中没有这个批次，请从列表中选择",
        "unknown_plot": "没有这个地块，请从列表中选择",
        "unknown_shipment": "账本中没有这个发货单号，请检查",
        "unknown_complaint": "账本中这一条不是投诉，请检查条目号",
        "choose_product": "几个产品都有这个批次号，请先选择产品（{choices}）",
        "one_of": "请从这些中选一个：{choices}",
        "precool_order": "预冷温度下限不能高于上限 {most}",
        "grade_names": "等级名称不能重复",
        "grade_bands": "各等级的果径范围要首尾相接，覆盖所有大小",
        "readable_file": "文件读不出来，请检查文件",
        "idempotency_key": "表单的提交编号已损坏，请重新打开本页再填",
        "lot_from_list": "请从列表中选择批次",
        "graded_weight": "至少填写一个分级后的批次和它的重量",
    },
    "ug": {
        "required": "بۇ تۈرنى تولدۇرۇڭ.",
        "empty": "بۇ تۈر قۇرۇق بولسا بولمايدۇ.",
        "gs1_space": "تۈركۈم نومۇرىدا بوشلۇق بولسا بولمايدۇ — مەسىلەن SB26-H01",
        "gs1_chars": (
            "نومۇر پەقەت 1 دىن 20 گىچە لاتىن ھەرپ، رەقەم ياكى - . / _ بولىدۇ — مەسىلەن SB26-H01"
        ),
        "lot_text": "تۈركۈم نومۇرىنى يېزىڭ — مەسىلەن SB26-H01",
        "serial_text": "رەت نومۇرىنى يېزىڭ — مەسىلەن 000001",
        "local_id": "نومۇر 1 دىن 40 گىچە لاتىن ھەرپ، رەقەم ياكى . _ - بولىدۇ — مەسىلەن KS-PS1",
        "gtin_digits": "مەھسۇلات كودى پەقەت رەقەم بولىدۇ — مەسىلەن 06912345670012",
        "gtin_check": "مەھسۇلات كودىنىڭ تەكشۈرۈش رەقىمى خاتا، باركودقا قاراپ قايتا يېزىڭ",
        "gln_digits": "ئورۇن كودى 13 خانىلىق رەقەم بولىدۇ",
        "gln_check": "ئورۇن كودىنىڭ ئاخىرقى رەقىمى {digit} بولۇشى كېرەك",
        "decimal": "بىر سان يېزىڭ — مەسىلەن 12.5",
        "positive": "بۇ سان 0 دىن چوڭ بولۇشى كېرەك — مەسىلەن 42.5",
        "at_least": "بۇ سان ئەڭ ئاز {minimum} بولۇشى كېرەك",
        "time_format": "چېسلا ۋە ۋاقىتنى يېزىڭ — مەسىلەن 2026-06-01 08:30",
        "time_offset": "ۋاقىتنىڭ ۋاقىت رايونى يوق، ۋاقىتنى قايتا تاللاڭ",
        "time_floor": "ۋاقىت بەك بالدۇر، {floor} دىن بۇرۇن بولمايدۇ",
        "time_future": "ۋاقىت ھازىردىن ({now}) كېيىن بولمايدۇ، چېسلا ۋە ۋاقىتنى تەكشۈرۈڭ",
        "sampled_after_result": "ئەۋرىشكە ئېلىش ۋاقتى نەتىجە ۋاقتىدىن ({time}) بۇرۇن بولۇشى كېرەك",
        "after_harvest": "ئۆلچەش ۋاقتى ئۈزۈش ۋاقتىدىن ({time}) كېيىن بولۇشى كېرەك",
        "below_loq": "بايقاش چېكىدىن تۆۋەن بولسا <LOQ يېزىڭ؛ بولمىسا سان ئەڭ ئاز {loq}",
        "packed_unit": "بۇ ئوراش بىرلىكى ئورالغان تۈركۈملەرنىڭ بىرىگە تەۋە بولۇشى كېرەك",
        "new_lot": "دەرىجىگە ئايرىلغان تۈركۈمگە يېڭى نومۇر بېرىڭ — مەسىلەن SB26-H01-G1",
        "distinct_lots": "ھەر بىر دەرىجە تۈركۈمىنىڭ نومۇرى ئوخشىمىسۇن، ئەسلى تۈركۈمدىنمۇ پەرقلىق بولسۇن",
        "serial_once": "ھەر بىر رەت نومۇرى پەقەت بىر قېتىم بولىدۇ",
        "serial_count": "رەت نومۇرلىرىنىڭ سانى {count} بولۇشى كېرەك",
        "no_repeat": "ئوخشاش تۈر قايتىلانمىسۇن",
        "json_object": "يوللانغان مەزمۇننىڭ شەكلى خاتا، بەتنى قايتا ئېچىپ تولدۇرۇڭ",
        "text": "خەت يېزىڭ",
        "text_chars": "خەتتە كۆرۈنمەيدىغان كونترول ھەرپى بار، ئۆچۈرۈپ قايتا يېزىڭ",
        "text_long": "خەت بەك ئۇزۇن، ئەڭ كۆپ {most} ھەرپ",
        "unknown_product": "بۇنداق مەھسۇلات يوق، تىزىملىكتىن تاللاڭ",
        "unknown_lot": "دەپتەردە بۇ تۈركۈم يوق، تىزىملىكتىن تاللاڭ",
        "unknown_plot": "بۇنداق يەر پارچىسى يوق، تىزىملىكتىن تاللاڭ",
        "unknown_shipment": "دەپتەردە بۇ يۈك نومۇرى يوق، تەكشۈرۈڭ",
        "unknown_complaint": "دەپتەردىكى بۇ خاتىرە ئەرز ئەمەس، خاتىرە نومۇرىنى تەكشۈرۈڭ",
        "choose_product": "بىر قانچە مەھسۇلاتتا بۇ تۈركۈم نومۇرى بار، ئاۋۋال مەھسۇلاتنى تاللاڭ ({choices})",
        "one_of": "بۇلارنىڭ بىرىنى تاللاڭ: {choices}",
        "precool_order": "ئالدىن سوۋۇتۇش تېمپېراتۇرىسىنىڭ تۆۋەن چېكى يۇقىرى چېكىدىن ({most}) ئېشىپ كەتمىسۇن",
        "grade_names": "دەرىجە ناملىرى قايتىلانمىسۇن",
        "grade_bands": "دەرىجىلەرنىڭ چوڭلۇق دائىرىسى ئۇلىنىپ، ھەممە چوڭلۇقنى قاپلىسۇن",
        "readable_file": "ھۆججەتنى ئوقۇغىلى بولمىدى، ھۆججەتنى تەكشۈرۈڭ",
        "idempotency_key": "جەدۋەلنىڭ يوللاش نومۇرى بۇزۇلۇپتۇ، بەتنى قايتا ئېچىپ تولدۇرۇڭ",
        "lot_from_list": "تىزىملىكتىن بىر تۈركۈم تاللاڭ",
        "graded_weight": "ئەڭ ئاز بىر دەرىجە تۈركۈمى ۋە ئۇنىڭ ئېغىرلىقىنى يېزىڭ",
    },
    "en": {
        "required": "Please fill this in.",
        "empty": "This cannot be empty.",
        "gs1_space": "A lot code cannot contain a space — use e.g. SB26-H01",
        "gs1_chars": (
            "A code is 1 to 20 Latin letters, digits or - . / _ (no Chinese or Uyghur letters)"
            " — e.g. SB26-H01"
        ),
        "lot_text": "Type the lot code — e.g. SB26-H01",
        "serial_text": "Type the serial number — e.g. 000001",
        "local_id": (
            "A code is 1 to 40 letters, digits or . _ -, starting with a letter or digit"
            " — e.g. KS-PS1"
        ),
        "gtin_digits": "A product code (GTIN) is digits only — e.g. 06912345670012",
        "gtin_check": "The product code's check digit is wrong: copy it again from the barcode",
        "gln_digits": "A location code (GLN) is 13 digits",
        "gln_check": "The location code's last digit should be {digit}",
        "decimal": "Type a number — e.g. 12.5",
        "positive": "The number must be more than 0 — e.g. 42.5",
        "at_least": "The number must be at least {minimum}",
        "time_format": "Type a date and time — e.g. 2026-06-01 08:30",
        "time_offset": "The time has no time zone: choose the time again",
        "time_floor": "The time is too early: not before {floor}",
        "time_future": "The time cannot be later than now ({now}): check the date and time",
        "sampled_after_result": "The sampling time must be before the result ({time})",
        "after_harvest": "The reading must be after the harvest ({time}): check the lot and time",
        "below_loq": "Below the limit of quantification, type <LOQ; otherwise at least {loq}",
        "packed_unit": "The unit must belong to one of the packed lots",
        "new_lot": "Give the graded lot a new code, not the input's — e.g. SB26-H01-G1",
        "distinct_lots": "Each graded lot needs its own code, different from the input lot",
        "serial_once": "Each serial number only once",
        "serial_count": "There must be {count} serial numbers",
        "no_repeat": "The same entry cannot be given twice",
        "json_object": "The form arrived malformed: open the page again and refill it",
        "text": "Type some text",
        "text_chars": "The text holds invisible control characters: delete and retype it",
        "text_long": "The text is too long: at most {most} characters",
        "unknown_product": "No such product: choose one from the list",
        "unknown_lot": "No such lot on the ledger: choose one from the list",
        "unknown_plot": "No such plot: choose one from the list",
        "unknown_shipment": "No such shipment on the ledger: check the number",
        "unknown_complaint": "That ledger entry is no complaint: check the entry number",
        "choose_product": "Several products have this lot code: choose the product ({choices})",
        "one_of": "Choose one of: {choices}",
        "precool_order": "The lowest pre-cooling temperature cannot be above the highest ({most})",
        "grade_names": "Each grade name only once",
        "grade_bands": "The grades' size bands must meet end to end and cover every size",
        "readable_file": "The file could not be read: check it",
        "idempotency_key": "The form's submission key is damaged: open the page again and refill it",
        "lot_from_list": "Choose a lot from the list",
        "graded_weight": "Fill in at least one graded lot with its weight",
    },
}
