"""Wording of the staff pages in Chinese (default), Uyghur (right to left) and English.

Passed to :func:`verifier_app._pages.render_page` as ``wording``; every language has the
same keys (a test checks). The Uyghur wording needs a native speaker's review before
release. A rule's refusal is worded here (``REFUSAL_WORDING``); a field's validation error in
``staff/_field_error_wording.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from verifier_app._i18n import Language

__all__ = ["STAFF_WORDING"]

STAFF_WORDING: Final[Mapping[Language, Mapping[str, str]]] = {
    "zh": {
        "staff_title": "包装车间",
        "what_now": "现在要做什么？",  # noqa: RUF001 (Chinese punctuation)
        "do_harvest": "登记采收",
        "do_cooling": "登记预冷",
        "do_grading": "登记分级",
        "do_packing": "登记包装",
        "do_shipping": "登记发货",
        "do_release": "放行销售",
        "do_hold": "暂停销售",
        "find_lot": "查找批次",
        "find_button": "查找",
        "lot_code": "批次号",
        "recent_lots": "最近的批次",
        "no_lots": "还没有批次。",
        "no_match": "没有找到这个批次号。",
        "clock": "时间",
        "clock_explain": "本设备填写的时间按：",
        "clock_button": "保存",
        "zone_beijing": "北京时间",
        "zone_xinjiang": "新疆时间",
        "needs_attention": "需要处理：暂停销售和已召回仍在库的批次",
        "nothing_needs_attention": "没有暂停销售或待撤回的批次。",
        "why": "原因",
        "plot": "地块（种植户）",
        "variety": "品种",
        "weight": "重量",
        "quantity_kg": "重量（公斤）",
        "weight_hint": "例如 42.5（公斤）、42.5 公斤 或 85 斤；1 斤 = 0.5 公斤",  # noqa: RUF001
        "converted": "已换算成公斤记录：",
        "to_account": "这批的采收重量，分级后的重量合计要与它相符：",
        "size_bands": "各等级的果径范围（按量得的果径核对）：",
        "time": "时间",
        "site_code": "地点编号（如包装站）",
        "celsius": "果心温度（°C）",
        "lot_heading": "批次",
        "output": "分级后的批次",
        "sizes_mm": "量得的果径（毫米，用逗号分开）",
        "measures": "按个数或单果重分级时：每公斤个数或单果重（克，用逗号分开）",
        "quality_readings": "品质测定（例如 brix 9.5, moisture 20）",
        "unit_id": "包装单元编号（托盘或箱）",
        "shipment": "发货单号",
        "origin_site": "发出地点编号",
        "destination": "目的地编号",
        "set_point": "冷藏车设定温度（°C，可不填）",
        "note": "说明",
        "reason": "原因",
        "save": "保存",
        "cancel": "返回",
        "optional": "可不填",
        "required": "请填写这一项。",
        "fix_field": "请改正这一项：",
        "refused": "没有保存，账本中什么也没有增加：",
        "saved": "已保存到账本。",
        "back_home": "返回车间首页",
        "lot_status_active": "已登记，等待检测或放行",
        "lot_status_released": "已放行，可以销售",
        "lot_status_on_hold": "暂停销售",
        "lot_status_consumed": "已分级或加工成其他批次",
        "lot_status_shipped": "已发货",
        "lot_status_received": "已送达",
        "lot_status_recalled": "已召回",
        "residues": "农残检测",
        "substance": "物质",
        "value": "结果",
        "limit": "限量",
        "verdict": "结论",
        "verdict_pass": "合格",
        "verdict_fail": "不合格",
        "verdict_not_assessable": "无法判定",
        "no_residues": "还没有检测结果。",
        "grown_by": "种植",
        "made_from": "来自这些批次",
        "made_into": "分成或加工成",
        "next_steps": "下一步",
        "print_labels": "打印标签",
        "graded_into": "分级所得的批次，原批次",
        "grade_name_super": "特级",
        "grade_name_grade_1": "一级",
        "grade_name_grade_2": "二级",
        "grade_name_processing": "加工级",
        "lab_title": "检测机构：录入残留检测结果",
        "lab_key_note": "结果用本检测机构自己的密钥签名后记入账本（不是合作社的密钥）。",
        "lab_enter": "录入一个样品的结果",
        "lab_upload": "上传 CSV 文件（多个样品）",
        "sample_id": "样品编号",
        "lab_name": "检测机构名称",
        "method": "检测方法（标准号）",
        "result_time": "出结果的时间",
        "result_row": "检测项目",
        "result_value": "结果（毫克/千克；低于检出限写 <LOQ）",  # noqa: RUF001
        "result_loq": "检出限 LOQ（毫克/千克）",
        "csv_file": "CSV 文件",
        "csv_hint": "第一行是列名：",
        "csv_hint_gtin": "两个产品用同一个批次号时，再加一列 gtin。",
        "csv_row": "第 {line} 行",
        "csv_no_file": "请先选择要上传的 CSV 文件。列名：",
        "csv_too_big": "文件太大（最多 1 MB），请分成几个文件上传。列名：",
        "csv_not_utf8": "文件不是 UTF-8 文本：在表格软件里另存为「CSV UTF-8」。列名：",
        "csv_columns": "第一行要有这些列名：",
        "csv_no_rows": "文件里只有列名，没有结果行。列名：",
        "upload_button": "上传并记入账本",
        "results_saved": "结果已记入账本：",
        "label_format": "格式",
        "format_pdf": "A4 标签纸（PDF，24 张一页）",
        "format_png": "单张图片（PNG）",
        "format_zpl": "标签打印机（ZPL）",
        "label_count": "张数",
        "download": "下载标签",
        "cannot_label": "这个批次现在不能贴销售标签，也不能开具合格证：",
        "certificate_title": "开具承诺达标合格证",
        "certificate_contact": "联系电话",
        "certificate_basis": "承诺依据",
        "certificate_issue": "记入账本并下载合格证",
        "staff_missing_precool": "没有预冷记录：这个批次不能标为冷链合规，不能贴标签或开具合格证。",
    },
    "ug": {
        "staff_title": "ئوراش سېخى",
        "what_now": "ھازىر نېمە قىلىسىز؟",
        "do_harvest": "ھوسۇل تىزىملاش",
        "do_cooling": "سوۋۇتۇشنى تىزىملاش",
        "do_grading": "دەرىجىگە ئايرىشنى تىزىملاش",
        "do_packing": "ئوراشنى تىزىملاش",
        "do_shipping": "يولغا سېلىشنى تىزىملاش",
        "do_release": "سېتىشقا قويۇپ بېرىش",
        "do_hold": "سېتىشنى توختىتىش",
        "find_lot": "تۈركۈم ئىزدەش",
        "find_button": "ئىزدەش",
        "lot_code": "تۈركۈم نومۇرى",
        "recent_lots": "يېقىنقى تۈركۈملەر",
        "no_lots": "تېخى تۈركۈم يوق.",
        "no_match": "بۇ تۈركۈم نومۇرى تېپىلمىدى.",
        "clock": "ۋاقىت",
        "clock_explain": "بۇ ئۈسكۈنىدە يېزىلغان ۋاقىت:",
        "clock_button": "ساقلاش",
        "zone_beijing": "بېيجىڭ ۋاقتى",
        "zone_xinjiang": "شىنجاڭ ۋاقتى",
        "needs_attention": (
            "بىر تەرەپ قىلىش كېرەك: توختىتىلغان ۋە قايتۇرۇۋېلىنغان، تېخى ئامباردىكى تۈركۈملەر"
        ),
        "nothing_needs_attention": "توختىتىلغان ياكى قايتۇرۇۋېلىنىدىغان تۈركۈم يوق.",
        "why": "سەۋەبى",
        "plot": "ئېتىز (تېرىغۇچى)",
        "variety": "سورتى",
        "weight": "ئېغىرلىقى",
        "quantity_kg": "ئېغىرلىقى (كىلوگىرام)",
        "weight_hint": "مەسىلەن 42.5 (كىلوگىرام)، 42.5 كىلو ياكى 85 جىڭ؛ 1 جىڭ = 0.5 كىلوگىرام",
        "converted": "كىلوگىرامغا ئايلاندۇرۇپ خاتىرىلەندى:",
        "to_account": (
            "بۇ تۈركۈمنىڭ ئۈزۈلگەن ئېغىرلىقى؛ "
            "دەرىجىگە ئايرىلغان ئېغىرلىقلارنىڭ يىغىندىسى ئۇنىڭغا ماس كېلىشى كېرەك:"
        ),
        "size_bands": (
            "ھەر دەرىجىنىڭ مېۋە دىئامېتىر دائىرىسى (ئۆلچەنگەن دىئامېتىر بىلەن تەكشۈرۈلىدۇ):"
        ),
        "time": "ۋاقىت",
        "site_code": "ئورۇن نومۇرى (مەسىلەن ئوراش پونكىتى)",
        "celsius": "مېۋە ئىچى تېمپېراتۇرىسى (°C)",
        "lot_heading": "تۈركۈم",
        "output": "دەرىجىگە ئايرىلغان تۈركۈم",
        "sizes_mm": "ئۆلچەنگەن چوڭلۇقى (مىللىمېتىر، پەش بىلەن ئايرىڭ)",
        "measures": (
            "سان ياكى ئېغىرلىق بويىچە: ھەر كىلوگىرامدىكى سانى ياكى "
            "بىر دانىسىنىڭ ئېغىرلىقى (گىرام، پەش بىلەن)"
        ),
        "quality_readings": "سۈپەت ئۆلچىمى (مەسىلەن brix 9.5, moisture 20)",
        "unit_id": "ئوراش بىرلىكى نومۇرى (پالېت ياكى قاپ)",
        "shipment": "يۈك نومۇرى",
        "origin_site": "چىققان ئورۇن نومۇرى",
        "destination": "بارىدىغان ئورۇن نومۇرى",
        "set_point": "سوۋۇتقۇچ ماشىنا تېمپېراتۇرىسى (°C، تولدۇرمىسىڭىزمۇ بولىدۇ)",
        "note": "ئىزاھات",
        "reason": "سەۋەبى",
        "save": "ساقلاش",
        "cancel": "قايتىش",
        "optional": "تولدۇرمىسىڭىزمۇ بولىدۇ",
        "required": "بۇ تۈرنى تولدۇرۇڭ.",
        "fix_field": "بۇ تۈرنى تۈزىتىڭ:",
        "refused": "ساقلانمىدى، دەپتەرگە ھېچنېمە قوشۇلمىدى:",
        "saved": "دەپتەرگە ساقلاندى.",
        "back_home": "سېخ باش بېتىگە قايتىش",
        "lot_status_active": "تىزىملاندى، تەكشۈرۈش ياكى قويۇپ بېرىشنى كۈتۈۋاتىدۇ",
        "lot_status_released": "قويۇپ بېرىلدى، سېتىشقا بولىدۇ",
        "lot_status_on_hold": "سېتىش توختىتىلدى",
        "lot_status_consumed": "باشقا تۈركۈملەرگە ئايرىلدى ياكى پىششىقلاندى",
        "lot_status_shipped": "يولغا سېلىندى",
        "lot_status_received": "يېتىپ كەلدى",
        "lot_status_recalled": "قايتۇرۇۋېلىندى",
        "residues": "دورا قالدۇقى تەكشۈرۈشى",
        "substance": "ماددا",
        "value": "نەتىجە",
        "limit": "چەك",
        "verdict": "خۇلاسە",
        "verdict_pass": "ئۆلچەمگە توشىدۇ",
        "verdict_fail": "ئۆلچەمگە توشمايدۇ",
        "verdict_not_assessable": "باھالىغىلى بولمايدۇ",
        "no_residues": "تېخى تەكشۈرۈش نەتىجىسى يوق.",
        "grown_by": "تېرىغۇچى",
        "made_from": "بۇ تۈركۈملەردىن كەلگەن",
        "made_into": "ئايرىلغان ياكى پىششىقلانغان",
        "next_steps": "كېيىنكى قەدەم",
        "print_labels": "بەلگە بېسىش",
        "graded_into": "دەرىجىگە ئايرىلغان تۈركۈملەر، ئەسلى تۈركۈم",
        "grade_name_super": "ئالاھىدە دەرىجە",
        "grade_name_grade_1": "بىرىنچى دەرىجە",
        "grade_name_grade_2": "ئىككىنچى دەرىجە",
        "grade_name_processing": "پىششىقلاش ئۈچۈن",
        "lab_title": "تەكشۈرۈش ئورنى: قالدۇق تەكشۈرۈش نەتىجىسىنى كىرگۈزۈش",
        "lab_key_note": (
            "نەتىجە بۇ تەكشۈرۈش ئورنىنىڭ ئۆز ئاچقۇچى بىلەن ئىمزالىنىپ دەپتەرگە يېزىلىدۇ "
            "(كوپىراتىپنىڭ ئاچقۇچى ئەمەس)."
        ),
        "lab_enter": "بىر ئەۋرىشكىنىڭ نەتىجىسىنى كىرگۈزۈش",
        "lab_upload": "CSV ھۆججىتى يوللاش (كۆپ ئەۋرىشكە)",
        "sample_id": "ئەۋرىشكە نومۇرى",
        "lab_name": "تەكشۈرۈش ئورنىنىڭ نامى",
        "method": "تەكشۈرۈش ئۇسۇلى (ئۆلچەم نومۇرى)",
        "result_time": "نەتىجە چىققان ۋاقىت",
        "result_row": "تەكشۈرۈش تۈرى",
        "result_value": "نەتىجە (mg/kg؛ بايقاش چېكىدىن تۆۋەن بولسا <LOQ يېزىڭ)",
        "result_loq": "بايقاش چېكى LOQ (mg/kg)",
        "csv_file": "CSV ھۆججىتى",
        "csv_hint": "بىرىنچى قۇر ئىستون ناملىرى:",
        "csv_hint_gtin": "ئىككى مەھسۇلات ئوخشاش تۈركۈم نومۇرىنى ئىشلەتسە، gtin ئىستونىنى قوشۇڭ.",
        "csv_row": "{line}-قۇر",
        "csv_no_file": "ئاۋۋال يوللايدىغان CSV ھۆججىتىنى تاللاڭ. ئىستون ناملىرى:",
        "csv_too_big": "ھۆججەت بەك چوڭ (ئەڭ كۆپ 1 MB)، بىر قانچە ھۆججەتكە بۆلۈپ يوللاڭ. ئىستون ناملىرى:",  # noqa: E501
        "csv_not_utf8": "ھۆججەت UTF-8 تېكىست ئەمەس: جەدۋەل يۇمشاق دېتالىدا «CSV UTF-8» قىلىپ ساقلاڭ. ئىستون ناملىرى:",  # noqa: E501
        "csv_columns": "بىرىنچى قۇردا بۇ ئىستون ناملىرى بولۇشى كېرەك:",
        "csv_no_rows": "ھۆججەتتە پەقەت ئىستون ناملىرى بار، نەتىجە قۇرى يوق. ئىستون ناملىرى:",
        "upload_button": "يوللاپ دەپتەرگە يېزىش",
        "results_saved": "نەتىجە دەپتەرگە يېزىلدى:",
        "label_format": "شەكلى",
        "format_pdf": "A4 بەلگە قەغىزى (PDF، بىر بەتتە 24)",
        "format_png": "يەككە رەسىم (PNG)",
        "format_zpl": "بەلگە پرىنتېرى (ZPL)",
        "label_count": "سانى",
        "download": "بەلگىنى چۈشۈرۈش",
        "cannot_label": "بۇ تۈركۈمگە ھازىر سېتىش بەلگىسى چاپلاشقا ۋە گۇۋاھنامە بېرىشكە بولمايدۇ:",
        "certificate_title": "ئۆلچەمگە يېتىش كاپالەت گۇۋاھنامىسى بېرىش",
        "certificate_contact": "تېلېفون نومۇرى",
        "certificate_basis": "كاپالەتنىڭ ئاساسى",
        "certificate_issue": "دەپتەرگە خاتىرىلەپ گۇۋاھنامىنى چۈشۈرۈش",
        "staff_missing_precool": (
            "ئالدىن سوۋۇتۇش خاتىرىسى يوق: بۇ تۈركۈمنى سوغۇق زەنجىر ئۆلچىمىگە ئۇيغۇن دېگىلى، "
            "بەلگە چاپلىغىلى ۋە گۇۋاھنامە بەرگىلى بولمايدۇ."
        ),
    },
    "en": {
        "staff_title": "Packing shed",
        "what_now": "What are you doing now?",
        "do_harvest": "Record a harvest",
        "do_cooling": "Record cooling",
        "do_grading": "Record grading",
        "do_packing": "Record packing",
        "do_shipping": "Record shipping",
        "do_release": "Release for sale",
        "do_hold": "Hold from sale",
        "find_lot": "Find a lot",
        "find_button": "Find",
        "lot_code": "Lot code",
        "recent_lots": "Recent lots",
        "no_lots": "No lots yet.",
        "no_match": "No lot has this code.",
        "clock": "Clock",
        "clock_explain": "Times typed on this device are in:",
        "clock_button": "Save",
        "zone_beijing": "Beijing time",
        "zone_xinjiang": "Xinjiang time",
        "needs_attention": "Needs attention: lots on hold, and recalled lots still in stock",
        "nothing_needs_attention": "No lot is on hold or waiting to be withdrawn.",
        "why": "Why",
        "plot": "Plot (grower)",
        "variety": "Variety",
        "weight": "Weight",
        "quantity_kg": "Weight (kg)",
        "weight_hint": "e.g. 42.5 (kg), 42.5 kg or 85 斤; 1 斤 = 0.5 kg",
        "converted": "Recorded in kg:",
        "to_account": "Harvested weight of this lot; the graded weights must add up to it:",
        "size_bands": "Size bands per grade (the measured sizes are checked against them):",
        "time": "Time",
        "site_code": "Site code (e.g. the packing station)",
        "celsius": "Core temperature (°C)",
        "lot_heading": "Lot",
        "output": "Graded lot",
        "sizes_mm": "Sizes measured (mm, separated by commas)",
        "measures": "Graded by count or weight: count per kg or unit weight in g (commas between)",
        "quality_readings": "Quality readings (e.g. brix 9.5, moisture 20)",
        "unit_id": "Packing unit code (pallet or case)",
        "shipment": "Shipment code",
        "origin_site": "Leaving from (site code)",
        "destination": "Going to (site code)",
        "set_point": "Reefer set point (°C, may be left empty)",
        "note": "Note",
        "reason": "Reason",
        "save": "Save",
        "cancel": "Back",
        "optional": "may be left empty",
        "required": "Please fill this in.",
        "fix_field": "Please correct this:",
        "refused": "Not saved; nothing was added to the ledger:",
        "saved": "Saved on the ledger.",
        "back_home": "Back to the packing shed",
        "lot_status_active": "Recorded, waiting for tests or release",
        "lot_status_released": "Released: may be sold",
        "lot_status_on_hold": "On hold: may not be sold",
        "lot_status_consumed": "Graded or processed into other lots",
        "lot_status_shipped": "Shipped",
        "lot_status_received": "Received",
        "lot_status_recalled": "Recalled",
        "residues": "Residue tests",
        "substance": "Substance",
        "value": "Result",
        "limit": "Limit",
        "verdict": "Verdict",
        "verdict_pass": "pass",
        "verdict_fail": "FAIL",
        "verdict_not_assessable": "not assessable",
        "no_residues": "No test results yet.",
        "grown_by": "Grown by",
        "made_from": "Made from",
        "made_into": "Made into",
        "next_steps": "Next step",
        "print_labels": "Print labels",
        "graded_into": "Graded lots, from",
        "grade_name_super": "Super",
        "grade_name_grade_1": "Grade I",
        "grade_name_grade_2": "Grade II",
        "grade_name_processing": "For processing",
        "lab_title": "Testing lab: residue results",
        "lab_key_note": (
            "Results are signed with this lab's own key (not the cooperative's) "
            "and recorded on the ledger."
        ),
        "lab_enter": "Enter one sample's results",
        "lab_upload": "Upload a CSV file (many samples)",
        "sample_id": "Sample number",
        "lab_name": "Lab name",
        "method": "Method (standard)",
        "result_time": "Time of the result",
        "result_row": "Substance",
        "result_value": "Result (mg/kg; below the LOQ write <LOQ)",
        "result_loq": "LOQ (mg/kg)",
        "csv_file": "CSV file",
        "csv_hint": "First line, the column names:",
        "csv_hint_gtin": "Add a gtin column when two products use the same lot code.",
        "csv_row": "Line {line}",
        "csv_no_file": "Choose the CSV file to upload first. Columns:",
        "csv_too_big": "The file is too large (at most 1 MB): upload it in parts. Columns:",
        "csv_not_utf8": 'The file is not UTF-8 text: save it as "CSV UTF-8" in the spreadsheet. Columns:',  # noqa: E501
        "csv_columns": "The first line must name these columns:",
        "csv_no_rows": "The file has the column names but no result lines. Columns:",
        "upload_button": "Upload and record",
        "results_saved": "Results recorded:",
        "label_format": "Format",
        "format_pdf": "A4 label sheet (PDF, 24 a page)",
        "format_png": "One picture (PNG)",
        "format_zpl": "Label printer (ZPL)",
        "label_count": "How many",
        "download": "Download labels",
        "cannot_label": "This lot may not be labelled for sale or certified now:",
        "certificate_title": "Issue the compliance certificate (承诺达标合格证)",
        "certificate_contact": "Telephone",
        "certificate_basis": "Ground of the commitment",
        "certificate_issue": "Record on the ledger and download the certificate",
        "staff_missing_precool": (
            "No pre-cooling record: this lot cannot be called cold-chain compliant, labelled "
            "or certified."
        ),
    },
}


def _table_rules(sentence: str) -> dict[str, str]:
    # The lifecycle table's rules share one sentence (action, lot, status, what it needs).
    rules = (
        "cool-only-before-shipping",
        "grade-only-active-or-released",
        "test-not-after-recall",
        "pack-only-active-or-released",
        "label-requires-released",
        "ship-requires-released",
        "receive-requires-shipped",
        "process-only-active-released-or-received",
        "hold-only-movable-lots",
        "release-only-active-or-held",
        "recall-once",
    )
    return dict.fromkeys(rules, sentence)


#: A refusal in words, by the rule's wording key (``LifecycleError.key``; the keys and their
#: parameters are listed in ``traceability.rules._refusals.REFUSALS``, and a test checks every
#: one is here in every language). ``{name}`` is a parameter, shown isolated (``<bdi>``);
#: ``action``, ``status``, ``allowed``, ``who`` and ``stage`` are translated with
#: :data:`REFUSAL_TERMS` first. A separate table from :data:`STAFF_WORDING`: rule names never
#: collide with the page's own keys.
REFUSAL_WORDING: Final[Mapping[Language, Mapping[str, str]]] = {
    "zh": {
        **_table_rules("不能{action}：批次 {lot} 现在是「{status}」，这一步要求「{allowed}」"),
        "release-refused-after-failed-residue": (
            "不能{action}：批次 {lot} 或它的来源批次农残检测不合格，"
            "需要合格的复检结果或监管部门的决定才能解除"
        ),
        "processing-grade-not-for-sale": "不能{action}：批次 {lot} 是「{grade}」等级，只能用于加工",
        "release-requires-passed-tests": (
            "不能{action}：原料批次 {input}（占 {share}）没有农残检测合格记录（{missing}）"
        ),
        "release-requires-passed-tests/self": (
            "不能{action}：批次 {lot} 没有农残检测合格记录（{missing}）"
        ),
        "decision-after-results": (
            "不能{action}：批次 {lot} 的决定时间 {time} 早于它所依据的检测结果（{relied}）"
        ),
        "cold-chain-incomplete": (
            "不能{action}：批次 {lot} 及其来源批次没有{stage}记录，不能标为冷链合规"
        ),
        "sampling-plan-overdue": (
            "不能{action}：批次 {lot} 所属的抽样计划 {plan} 应在 {due} 前抽样，至今没有第三方抽样"
        ),
        "hold-lift-authority": (
            "不能解除：批次 {lot} 按「{hold_rule}」被暂停（账本第 {hold_entry} 条），"
            "只有{who}可以解除"
        ),
        "hold-lift-evidence": (
            "不能解除：批次 {lot} 按「{hold_rule}」被暂停（账本第 {hold_entry} 条），"
            "需要此后由检测机构签名的合格复检结果，或监管部门的决定。说明不能作为证据"
        ),
        "hold-lift-evidence/not-a-retest": (
            "不能解除：账本第 {evidence} 条不是批次 {lot} 的合格复检结果"
        ),
        "regulator-release-lifts-holds": (
            "批次 {lot} 现在是「{status}」，没有被暂停。"
            "监管部门的决定只解除暂停，放行销售由合作社进行"
        ),
        "time-after-lot-made": "{action}的时间 {time} 早于批次 {lot} 的产生时间 {made}",
        "time-order": (
            "{action}的时间 {time} 早于批次 {lot} 上一个环节的时间 {before}"
            "（采收、预冷、分级、包装、发货、收货依次进行）"
        ),
        "time-order/receiving": "收货时间 {time} 早于发货单 {shipment} 的发货时间 {shipped}",
        "receive-requires-shipped/shipment": (
            "不能收货：发货单 {shipment} 现在是「{status}」，不在运输途中"
        ),
        "lot-codes-unique": "批次号 {lot} 已经存在",
        "lot-codes-unique/look-alike": (
            "批次号 {lot} 与已有批次 {existing} 看起来相同（批次号不区分大小写）"
        ),
        "shipment-ids-unique": "发货单号 {shipment} 已经存在",
        "pack-once-per-unit": "批次 {lot} 已经装入 {unit}",
        "farm-ids-unique": "农场编号 {farm} 已经登记",
        "plot-ids-unique": "地块编号 {plot} 已经登记",
        "product-commodity-fixed": (
            "商品条码 {gtin} 自账本第 {entry} 条起是「{commodity}」，不能改为「{new}」"
        ),
        "profile-required": "账本上没有「{commodity}」的品类规则",
        "mrl-table-required": "账本上没有限量标准表「{edition}」",
        "mrl-edition-reload-keeps-commodities": (
            "限量标准表「{edition}」（账本第 {entry} 条）包含 {dropped}，这次重新载入漏掉了它们："
            "请补上这些行，或用新的版本名载入"
        ),
        "pre-harvest-interval": (
            "不能采收：{substance}（账本第 {entry} 条）施用后要间隔 {days} 天才能采收"
        ),
        "pre-harvest-interval/unlisted": (
            "不能采收：{substance}（账本第 {entry} 条）没有列出安全间隔期，无法证明合规"
        ),
        "grading-conserves-mass": "分级后的批次共 {total}，而原批次只有 {quantity}",
        "decision-once": (
            "投诉（账本第 {complaint} 条）已在账本第 {entry} 条作出决定，每件投诉只有一个决定"
        ),
        "decision-same-lot": (
            "投诉（账本第 {complaint} 条）针对批次 {expected}，决定却写的是批次 {lot}"
        ),
        "decision-follows-action": (
            "「{action}」决定必须紧跟在监管部门对批次 {lot} 的{action}记录之后（同一次提交）"
        ),
        "grade-band": "批次 {output}：{size} {unit} 不在「{grade}」等级的范围内",
        "grade-quality": "批次 {output}：{indicator} 为 {value}，「{grade}」等级要求 {needs}",
        "grade-quality/missing": (
            "批次 {output}：没有 {indicator} 测定值，「{grade}」等级要求 {needs}"
        ),
        "assessment-ids-unique": "考核 {assessment} 已经记录过了（账本第 {entry} 条）",
        "grower-qualified/none": (
            "不能采收：种植户 {grower}（农场 {farm}）没有「{topic}」考核合格记录"
        ),
        "grower-qualified/failed": (
            "不能采收：种植户 {grower}（农场 {farm}）的「{topic}」考核 {assessment} 于 {day} 未通过"
        ),
        "grower-qualified/expired": (
            "不能采收：种植户 {grower}（农场 {farm}）的「{topic}」考核 {assessment} 已于 {day} 过期"
        ),
    },
    "ug": {
        **_table_rules(
            "{action} مۇمكىن ئەمەس: {lot} تۈركۈمى ھازىر «{status}»، "
            "بۇ قەدەم «{allowed}» ھالىتىنى تەلەپ قىلىدۇ"
        ),
        "release-refused-after-failed-residue": (
            "{action} مۇمكىن ئەمەس: {lot} تۈركۈمى ياكى ئۇ كەلگەن تۈركۈم دورا قالدۇقى "
            "تەكشۈرۈشىدىن ئۆتەلمىگەن؛ قايتا تەكشۈرۈشتىن ئۆتكەن نەتىجە ياكى نازارەت ئورنىنىڭ "
            "قارارى بولغاندىلا توختىتىش بىكار قىلىنىدۇ"
        ),
        "processing-grade-not-for-sale": (
            "{action} مۇمكىن ئەمەس: {lot} تۈركۈمىنىڭ دەرىجىسى «{grade}»، "
            "پەقەت پىششىقلاشقىلا ئىشلىتىلىدۇ"
        ),
        "release-requires-passed-tests": (
            "{action} مۇمكىن ئەمەس: خام ئەشيا تۈركۈمى {input} (ماسسىنىڭ {share} قىسمى) "
            "ئۈچۈن دورا قالدۇقى تەكشۈرۈشىدىن ئۆتكەن خاتىرە يوق ({missing})"
        ),
        "release-requires-passed-tests/self": (
            "{action} مۇمكىن ئەمەس: {lot} تۈركۈمى ئۈچۈن دورا قالدۇقى تەكشۈرۈشىدىن ئۆتكەن "
            "خاتىرە يوق ({missing})"
        ),
        "decision-after-results": (
            "{action} مۇمكىن ئەمەس: {lot} تۈركۈمى ھەققىدىكى قارار ۋاقتى ({time}) ئۇ تايانغان "
            "تەكشۈرۈش نەتىجىسىنىڭ ۋاقتىدىن ({relied}) بۇرۇن"
        ),
        "cold-chain-incomplete": (
            "{action} مۇمكىن ئەمەس: {lot} تۈركۈمى ۋە ئۇ كەلگەن تۈركۈملەردە {stage} خاتىرىسى "
            "يوق، شۇڭا سوغۇق زەنجىر ئۆلچىمىگە ئۇيغۇن دېيىشكە بولمايدۇ"
        ),
        "sampling-plan-overdue": (
            "{action} مۇمكىن ئەمەس: {lot} تۈركۈمى تەۋە {plan} ئەۋرىشكە پىلانى بويىچە {due} "
            "دىن بۇرۇن ئەۋرىشكە ئېلىنىشى كېرەك ئىدى، تېخى ئۈچىنچى تەرەپ ئەۋرىشكىسى يوق"
        ),
        "hold-lift-authority": (
            "بىكار قىلىش مۇمكىن ئەمەس: {lot} تۈركۈمى «{hold_rule}» بويىچە توختىتىلغان "
            "(دەپتەردىكى {hold_entry}-خاتىرە)؛ ئۇنى پەقەت {who} بىكار قىلالايدۇ"
        ),
        "hold-lift-evidence": (
            "بىكار قىلىش مۇمكىن ئەمەس: {lot} تۈركۈمى «{hold_rule}» بويىچە توختىتىلغان "
            "(دەپتەردىكى {hold_entry}-خاتىرە)؛ ئۇنىڭدىن كېيىن تەجرىبىخانا ئىمزا قويغان، "
            "ئۆلچەمگە توشقان قايتا تەكشۈرۈش نەتىجىسى ياكى نازارەت ئورنىنىڭ قارارى كېرەك؛ "
            "ئىزاھات دەلىل بولالمايدۇ"
        ),
        "hold-lift-evidence/not-a-retest": (
            "بىكار قىلىش مۇمكىن ئەمەس: دەپتەردىكى {evidence}-خاتىرە {lot} تۈركۈمىنىڭ "
            "ئۆلچەمگە توشقان قايتا تەكشۈرۈش نەتىجىسى ئەمەس"
        ),
        "regulator-release-lifts-holds": (
            "{lot} تۈركۈمى ھازىر «{status}»، توختىتىلمىغان؛ نازارەت ئورنىنىڭ قارارى پەقەت "
            "توختىتىشنى بىكار قىلىدۇ، سېتىشقا قويۇپ بېرىشنى كوئوپېراتىپ قىلىدۇ"
        ),
        "time-after-lot-made": (
            "{action} ۋاقتى ({time}) {lot} تۈركۈمى ھاسىل بولغان ۋاقىتتىن ({made}) بۇرۇن"
        ),
        "time-order": (
            "{action} ۋاقتى ({time}) {lot} تۈركۈمىنىڭ ئالدىنقى باسقۇچىنىڭ ۋاقتىدىن "
            "({before}) بۇرۇن (ھوسۇل، سوۋۇتۇش، دەرىجىگە ئايرىش، ئوراش، يولغا سېلىش، "
            "قوبۇل قىلىش تەرتىپ بويىچە بولىدۇ)"
        ),
        "time-order/receiving": (
            "قوبۇل قىلىش ۋاقتى ({time}) {shipment} نومۇرلۇق يۈكنىڭ يولغا سېلىنغان "
            "ۋاقتىدىن ({shipped}) بۇرۇن"
        ),
        "receive-requires-shipped/shipment": (
            "قوبۇل قىلىش مۇمكىن ئەمەس: {shipment} نومۇرلۇق يۈك ھازىر «{status}»، يولدا ئەمەس"
        ),
        "lot-codes-unique": "{lot} تۈركۈم نومۇرى ئاللىبۇرۇن بار",
        "lot-codes-unique/look-alike": (
            "{lot} تۈركۈم نومۇرى بار بولغان {existing} تۈركۈمىگە ئوخشاپ قالىدۇ "
            "(تۈركۈم نومۇرىدا چوڭ-كىچىك ھەرپ پەرقلەندۈرۈلمەيدۇ)"
        ),
        "shipment-ids-unique": "{shipment} يۈك نومۇرى ئاللىبۇرۇن بار",
        "pack-once-per-unit": "{lot} تۈركۈمى ئاللىبۇرۇن {unit} ئوراش بىرلىكىگە ئورالغان",
        "farm-ids-unique": "{farm} دېھقانچىلىق مەيدانى نومۇرى ئاللىبۇرۇن تىزىملانغان",
        "plot-ids-unique": "{plot} ئېتىز نومۇرى ئاللىبۇرۇن تىزىملانغان",
        "product-commodity-fixed": (
            "{gtin} تاۋار كودى دەپتەردىكى {entry}-خاتىرىدىن باشلاپ «{commodity}»، "
            "ئۇنى «{new}» دەپ ئۆزگەرتىشكە بولمايدۇ"
        ),
        "profile-required": "دەپتەردە «{commodity}» ئۈچۈن مەھسۇلات قائىدىسى يوق",
        "mrl-table-required": "دەپتەردە «{edition}» چەك ئۆلچەم جەدۋىلى يوق",
        "mrl-edition-reload-keeps-commodities": (
            "«{edition}» چەك ئۆلچەم جەدۋىلىدە (دەپتەردىكى {entry}-خاتىرە) بۇلار بار: "
            "{dropped}؛ بۇ قېتىمقى قايتا يۈكلەشتە ئۇلار چۈشۈپ قالغان: ئۇلارنىڭ قۇرلىرىنى "
            "قوشۇڭ ياكى يېڭى نەشر نامى بىلەن يۈكلەڭ"
        ),
        "pre-harvest-interval": (
            "ھوسۇل ئېلىش مۇمكىن ئەمەس: {substance} (دەپتەردىكى {entry}-خاتىرە) "
            "ئىشلىتىلگەندىن كېيىن ھوسۇل ئېلىشتىن بۇرۇن {days} كۈن ساقلاش كېرەك"
        ),
        "pre-harvest-interval/unlisted": (
            "ھوسۇل ئېلىش مۇمكىن ئەمەس: {substance} (دەپتەردىكى {entry}-خاتىرە) ئۈچۈن "
            "بىخەتەرلىك ئارىلىقى كۆرسىتىلمىگەن، ئۆلچەمگە ئۇيغۇنلۇقىنى ئىسپاتلىغىلى بولمايدۇ"
        ),
        "grading-conserves-mass": (
            "دەرىجىگە ئايرىلغان تۈركۈملەرنىڭ ئومۇمىي ئېغىرلىقى {total}، "
            "لېكىن ئەسلى تۈركۈم پەقەت {quantity}"
        ),
        "grade-band": ("{output} تۈركۈمى: {size} {unit} «{grade}» دەرىجىسىنىڭ دائىرىسىدە ئەمەس"),
        "grade-quality": (
            "{output} تۈركۈمى: {indicator} {value}، «{grade}» دەرىجىسى {needs} نى تەلەپ قىلىدۇ"
        ),
        "grade-quality/missing": (
            "{output} تۈركۈمى: {indicator} ئۆلچەنمىگەن، «{grade}» دەرىجىسى {needs} نى تەلەپ قىلىدۇ"
        ),
        "assessment-ids-unique": (
            "{assessment} باھالىشى ئاللىقاچان خاتىرىلەنگەن (دەپتەردىكى {entry}-خاتىرە)"
        ),
        "grower-qualified/none": (
            "ھوسۇل ئېلىش مۇمكىن ئەمەس: تېرىقچى {grower} ({farm} دېھقانچىلىق مەيدانى) "
            "«{topic}» باھالىشىدىن ئۆتمىگەن"
        ),
        "grower-qualified/failed": (
            "ھوسۇل ئېلىش مۇمكىن ئەمەس: تېرىقچى {grower} ({farm}) «{topic}» باھالىشى "
            "{assessment} دىن {day} كۈنى ئۆتەلمىگەن"
        ),
        "grower-qualified/expired": (
            "ھوسۇل ئېلىش مۇمكىن ئەمەس: تېرىقچى {grower} ({farm}) نىڭ «{topic}» باھالىشى "
            "{assessment} نىڭ ۋاقتى {day} كۈنى توشقان"
        ),
        "decision-once": (
            "ئەرز ({complaint}-خاتىرە) {entry}-خاتىرىدە ھۆكۈم قىلىنغان؛ ھەر بىر ئەرزگە بىرلا ھۆكۈم"
        ),
        "decision-same-lot": (
            "ئەرز ({complaint}-خاتىرە) {expected} تۈركۈمى توغرىسىدا، ھۆكۈمدە {lot} تۈركۈمى يېزىلغان"
        ),
        "decision-follows-action": (
            "«{action}» ھۆكۈمى نازارەتچىنىڭ {lot} تۈركۈمىگە قىلغان {action} خاتىرىسىدىن"
            " كېيىنلا كېلىشى كېرەك (بىر قېتىمدا يوللاڭ)"
        ),
    },
    "en": {
        **_table_rules("cannot {action}: lot {lot} is {status}; this step needs {allowed}"),
        "release-refused-after-failed-residue": (
            "cannot {action}: lot {lot} or a lot it came from failed a residue test; a passing "
            "re-test or a regulator's decision must lift it"
        ),
        "processing-grade-not-for-sale": (
            "cannot {action}: lot {lot} is of grade {grade}, for processing only"
        ),
        "release-requires-passed-tests": (
            "cannot {action}: input lot {input} ({share} of the mass) has no passing residue "
            "result ({missing})"
        ),
        "release-requires-passed-tests/self": (
            "cannot {action}: lot {lot} has no passing residue result ({missing})"
        ),
        "decision-after-results": (
            "cannot {action}: the decision on lot {lot} at {time} precedes the result it "
            "relies on ({relied})"
        ),
        "cold-chain-incomplete": (
            "cannot {action}: lot {lot} and the lots it came from have no {stage} record, so "
            "it cannot be called cold-chain compliant"
        ),
        "sampling-plan-overdue": (
            "cannot {action}: sampling plan {plan}, which covers lot {lot}, needed a "
            "third-party sample by {due} and has none since"
        ),
        "hold-lift-authority": (
            "cannot lift: lot {lot} is held under {hold_rule} (entry {hold_entry}); only {who} "
            "may lift it"
        ),
        "hold-lift-evidence": (
            "cannot lift: lot {lot} is held under {hold_rule} (entry {hold_entry}); it needs a "
            "passing re-test signed by a lab after that entry, or a regulator's decision; a "
            "note is not evidence"
        ),
        "hold-lift-evidence/not-a-retest": (
            "cannot lift: entry {evidence} is not a passing re-test of lot {lot}"
        ),
        "regulator-release-lifts-holds": (
            "lot {lot} is {status}, not on hold; a regulator's decision lifts holds, only the "
            "cooperative releases a lot for sale"
        ),
        "time-after-lot-made": "the {action} at {time} precedes lot {lot}, made at {made}",
        "time-order": (
            "the {action} at {time} precedes the latest stage of lot {lot} at {before} "
            "(harvest, cooling, grading, packing, shipping, receiving, in that order)"
        ),
        "time-order/receiving": (
            "receiving at {time} precedes the shipping of shipment {shipment} at {shipped}"
        ),
        "receive-requires-shipped/shipment": (
            "cannot receive: shipment {shipment} is {status}, not in transit"
        ),
        "lot-codes-unique": "lot code {lot} already exists",
        "lot-codes-unique/look-alike": (
            "lot code {lot} looks like the existing lot {existing} (lot codes compare "
            "case-insensitively)"
        ),
        "shipment-ids-unique": "shipment {shipment} already exists",
        "pack-once-per-unit": "lot {lot} is already in {unit}",
        "farm-ids-unique": "farm {farm} is already registered",
        "plot-ids-unique": "plot {plot} is already registered",
        "product-commodity-fixed": "GTIN {gtin} is {commodity} since entry {entry}, not {new}",
        "profile-required": "no commodity profile for {commodity} on the ledger",
        "mrl-table-required": "no MRL table {edition} on the ledger",
        "mrl-edition-reload-keeps-commodities": (
            "MRL table {edition} (entry {entry}) lists {dropped}; this reload omits them: "
            "include their rows, or load the new table under a new edition name"
        ),
        "pre-harvest-interval": (
            "cannot harvest: {substance} (entry {entry}) needs {days} days before harvest"
        ),
        "pre-harvest-interval/unlisted": (
            "cannot harvest: no pre-harvest interval is listed for {substance} (entry {entry})"
        ),
        "grading-conserves-mass": "the graded lots weigh {total}, the input lot only {quantity}",
        "decision-once": (
            "complaint {complaint} was decided at entry {entry}; a complaint has one decision"
        ),
        "decision-same-lot": (
            "complaint {complaint} is about lot {expected}; the decision names lot {lot}"
        ),
        "decision-follows-action": (
            "a {action} decision must directly follow the regulator's {action} of lot {lot} "
            "(recorded together)"
        ),
        "grade-band": "lot {output}: {size} {unit} is outside the band of grade {grade}",
        "grade-quality": "lot {output}: {indicator} {value} misses grade {grade} ({needs})",
        "grade-quality/missing": (
            "lot {output}: no {indicator} reading; grade {grade} needs {needs}"
        ),
        "assessment-ids-unique": "assessment {assessment} is already recorded (entry {entry})",
        "grower-qualified/none": (
            "cannot harvest: grower {grower} (farm {farm}) has no assessment on {topic}"
        ),
        "grower-qualified/failed": (
            "cannot harvest: grower {grower} (farm {farm}) failed assessment {assessment} "
            "on {topic} ({day})"
        ),
        "grower-qualified/expired": (
            "cannot harvest: grower {grower} (farm {farm}): assessment {assessment} on "
            "{topic} expired {day}"
        ),
    },
}

#: The words a refusal's coded parameters are said with: ``action`` (lifecycle actions and
#: the stage events' names), ``status`` (of a lot or a shipment; ``allowed`` is a list of
#: them), ``who`` (roles), ``stage`` (cold-chain stages) and ``hold_rule`` (the rule a hold
#: was placed under). A code not listed is shown as is.
REFUSAL_TERMS: Final[Mapping[Language, Mapping[str, Mapping[str, str]]]] = {
    "zh": {
        "action": {
            "release": "放行",
            "label": "贴销售标签",
            "certify": "开具合格证",
            "cool": "预冷",
            "grade": "分级",
            "test": "检测",
            "pack": "包装",
            "ship": "发货",
            "receive": "收货",
            "process": "加工",
            "hold": "暂停销售",
            "recall": "召回",
            "cooling": "预冷",
            "grading": "分级",
            "packing": "包装",
            "shipping": "发货",
            "receiving": "收货",
            "processing": "加工",
            "residue result": "农残检测结果",
            "residue sample": "农残采样",
        },
        "status": {
            "active": "已登记",
            "released": "已放行",
            "on_hold": "暂停销售",
            "consumed": "已分级或加工",
            "shipped": "已发货",
            "received": "已送达",
            "recalled": "已召回",
            "in_transit": "运输中",
        },
        "who": {
            "cooperative": "合作社",
            "regulator": "监管部门",
            "packing_station": "包装站",
            "lab": "检测机构",
            "logistics": "物流",
            "grower": "种植户",
        },
        "stage": {"precool": "预冷"},
        "hold_rule": {
            "manual-hold": "合作社暂停",
            "regulator-hold": "监管部门暂停",
            "residue-above-mrl": "农残超标",
            "cold-chain-precool": "预冷不合格",
            "cold-chain-transport": "运输温度超标",
            "cold-chain-set-point": "冷藏车设定温度不合格",
            "pre-harvest-interval": "未到安全间隔期",
        },
    },
    "ug": {
        "action": {
            "release": "قويۇپ بېرىش",
            "label": "سېتىش بەلگىسى چاپلاش",
            "certify": "گۇۋاھنامە بېرىش",
            "cool": "سوۋۇتۇش",
            "grade": "دەرىجىگە ئايرىش",
            "test": "تەكشۈرۈش",
            "pack": "ئوراش",
            "ship": "يولغا سېلىش",
            "receive": "قوبۇل قىلىش",
            "process": "پىششىقلاش",
            "hold": "سېتىشنى توختىتىش",
            "recall": "قايتۇرۇۋېلىش",
            "cooling": "سوۋۇتۇش",
            "grading": "دەرىجىگە ئايرىش",
            "packing": "ئوراش",
            "shipping": "يولغا سېلىش",
            "receiving": "قوبۇل قىلىش",
            "processing": "پىششىقلاش",
            "residue result": "دورا قالدۇقى نەتىجىسى",
            "residue sample": "دورا قالدۇقى ئەۋرىشكىسى",
        },
        "status": {
            "active": "تىزىملانغان",
            "released": "قويۇپ بېرىلگەن",
            "on_hold": "سېتىش توختىتىلغان",
            "consumed": "ئايرىلغان ياكى پىششىقلانغان",
            "shipped": "يولغا سېلىنغان",
            "received": "يېتىپ كەلگەن",
            "recalled": "قايتۇرۇۋېلىنغان",
            "in_transit": "يولدا",
        },
        "who": {
            "cooperative": "كوئوپېراتىپ",
            "regulator": "نازارەت ئورنى",
            "packing_station": "ئوراش پونكىتى",
            "lab": "تەجرىبىخانا",
            "logistics": "توشۇغۇچى",
            "grower": "تېرىغۇچى",
        },
        "stage": {"precool": "ئالدىن سوۋۇتۇش"},
        "hold_rule": {
            "manual-hold": "كوئوپېراتىپ توختاتقان",
            "regulator-hold": "نازارەت ئورنى توختاتقان",
            "residue-above-mrl": "دورا قالدۇقى چەكتىن ئاشقان",
            "cold-chain-precool": "ئالدىن سوۋۇتۇش ئۆلچەمگە توشمىغان",
            "cold-chain-transport": "توشۇش تېمپېراتۇرىسى چەكتىن ئاشقان",
            "cold-chain-set-point": "سوۋۇتقۇچ ماشىنا تېمپېراتۇرىسى ئۆلچەمگە توشمىغان",
            "pre-harvest-interval": "بىخەتەرلىك ئارىلىقى توشمىغان",
        },
    },
    "en": {
        "action": {
            "release": "release",
            "label": "label for sale",
            "certify": "issue a certificate",
            "residue result": "residue result",
            "residue sample": "residue sample",
        },
        "status": {"on_hold": "on hold", "in_transit": "in transit"},
        "who": {"packing_station": "the packing station", "cooperative": "the cooperative"},
        "stage": {"precool": "pre-cooling"},
        "hold_rule": {
            "manual-hold": "the cooperative's hold",
            "regulator-hold": "the regulator's hold",
            "residue-above-mrl": "residue above the MRL",
            "cold-chain-precool": "pre-cooling failed",
            "cold-chain-transport": "transport temperature out of range",
            "cold-chain-set-point": "reefer set point out of range",
            "pre-harvest-interval": "inside the pre-harvest interval",
        },
    },
}
