"""Consumer page wording in Chinese (default), Uyghur (right to left) and English.

The language comes from ``?lang=`` first, then the best ``Accept-Language`` match, then
Chinese. Uyghur wording should be reviewed by a native speaker before release.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

__all__ = ["DEFAULT_LANGUAGE", "DIRECTION", "LANGUAGES", "MESSAGES", "Language", "choose_language"]

Language = Literal["zh", "ug", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("zh", "ug", "en")
DEFAULT_LANGUAGE: Final[Language] = "zh"
DIRECTION: Final[Mapping[Language, str]] = {"zh": "ltr", "ug": "rtl", "en": "ltr"}

MESSAGES: Final[Mapping[Language, Mapping[str, str]]] = {
    "zh": {
        "language_name": "中文",
        "site": "农产品溯源验证",
        "status_unknown": "未知编码：可能是假冒产品",
        "explain_unknown": "本合作社的账本中没有这个批次。请不要轻信包装上的信息，"
        "可向销售者或当地市场监管部门核实。",
        "status_verified": "已验证",
        "explain_verified": "以下信息记录在合作社的防篡改账本中，可以逐条核验。",
        "status_unverified": "暂时无法确认",
        "explain_unverified": "服务器的记录与其账本不一致，正在核查，"
        "在此之前本页不作“已验证”的声明。监管部门已收到通知。",
        "status_on_hold": "暂停销售",
        "explain_on_hold": "该批次正在等待或未通过检测，暂时不能销售。",
        "status_recalled": "已召回 — 请勿食用或销售",
        "explain_recalled": "该批次已被召回，请不要食用，并联系销售者。",
        "bad_code": "二维码内容无效",
        "explain_bad_code": "这个链接不是有效的 GS1 数字链接码。",
        "error_title": "无法完成",
        "error_home": "返回首页",
        "sign_in": "登录",
        "sign_in_explain": "请输入合作社发给您的令牌（一串字母和数字）。",
        "token_label": "令牌",
        "bad_token": "令牌不正确，请检查后重试。",
        "sign_out": "退出",
        "signed_in_as": "已登录：",
        "home_title": "合作社溯源系统",
        "home_explain": "消费者：请用手机扫描包装上的二维码。工作人员：请登录。",
        "staff_pages": "包装车间",
        "regulator_pages": "监管审计",
        "gtin": "商品编码（GTIN）",
        "lot": "批次号",
        "serial": "序列号",
        "product": "产品",
        "origin": "产地",
        "grade": "等级",
        "harvested": "采收日期",
        "packed": "包装日期",
        "residue": "农药残留检测",
        "cold_chain": "冷链",
        "cold_chain_missing": "冷链缺项",
        "missing_precool": "没有预冷记录：不能认为这批产品冷链合规。",
        "cert_valid": "承诺达标合格证有效：",
        "cert_issued": "开具日期",
        "cert_by": "开具者",
        "cert_withdrawn": "承诺达标合格证已失效：",
        "cert_invalid": "承诺达标合格证无效：",
        "cert_no_certificate": "账本上没有这个编号的合格证。",
        "cert_other_lot": "这个编号的合格证不是为这一批次开具的。",
        "cert_unknown_lot": "账本上没有这一批次。",
        "status": "状态",
        "cooperative": "合作社（账本）",
        "grower": "种植户",
        "quantity": "数量",
        "lab": "检测机构",
        "proofs": "账本证明",
        "cosigned_by": "账本检查点（{size} 条记录）已由见证方 {witness} 于 {time} 联署",
        "not_cosigned": "账本检查点（{size} 条记录）尚无见证方联署",
        "verify_pending": "本机验证需要启用 JavaScript。上面的信息来自合作社的账本。",
        "verified_here": "✓ 已在本手机上验证：账本签名和每条记录的证明都正确",
        "verify_failed": "✗ 验证失败，请勿相信此页面",
        "status_released": "已放行销售",
        "proof_unchecked": "证明尚未在本设备上核验",
        "proof_unavailable": "暂时无法证明",
        "cannot_check": "无法在本手机上核验（不代表页面有问题）",
        "mismatch": "与账本不符",
        "verified_short": "✓ 已在本手机上核验",
        "omission_unchecked": "未核验是否有遗漏的记录（如召回）",
        "status_counterfeit": "可能是假冒标签",
        "explain_counterfeit": "这个标签没有通过核验。请不要轻信包装上的信息，"
        "可向销售者或当地市场监管部门核实。",
        "scanned": "此标签已被扫描 {n} 次（自 {date} 起）",
        "label_suspicious": "此标签的扫描次数异常，可能被复制。",
        "entry": "账本条目",
        # The consumer page as a story (issue 13).
        "say_verified": "可以放心食用。",
        "say_unverified": "暂时无法确认，请稍后再扫一次。",
        "say_on_hold": "暂时不要购买或食用。",
        "say_recalled": "请不要食用。已经买了的，请联系卖家退货。",
        "why_released": "这一批的农药残留检测全部合格，合作社已放行销售。",
        "why_residue": "检测发现农药残留超过国家限量：{substances}。这一批已被扣留，不能销售。",
        "why_precool": (
            "采收后没有及时冷却：要求 {within} 分钟内降到 {band}，实际用了 {minutes} 分钟。"
            "这一批已被扣留。"
        ),
        "why_precool_never": "采收后没有冷却到 {band}（要求 {within} 分钟内）。这一批已被扣留。",
        "why_transport": "运输途中温度超出了允许范围。这一批已被扣留。",
        "why_phi": "采收时离最后一次喷药的时间还不够安全间隔期。这一批已被扣留。",
        "why_hold": "合作社暂停了这一批的销售。合作社的原话：",
        "why_recall": "召回原因（合作社的原话）：",
        "why_pending": "农药残留检测结果还没有出来，检测合格之前不能销售。",
        "why_consumed": "这一批已经分级成更小的批次，本身不再单独销售。",
        "fresh": "采收日期 {harvested}，最佳食用期至 {date}（采收后 {days} 天）。",
        "fresh_past": "最佳食用期（{date}）已经过了，不建议再食用。",
        "lot_is_released": "已放行销售",
        "lot_is_shipped": "已发货",
        "lot_is_received": "已到货",
        "lot_is_on_hold": "暂停销售",
        "lot_is_recalled": "已召回",
        "lot_is_active": "等待检测结果",
        "lot_is_consumed": "已分级（不单独销售）",
        "story_title": "从田间到货架",
        "step_field": "田间",
        "step_inputs": "施肥与用药",
        "step_harvest": "采收",
        "step_precool": "预冷",
        "step_grading": "分级",
        "step_residue": "农药残留检测",
        "step_transport": "运输与收货",
        "step_certificate": "承诺达标合格证",
        "step_contact": "联系合作社",
        "farm_village": "农场与村庄",
        "farm_plot": "农场 {farm}，地块 {plot}",
        "grown_variety": "品种",
        "picked_at": "采收时间",
        "cat_fertiliser": "施肥",
        "cat_pesticide": "喷药",
        "input_line": "{date} {category}：{product}（{substance}），每公顷 {dose}",
        "input_days": "采收前 {days} 天",
        "phi_kept": "安全间隔期 {phi} 天：已遵守 ✓",
        "phi_broken": "安全间隔期 {phi} 天：没有遵守 ✗",
        "phi_unlisted": "没有列出安全间隔期 ✗",
        "no_inputs": "账本上没有这个地块的施肥或用药记录。",
        "precool_ok": "采收后 {minutes} 分钟降到 {band}（要求 {within} 分钟内）✓",
        "precool_late": "采收后 {minutes} 分钟才降到 {band}（要求 {within} 分钟内）✗",
        "precool_never": "没有降到 {band}（要求 {within} 分钟内）✗",
        "no_precool": "没有预冷记录。",
        "chart_precool": "预冷温度曲线，允许范围 {band}",
        "chart_transport": "运输温度曲线，允许范围 {band}",
        "place": "地点",
        "grade_super": "特级",
        "grade_grade_1": "一级",
        "grade_grade_2": "二级",
        "grade_processing": "加工级",
        "size_between": "果径 {min}\u2013{max} 毫米",
        "size_from": "果径 {min} 毫米以上",
        "size_below": "果径 {max} 毫米以下",
        "not_graded": "这一批是采收批，还没有分级。",
        "col_substance": "农药",
        "col_value": "检测值（毫克/千克）",
        "coop_name": "合作社",
        "list_sep": "，",
        "col_limit": "国家限量（毫克/千克）",
        "col_verdict": "结论",
        "v_pass": "合格 ✓",
        "v_fail": "超标 ✗",
        "v_not_assessable": "无法判定",
        "below_loq": "未检出",
        "no_limit": "没有列出限量",
        "sample": "样品",
        "sampled": "送检时间",
        "method": "检测方法",
        "limits_standard": "限量标准",
        "no_tests": "还没有农药残留检测记录。",
        "route": "{origin} → {destination}",
        "truck_set_point": "车厢设定 {point}（允许 {band}）",
        "shipped_at": "发货时间",
        "received_at": "到货时间",
        "in_transit": "运输中",
        "transport_ok": "全程 {n} 次温度记录都在允许范围内 ✓",
        "transport_out": "{n} 次温度记录中有 {out} 次超出允许范围 ✗",
        "no_shipments": "还没有发货记录。",
        "certificate_line": "编号 {number}，开具于 {date}",
        "no_certificate": "还没有开具合格证（只有放行销售的批次才能开具）。",
        "phone": "电话",
        "address": "地址",
        "kg": "{n} 公斤（{jin} 斤）",
        "pieces": "{n} 个",
        "date_format": "{y}年{m}月{d}日",
        "time_zone": "（北京时间 {zone}）",
        "dose_kg/ha": "{n} 千克",
        "dose_l/ha": "{n} 升",
        "dose_g/ha": "{n} 克",
        "dose_ml/ha": "{n} 毫升",
    },
    "ug": {
        "language_name": "ئۇيغۇرچە",
        "site": "يېزا ئىگىلىك مەھسۇلاتلىرىنى ئىز قوغلاش",
        "status_unknown": "نامەلۇم كود: ساختا مەھسۇلات بولۇشى مۇمكىن",
        "explain_unknown": "بۇ تۈركۈم كوپېراتىپنىڭ خاتىرىسىدە يوق. ئورامدىكى ئۇچۇرغا "
        "ئاسانلىقچە ئىشەنمەڭ، ساتقۇچى ياكى بازار نازارەت ئورنىدىن سوراڭ.",
        "status_verified": "دەلىللەندى",
        "explain_verified": "تۆۋەندىكى ئۇچۇرلار كوپېراتىپنىڭ ئۆزگەرتكىلى بولمايدىغان "
        "خاتىرىسىگە يېزىلغان، ھەر بىرىنى تەكشۈرگىلى بولىدۇ.",
        "status_unverified": "ھازىرچە جەزملەشتۈرگىلى بولمايدۇ",
        "explain_unverified": "مۇلازىمېتىرنىڭ خاتىرىسى دەپتەر بىلەن ماس كەلمىدى، تەكشۈرۈلۈۋاتىدۇ؛ "
        "شۇڭا بۇ بەت «دەلىللەندى» دېمەيدۇ. نازارەت ئورنىغا ئۇقتۇرۇلدى.",
        "status_on_hold": "سېتىش توختىتىلدى",
        "explain_on_hold": "بۇ تۈركۈم تەكشۈرۈش نەتىجىسىنى كۈتۈۋاتىدۇ ياكى تەكشۈرۈشتىن ئۆتمىدى.",
        "status_recalled": "قايتۇرۇۋېلىندى — يېمەڭ ۋە ساتماڭ",
        "explain_recalled": "بۇ تۈركۈم قايتۇرۇۋېلىندى، يېمەڭ ۋە ساتقۇچى بىلەن ئالاقىلىشىڭ.",
        "bad_code": "كود ئىناۋەتسىز",
        "explain_bad_code": "بۇ ئۇلانما ئىناۋەتلىك GS1 رەقەملىك ئۇلانما ئەمەس.",
        "error_title": "تاماملانمىدى",
        "error_home": "باش بەتكە قايتىش",
        "sign_in": "كىرىش",
        "sign_in_explain": "كوپېراتىپ سىزگە بەرگەن بەلگىنى (ھەرپ ۋە سانلار) كىرگۈزۈڭ.",
        "token_label": "بەلگە",
        "bad_token": "بەلگە توغرا ئەمەس، تەكشۈرۈپ قايتا سىناڭ.",
        "sign_out": "چىقىش",
        "signed_in_as": "كىرگەن:",
        "home_title": "كوپېراتىپ ئىز قوغلاش سىستېمىسى",
        "home_explain": "ئىستېمالچىلار: ئورامدىكى QR كودنى تېلېفون بىلەن سكانېرلاڭ. "
        "خىزمەتچىلەر: كىرىڭ.",
        "staff_pages": "ئوراش سېخى",
        "regulator_pages": "نازارەت تەكشۈرۈش",
        "gtin": "مەھسۇلات نومۇرى (GTIN)",
        "lot": "تۈركۈم نومۇرى",
        "serial": "تەرتىپ نومۇرى",
        "product": "مەھسۇلات",
        "origin": "ئىشلەپچىقىرىلغان جاي",
        "grade": "دەرىجە",
        "harvested": "ئۈزۈلگەن ۋاقتى",
        "packed": "ئورالغان ۋاقتى",
        "residue": "دورا قالدۇقى تەكشۈرۈشى",
        "cold_chain": "سوغۇق زەنجىر",
        "cold_chain_missing": "سوغۇق زەنجىردىكى كەمچىلىك",
        "missing_precool": (
            "ئالدىن سوۋۇتۇش خاتىرىسى يوق: بۇ تۈركۈمنى سوغۇق زەنجىر ئۆلچىمىگە "
            "ئۇيغۇن دېگىلى بولمايدۇ."
        ),
        "cert_valid": "ئۆلچەمگە يېتىش كاپالەت گۇۋاھنامىسى كۈچكە ئىگە:",
        "cert_issued": "بېرىلگەن ۋاقتى",
        "cert_by": "بەرگۈچى",
        "cert_withdrawn": "ئۆلچەمگە يېتىش كاپالەت گۇۋاھنامىسى ئەمەلدىن قالدى:",
        "cert_invalid": "ئۆلچەمگە يېتىش كاپالەت گۇۋاھنامىسى ئىناۋەتسىز:",
        "cert_no_certificate": "دەپتەردە بۇ نومۇرلۇق گۇۋاھنامە يوق.",
        "cert_other_lot": "بۇ نومۇرلۇق گۇۋاھنامە بۇ تۈركۈم ئۈچۈن بېرىلمىگەن.",
        "cert_unknown_lot": "دەپتەردە بۇ تۈركۈم يوق.",
        "status": "ھالىتى",
        "cooperative": "كوپېراتىپ (خاتىرە)",
        "grower": "تېرىقچى",
        "quantity": "مىقدارى",
        "lab": "تەكشۈرۈش ئورنى",
        "proofs": "خاتىرە ئىسپاتى",
        "cosigned_by": (
            "تەكشۈرۈش نۇقتىسى ({size} خاتىرە) گۇۋاھچى {witness} تەرىپىدىن {time} دە ئىمزالاندى"
        ),
        "not_cosigned": "تەكشۈرۈش نۇقتىسى ({size} خاتىرە) تېخى گۇۋاھچى تەرىپىدىن ئىمزالانمىدى",
        "verify_pending": "بۇ تېلېفوندا تەكشۈرۈش ئۈچۈن JavaScript كېرەك.",
        "verified_here": "✓ بۇ تېلېفوندا تەكشۈرۈلدى: خاتىرە ئىمزاسى ۋە ئىسپاتلار توغرا",
        "verify_failed": "✗ تەكشۈرۈش مەغلۇپ بولدى، بۇ بەتكە ئىشەنمەڭ",
        "status_released": "سېتىشقا رۇخسەت قىلىندى",
        "proof_unchecked": "ئىسپات بۇ ئۈسكۈنىدە تېخى تەكشۈرۈلمىدى",
        "proof_unavailable": "ھازىرچە ئىسپاتلىغىلى بولمايدۇ",
        "cannot_check": "بۇ تېلېفوندا تەكشۈرگىلى بولمايدۇ (بەت خاتا دېگەنلىك ئەمەس)",
        "mismatch": "خاتىرە بىلەن ماس كەلمىدى",
        "verified_short": "✓ بۇ تېلېفوندا تەكشۈرۈلدى",
        "omission_unchecked": "چۈشۈپ قالغان خاتىرە (قايتۇرۇۋېلىش قاتارلىق) تەكشۈرۈلمىدى",
        "status_counterfeit": "ساختا بەلگە بولۇشى مۇمكىن",
        "explain_counterfeit": "بۇ بەلگە تەكشۈرۈشتىن ئۆتمىدى. ئورامدىكى ئۇچۇرغا ئىشەنمەڭ.",
        "scanned": "بۇ بەلگە {date} دىن بۇيان {n} قېتىم سكانېرلاندى",
        "label_suspicious": "بۇ بەلگىنىڭ سكانېرلىنىش سانى نورمالسىز، كۆچۈرۈلگەن بولۇشى مۇمكىن.",
        "entry": "خاتىرە",
        # The consumer page as a story (issue 13).
        "say_verified": "خاتىرجەم يېسىڭىز بولىدۇ.",
        "say_unverified": "ھازىرچە جەزملەشتۈرگىلى بولمايدۇ، سەل تۇرۇپ قايتا سكانېرلاڭ.",
        "say_on_hold": "ھازىرچە سېتىۋالماڭ ۋە يېمەڭ.",
        "say_recalled": "يېمەڭ. سېتىۋالغان بولسىڭىز، ساتقۇچى بىلەن ئالاقىلىشىپ قايتۇرۇڭ.",
        "why_released": (
            "بۇ تۈركۈمنىڭ دورا قالدۇقى تەكشۈرۈشلىرىنىڭ ھەممىسى ئۆلچەمگە توشتى، كوپېراتىپ سېتىشقا "
            "رۇخسەت قىلدى."
        ),
        "why_residue": (
            "تەكشۈرۈشتە دورا قالدۇقى دۆلەت چېكىدىن ئېشىپ كەتتى: {substances}. بۇ تۈركۈم "
            "توختىتىلدى، سېتىلمايدۇ."
        ),
        "why_precool": (
            "ئۈزۈلگەندىن كېيىن ۋاقتىدا سوۋۇتۇلمىدى: {within} مىنۇت ئىچىدە {band} گە چۈشۈشى كېرەك "
            "ئىدى، {minutes} مىنۇت كەتتى. بۇ تۈركۈم توختىتىلدى."
        ),
        "why_precool_never": (
            "ئۈزۈلگەندىن كېيىن {band} گە سوۋۇتۇلمىدى ({within} مىنۇت ئىچىدە بولۇشى كېرەك). بۇ "
            "تۈركۈم توختىتىلدى."
        ),
        "why_transport": (
            "توشۇش جەريانىدا تېمپېراتۇرا رۇخسەت قىلىنغان دائىرىدىن چىقىپ كەتتى. بۇ تۈركۈم "
            "توختىتىلدى."
        ),
        "why_phi": (
            "ئاخىرقى قېتىم دورا چېچىلغاندىن كېيىن بىخەتەرلىك ئارىلىقى توشمايلا ئۈزۈلدى. بۇ "
            "تۈركۈم توختىتىلدى."
        ),
        "why_hold": "كوپېراتىپ بۇ تۈركۈمنىڭ سېتىلىشىنى توختاتتى. كوپېراتىپنىڭ ئۆز سۆزى:",
        "why_recall": "قايتۇرۇۋېلىش سەۋەبى (كوپېراتىپنىڭ ئۆز سۆزى):",
        "why_pending": (
            "دورا قالدۇقى تەكشۈرۈش نەتىجىسى تېخى چىقمىدى؛ ئۆلچەمگە توشمىغۇچە سېتىلمايدۇ."
        ),
        "why_consumed": "بۇ تۈركۈم كىچىك تۈركۈملەرگە دەرىجىگە ئايرىلدى، ئۆزى ئايرىم سېتىلمايدۇ.",
        "fresh": (
            "ئۈزۈلگەن كۈنى {harvested}؛ ئەڭ ياخشى يېيىش مۇددىتى {date} غىچە (ئۈزۈلگەندىن كېيىن "
            "{days} كۈن)."
        ),
        "fresh_past": "ئەڭ ياخشى يېيىش مۇددىتى ({date}) ئۆتۈپ كەتتى، يېمىگىنىڭىز تۈزۈك.",
        "lot_is_released": "سېتىشقا رۇخسەت قىلىندى",
        "lot_is_shipped": "يولغا سېلىندى",
        "lot_is_received": "يېتىپ كەلدى",
        "lot_is_on_hold": "سېتىش توختىتىلدى",
        "lot_is_recalled": "قايتۇرۇۋېلىندى",
        "lot_is_active": "تەكشۈرۈش نەتىجىسىنى كۈتۈۋاتىدۇ",
        "lot_is_consumed": "دەرىجىگە ئايرىلدى (ئايرىم سېتىلمايدۇ)",
        "story_title": "ئېتىزدىن پېشتاختىغىچە",
        "step_field": "ئېتىز",
        "step_inputs": "ئوغۇت ۋە دورا",
        "step_harvest": "ئۈزۈش",
        "step_precool": "ئالدىن سوۋۇتۇش",
        "step_grading": "دەرىجىگە ئايرىش",
        "step_residue": "دورا قالدۇقى تەكشۈرۈشى",
        "step_transport": "توشۇش ۋە تاپشۇرۇۋېلىش",
        "step_certificate": "ئۆلچەمگە يېتىش كاپالەت گۇۋاھنامىسى",
        "step_contact": "كوپېراتىپ بىلەن ئالاقىلىشىش",
        "farm_village": "دېھقانچىلىق مەيدانى ۋە يېزا",
        "farm_plot": "مەيدان {farm}، ئېتىز {plot}",
        "grown_variety": "سورتى",
        "picked_at": "ئۈزۈلگەن ۋاقتى",
        "cat_fertiliser": "ئوغۇت",
        "cat_pesticide": "دورا",
        "input_line": "{date} {category}: {product} ({substance})، ھەر گېكتارغا {dose}",
        "input_days": "ئۈزۈشتىن {days} كۈن ئىلگىرى",
        "phi_kept": "بىخەتەرلىك ئارىلىقى {phi} كۈن: رىئايە قىلىندى ✓",
        "phi_broken": "بىخەتەرلىك ئارىلىقى {phi} كۈن: رىئايە قىلىنمىدى ✗",
        "phi_unlisted": "بىخەتەرلىك ئارىلىقى بەلگىلەنمىگەن ✗",
        "no_inputs": "خاتىرىدە بۇ ئېتىزغا ئوغۇت ياكى دورا ئىشلىتىلگەنلىك خاتىرىسى يوق.",
        "precool_ok": (
            "ئۈزۈلگەندىن {minutes} مىنۇت كېيىن {band} گە چۈشتى ({within} مىنۇت ئىچىدە بولۇشى "
            "كېرەك) ✓"
        ),
        "precool_late": (
            "ئۈزۈلگەندىن {minutes} مىنۇت كېيىنلا {band} گە چۈشتى ({within} مىنۇت ئىچىدە بولۇشى "
            "كېرەك) ✗"
        ),
        "precool_never": "{band} گە چۈشمىدى ({within} مىنۇت ئىچىدە بولۇشى كېرەك) ✗",
        "no_precool": "ئالدىن سوۋۇتۇش خاتىرىسى يوق.",
        "chart_precool": "ئالدىن سوۋۇتۇش تېمپېراتۇرىسى، رۇخسەت دائىرىسى {band}",
        "chart_transport": "توشۇش تېمپېراتۇرىسى، رۇخسەت دائىرىسى {band}",
        "place": "ئورنى",
        "grade_super": "ئالاھىدە دەرىجە",
        "grade_grade_1": "1-دەرىجە",
        "grade_grade_2": "2-دەرىجە",
        "grade_processing": "پىششىقلاپ ئىشلەشكە",
        "size_between": "مېۋە دىئامېتىرى {min}\u2013{max} مىللىمېتىر",
        "size_from": "مېۋە دىئامېتىرى {min} مىللىمېتىردىن چوڭ",
        "size_below": "مېۋە دىئامېتىرى {max} مىللىمېتىردىن كىچىك",
        "not_graded": "بۇ ئۈزۈلگەن تۈركۈم، تېخى دەرىجىگە ئايرىلمىدى.",
        "col_substance": "دورا",
        "col_value": "ئۆلچەنگىنى (مىللىگرام/كىلوگرام)",
        "coop_name": "كوپېراتىپ",
        "list_sep": "، ",
        "col_limit": "دۆلەت چېكى (مىللىگرام/كىلوگرام)",
        "col_verdict": "خۇلاسە",
        "v_pass": "ئۆلچەمگە توشتى ✓",
        "v_fail": "چەكتىن ئاشتى ✗",
        "v_not_assessable": "باھالىغىلى بولمايدۇ",
        "below_loq": "بايقالمىدى",
        "no_limit": "چەك بەلگىلەنمىگەن",
        "sample": "ئۈلگە",
        "sampled": "تەكشۈرۈشكە ئەۋەتىلگەن ۋاقتى",
        "method": "تەكشۈرۈش ئۇسۇلى",
        "limits_standard": "چەك ئۆلچىمى",
        "no_tests": "تېخى دورا قالدۇقى تەكشۈرۈش خاتىرىسى يوق.",
        "route": "{origin} ← {destination}",
        "truck_set_point": "ماشىنا تېمپېراتۇرىسى {point} (رۇخسەت {band})",
        "shipped_at": "يولغا سېلىنغان ۋاقتى",
        "received_at": "يېتىپ كەلگەن ۋاقتى",
        "in_transit": "يولدا",
        "transport_ok": "{n} قېتىملىق تېمپېراتۇرا خاتىرىسىنىڭ ھەممىسى رۇخسەت دائىرىسىدە ✓",
        "transport_out": "{n} قېتىملىق خاتىرىنىڭ {out} قېتىمى رۇخسەت دائىرىسىدىن چىقتى ✗",
        "no_shipments": "تېخى يولغا سېلىش خاتىرىسى يوق.",
        "certificate_line": "نومۇرى {number}، {date} دە بېرىلگەن",
        "no_certificate": (
            "تېخى گۇۋاھنامە بېرىلمىدى (پەقەت سېتىشقا رۇخسەت قىلىنغان تۈركۈمگىلا بېرىلىدۇ)."
        ),
        "phone": "تېلېفون",
        "address": "ئادرېس",
        "kg": "{n} كىلوگرام",
        "pieces": "{n} دانە",
        "date_format": "{y}-يىلى {m}-ئاينىڭ {d}-كۈنى",
        "time_zone": "(بېيجىڭ ۋاقتى {zone})",
        "dose_kg/ha": "{n} كىلوگرام",
        "dose_l/ha": "{n} لىتىر",
        "dose_g/ha": "{n} گرام",
        "dose_ml/ha": "{n} مىللىلىتىر",
    },
    "en": {
        "language_name": "English",
        "site": "Produce traceability check",
        "status_unknown": "Unknown code: possible counterfeit",
        "explain_unknown": "This lot is not in the cooperative's ledger. Do not trust the "
        "packaging; check with the seller or your local market regulator.",
        "status_verified": "Verified",
        "explain_verified": "What follows is recorded in the cooperative's tamper-evident "
        "ledger; each entry can be checked.",
        "status_unverified": "Cannot be confirmed right now",
        "explain_unverified": "The server's records disagree with its ledger and are being "
        "checked; until then this page does not say verified. The regulator has been told.",
        "status_on_hold": "On hold",
        "explain_on_hold": "This lot is waiting for, or failed, its tests and may not be sold.",
        "status_recalled": "RECALLED — do not eat or sell",
        "explain_recalled": "This lot has been recalled. Do not eat it; contact the seller.",
        "bad_code": "This code is not valid",
        "explain_bad_code": "This link is not a valid GS1 Digital Link.",
        "error_title": "Could not do that",
        "error_home": "Back to the start page",
        "sign_in": "Sign in",
        "sign_in_explain": "Enter the token your cooperative gave you "
        "(a string of letters and digits).",
        "token_label": "Token",
        "bad_token": "That token is not right; check it and try again.",
        "sign_out": "Sign out",
        "signed_in_as": "Signed in:",
        "home_title": "Cooperative traceability",
        "home_explain": "Consumers: scan the QR code on the pack with your phone. Staff: sign in.",
        "staff_pages": "Packing shed",
        "regulator_pages": "Regulator audit",
        "gtin": "Product code (GTIN)",
        "lot": "Lot",
        "serial": "Serial",
        "product": "Product",
        "origin": "Origin",
        "grade": "Grade",
        "harvested": "Harvested",
        "packed": "Packed",
        "residue": "Residue tests",
        "cold_chain": "Cold chain",
        "cold_chain_missing": "Cold chain gap",
        "missing_precool": "No pre-cooling record: this lot cannot be called cold-chain compliant.",
        "cert_valid": "Compliance certificate valid:",
        "cert_issued": "issued",
        "cert_by": "by",
        "cert_withdrawn": "Compliance certificate withdrawn:",
        "cert_invalid": "Compliance certificate NOT valid:",
        "cert_no_certificate": "the ledger holds no certificate with this number.",
        "cert_other_lot": "the certificate with this number was not issued for this lot.",
        "cert_unknown_lot": "the ledger holds no such lot.",
        "status": "Status",
        "cooperative": "Cooperative (ledger)",
        "grower": "Grower",
        "quantity": "Quantity",
        "lab": "Testing lab",
        "proofs": "Ledger proofs",
        "cosigned_by": "Checkpoint of {size} entries cosigned by the witness {witness} at {time}",
        "not_cosigned": "Checkpoint of {size} entries: not cosigned by a witness yet",
        "verify_pending": (
            "Checking on this phone needs JavaScript; the facts above come from the "
            "cooperative's ledger."
        ),
        "verified_here": (
            "✓ Verified on this phone: the ledger's signature and every entry's proof are correct"
        ),
        "verify_failed": "✗ Verification failed: do not trust this page",
        "status_released": "Released for sale",
        "proof_unchecked": "proof not yet checked on this device",
        "proof_unavailable": "Cannot be proven yet",
        "cannot_check": "Cannot check on this phone (this does not mean the page is wrong)",
        "mismatch": "does not match the ledger",
        "verified_short": "✓ checked on this phone",
        "omission_unchecked": "not checked for left-out entries (such as a recall)",
        "status_counterfeit": "Possible counterfeit label",
        "explain_counterfeit": "This label did not pass the check. Do not trust the pack; "
        "ask the seller or the local market regulator.",
        "scanned": "This label has been scanned {n} times since {date}",
        "label_suspicious": "This label has been scanned unusually often: it may have been copied.",
        "entry": "Ledger entry",
        # The consumer page as a story (issue 13).
        "say_verified": "Safe to eat.",
        "say_unverified": "Cannot be confirmed right now; please scan again later.",
        "say_on_hold": "Do not buy or eat this for now.",
        "say_recalled": "Do not eat it. If you bought it, contact the seller for a refund.",
        "why_released": (
            "Every pesticide residue test on this lot passed, and the cooperative released it "
            "for sale."
        ),
        "why_residue": (
            "A test found pesticide residue above the legal limit: {substances}. The lot is held "
            "and may not be sold."
        ),
        "why_precool": (
            "It was not cooled fast enough after picking: it should reach {band} within {within} "
            "minutes, and it took {minutes} minutes. The lot is held."
        ),
        "why_precool_never": (
            "It was never cooled to {band} after picking (required within {within} minutes). The "
            "lot is held."
        ),
        "why_transport": (
            "The temperature in the truck went outside the allowed range. The lot is held."
        ),
        "why_phi": (
            "It was picked too soon after a pesticide spray, before the safety interval had run "
            "out. The lot is held."
        ),
        "why_hold": "The cooperative stopped sales of this lot. In their words:",
        "why_recall": "Why it was recalled (the cooperative's words):",
        "why_pending": (
            "The pesticide residue results are not in yet; it may not be sold until they pass."
        ),
        "why_consumed": "This lot was graded into smaller lots and is not sold by itself.",
        "fresh": "Picked on {harvested}; best before {date} ({days} days from picking).",
        "fresh_past": "The best-before date ({date}) has passed: better not to eat it.",
        "lot_is_released": "Released for sale",
        "lot_is_shipped": "Shipped",
        "lot_is_received": "Delivered",
        "lot_is_on_hold": "On hold",
        "lot_is_recalled": "Recalled",
        "lot_is_active": "Waiting for test results",
        "lot_is_consumed": "Graded (not sold by itself)",
        "story_title": "From the field to the shelf",
        "step_field": "The field",
        "step_inputs": "Fertiliser and sprays",
        "step_harvest": "Picking",
        "step_precool": "Cooling after picking",
        "step_grading": "Grading",
        "step_residue": "Pesticide residue test",
        "step_transport": "Transport and delivery",
        "step_certificate": "Compliance certificate",
        "step_contact": "Contact the cooperative",
        "farm_village": "Farm and village",
        "farm_plot": "farm {farm}, plot {plot}",
        "grown_variety": "Variety",
        "picked_at": "Picked",
        "cat_fertiliser": "Fertiliser",
        "cat_pesticide": "Spray",
        "input_line": "{date} {category}: {product} ({substance}), {dose} per hectare",
        "input_days": "{days} days before picking",
        "phi_kept": "safety interval {phi} days: kept ✓",
        "phi_broken": "safety interval {phi} days: NOT kept ✗",
        "phi_unlisted": "no safety interval listed ✗",
        "no_inputs": "The ledger holds no fertiliser or spray records for this plot.",
        "precool_ok": (
            "Reached {band} {minutes} minutes after picking (required within {within} minutes) ✓"
        ),
        "precool_late": (
            "Reached {band} only {minutes} minutes after picking (required within {within} "
            "minutes) ✗"
        ),
        "precool_never": "Never reached {band} (required within {within} minutes) ✗",
        "no_precool": "No pre-cooling record.",
        "chart_precool": "Temperature while cooling, allowed {band}",
        "chart_transport": "Temperature in transport, allowed {band}",
        "place": "Where",
        "grade_super": "Super",
        "grade_grade_1": "Grade I",
        "grade_grade_2": "Grade II",
        "grade_processing": "For processing",
        "size_between": "fruit {min}\u2013{max} mm across",
        "size_from": "fruit {min} mm across or more",
        "size_below": "fruit under {max} mm across",
        "not_graded": "This is a harvest lot; it has not been graded yet.",
        "col_substance": "Pesticide",
        "col_value": "Found (mg/kg)",
        "coop_name": "Cooperative",
        "list_sep": ", ",
        "col_limit": "Legal limit (mg/kg)",
        "col_verdict": "Verdict",
        "v_pass": "pass ✓",
        "v_fail": "over the limit ✗",
        "v_not_assessable": "cannot be judged",
        "below_loq": "not detected",
        "no_limit": "no limit listed",
        "sample": "Sample",
        "sampled": "Sent for testing",
        "method": "Test method",
        "limits_standard": "Limits from",
        "no_tests": "No pesticide residue test recorded yet.",
        "route": "{origin} → {destination}",
        "truck_set_point": "truck set to {point} (allowed {band})",
        "shipped_at": "Shipped",
        "received_at": "Delivered",
        "in_transit": "in transit",
        "transport_ok": "all {n} temperature readings within the allowed range ✓",
        "transport_out": "{out} of {n} temperature readings outside the allowed range ✗",
        "no_shipments": "Not shipped yet.",
        "certificate_line": "No. {number}, issued {date}",
        "no_certificate": "No certificate issued (only a lot released for sale gets one).",
        "phone": "Phone",
        "address": "Address",
        "kg": "{n} kg",
        "pieces": "{n} pieces",
        "date_format": "{d} {month} {y}",
        "time_zone": "(Beijing time, {zone})",
        "dose_kg/ha": "{n} kg",
        "dose_l/ha": "{n} l",
        "dose_g/ha": "{n} g",
        "dose_ml/ha": "{n} ml",
    },
}


def _as_language(tag: str) -> Language | None:
    primary = tag.strip().split("-")[0].lower()
    for language in LANGUAGES:
        if primary == language:
            return language
    return None


def choose_language(requested: str | None, accept_language: str | None) -> Language:
    """Pick the page language: ``?lang=`` if supported, else the best Accept-Language match.

    Args:
        requested: The ``lang`` query parameter, if any.
        accept_language: The ``Accept-Language`` header (RFC 9110 §12.5.4), if any.
    """
    if requested is not None:
        chosen = _as_language(requested)
        if chosen is not None:
            return chosen
    best: tuple[float, Language] | None = None
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.partition(";")
        language = _as_language(tag)
        if language is None:
            continue
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        # Equal qualities keep the header's order: earlier wins.
        score = quality - position * 1e-6
        if quality > 0 and (best is None or score > best[0]):
            best = (score, language)
    return DEFAULT_LANGUAGE if best is None else best[1]
