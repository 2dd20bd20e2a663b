"""Sampling words shared by the staff and regulator pages (zh, ug, en).

The samples of a lot (who took each: an independent lab or the regulator's pre-sampling)
and the overdue sampling plans (the alert rows). Uyghur wording needs a native speaker's
review.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["SAMPLING_WORDING"]

SAMPLING_WORDING: Final[Mapping[str, Mapping[str, str]]] = {
    "zh": {
        "labs_title": "检测机构",
        "labs_col_name": "名称",
        "lab_accreditation": "资质认定编号 (CMA)",
        "lab_approved": "监管部门批准",
        "lab_not_approved": "未批准：其结果不被接受",
        "no_labs": "还没有检测机构登记。",
        "samples_title": "抽样",
        "no_samples": "这个批次还没有第三方抽样记录。",
        "sample_code": "样品编号",
        "sample_taken_by": "抽样方",
        "sample_by_lab": "第三方检测机构",
        "sample_by_regulator": "监管部门抽检",
        "sample_sampler": "抽样人",
        "sample_time": "抽样时间",
        "sample_results": "检测结果条目",
        "overdue_title": "抽样计划逾期",
        "no_overdue": "没有逾期的抽样计划。",
        "overdue_plan": "抽样计划",
        "overdue_scope": "范围",
        "overdue_every": "频率",
        "overdue_due": "应抽样时间",
        "overdue_last": "上次抽样",
        "overdue_days": "每 {n} 天",
        "overdue_none_yet": "还没有",
        "overdue_blocks": "逾期期间，计划范围内的批次不能放行。",
    },
    "ug": {
        "labs_title": "تەكشۈرۈش ئورۇنلىرى",
        "labs_col_name": "نامى",
        "lab_accreditation": "سالاھىيەت ئېتىراپ نومۇرى (CMA)",
        "lab_approved": "نازارەت تارمىقى تەستىقلىغان",
        "lab_not_approved": "تەستىقلانمىغان: نەتىجىسى قوبۇل قىلىنمايدۇ",
        "no_labs": "تېخى تىزىملاتقان تەكشۈرۈش ئورنى يوق.",
        "samples_title": "ئەۋرىشكە",
        "no_samples": "بۇ تۈركۈمنىڭ ئۈچىنچى تەرەپ ئەۋرىشكە خاتىرىسى تېخى يوق.",
        "sample_code": "ئەۋرىشكە نومۇرى",
        "sample_taken_by": "ئەۋرىشكە ئالغۇچى",
        "sample_by_lab": "ئۈچىنچى تەرەپ تەكشۈرۈش ئورنى",
        "sample_by_regulator": "نازارەت تارمىقىنىڭ تەكشۈرۈشى",
        "sample_sampler": "ئەۋرىشكە ئالغان كىشى",
        "sample_time": "ئەۋرىشكە ئېلىنغان ۋاقىت",
        "sample_results": "تەكشۈرۈش نەتىجىسى خاتىرىلىرى",
        "overdue_title": "ۋاقتى ئۆتكەن ئەۋرىشكە پىلانلىرى",
        "no_overdue": "ۋاقتى ئۆتكەن ئەۋرىشكە پىلانى يوق.",
        "overdue_plan": "ئەۋرىشكە پىلانى",
        "overdue_scope": "دائىرە",
        "overdue_every": "قېتىم",
        "overdue_due": "ئەۋرىشكە ئېلىنىشى كېرەك بولغان ۋاقىت",
        "overdue_last": "ئالدىنقى ئەۋرىشكە",
        "overdue_days": "ھەر {n} كۈندە",
        "overdue_none_yet": "تېخى يوق",
        "overdue_blocks": (
            "ۋاقتى ئۆتكەن مەزگىلدە پىلان دائىرىسىدىكى تۈركۈملەرنى قويۇۋېتىشكە بولمايدۇ."
        ),
    },
    "en": {
        "labs_title": "Labs",
        "labs_col_name": "Name",
        "lab_accreditation": "Accreditation (CMA)",
        "lab_approved": "approved by the regulator",
        "lab_not_approved": "not approved: its results are refused",
        "no_labs": "No lab enrolled yet.",
        "samples_title": "Samples",
        "no_samples": "No third-party sample of this lot recorded yet.",
        "sample_code": "Sample",
        "sample_taken_by": "Taken by",
        "sample_by_lab": "independent lab",
        "sample_by_regulator": "regulator's pre-sampling",
        "sample_sampler": "Sampler",
        "sample_time": "Taken at",
        "sample_results": "Result entries",
        "overdue_title": "Sampling plans overdue",
        "no_overdue": "No sampling plan is overdue.",
        "overdue_plan": "Plan",
        "overdue_scope": "Covers",
        "overdue_every": "Every",
        "overdue_due": "Sample due",
        "overdue_last": "Last sample",
        "overdue_days": "{n} days",
        "overdue_none_yet": "none yet",
        "overdue_blocks": "While a plan is overdue, the lots it covers cannot be released.",
    },
}
