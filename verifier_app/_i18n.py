"""Consumer page wording in Chinese (default), Uyghur (right to left) and English.

The language comes from ``?lang=`` first, then the best ``Accept-Language`` match, then
Chinese. Uyghur wording should be reviewed by a native speaker before release.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

from verifier_app._sampling_wording import SAMPLING_WORDING

__all__ = ["DEFAULT_LANGUAGE", "DIRECTION", "LANGUAGES", "MESSAGES", "Language", "choose_language"]

Language = Literal["zh", "ug", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("zh", "ug", "en")
DEFAULT_LANGUAGE: Final[Language] = "zh"
DIRECTION: Final[Mapping[Language, str]] = {"zh": "ltr", "ug": "rtl", "en": "ltr"}

MESSAGES: Final[Mapping[Language, Mapping[str, str]]] = {
    "zh": {
        # Sampling (issue 14): the staff and regulator pages share these words.
        **SAMPLING_WORDING["zh"],
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
    },
    "ug": {
        # Sampling (issue 14): the staff and regulator pages share these words.
        **SAMPLING_WORDING["ug"],
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
    },
    "en": {
        # Sampling (issue 14): the staff and regulator pages share these words.
        **SAMPLING_WORDING["en"],
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
