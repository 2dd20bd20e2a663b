"""Who and what the demo season is about: the cooperative, its farms, products and sites.

Names are illustrative (Chinese and Uyghur, as the cooperative writes them); villages and
counties are real places in Kashgar prefecture. GTINs use the GS1 China prefix 690-695
range with a made-up company prefix; their check digits are computed, not typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labels import gs1_check_digit

__all__ = [
    "COMPANY_PREFIX",
    "COOPERATIVE",
    "COOPERATIVE_BODY",
    "FARMS",
    "JUJUBE",
    "LAB",
    "LAB_CMA",
    "LAB_ID",
    "PACKING_STATION",
    "PRODUCTS",
    "SITES",
    "DemoFarm",
    "DemoProduct",
    "gtin",
]

#: The cooperative's ``trace.cooperative`` entry: names per language, township, county, a
#: GLN in the demo company prefix (check digit computed below) and that prefix itself, so a
#: deployment of several cooperatives routes the demo's labels to its log.
COMPANY_PREFIX = "691234567"
COOPERATIVE_BODY: dict[str, Any] = {
    "name_zh": "喀什果农合作社",
    "name_ug": "قەشقەر مېۋىچىلەر كوپېراتىپى",
    "name_en": "Kashgar Fruit Growers' Cooperative",
    "address": "托克扎克镇 Tokkuzak",
    "county": "疏附县 Shufu, Kashgar",
    "gln": "691234567000" + gs1_check_digit("691234567000"),
    "phone": "+86 998 555 0100",  # 555-01xx: a fictional number range
    # GS1 China's range 690-699; the GTIN-14s below are "0" (indicator) + this + item.
    "company_prefixes": [COMPANY_PREFIX],
}
COOPERATIVE = f"{COOPERATIVE_BODY['name_zh']} {COOPERATIVE_BODY['name_ug']}"
PACKING_STATION = "KS-PS1"  # the packing shed in Tokkuzak
#: ``trace.site`` bodies: the location descriptions FSMA 204 exports give for the packing
#: shed and the two receivers (21 CFR 1.1310). The Shanghai warehouse has no phone on record,
#: so its rows say that KDE is missing, as a real export would.
SITES = (
    {
        "site": PACKING_STATION,
        "business_name": COOPERATIVE_BODY["name_en"],
        "address": "Packing shed, 托克扎克镇 Tokkuzak, 疏附县 Shufu, Kashgar, Xinjiang, China",
        "phone": "+86 998 555 0101",
    },
    {
        "site": "URC-DC1",
        "business_name": "乌鲁木齐生鲜配送中心 Urumqi Fresh Distribution Centre",
        "address": "米东区 Midong District, Urumqi, Xinjiang, China",
        "phone": "+86 991 555 0102",
    },
    {
        "site": "SHA-EC-WH2",
        "business_name": "上海电商冷库二号 Shanghai E-commerce Cold Store 2",
        "address": "浦东新区 Pudong, Shanghai, China",
    },
)
LAB = "喀什地区农产品质量检测中心 Kashgar Agri Testing Lab"
#: The lab's id on the ledger and its CMA (资质认定) certificate number: illustrative.
LAB_ID, LAB_CMA = "KS-QTC", "236512340001"


def gtin(item: str) -> str:
    """Return a GTIN-14 for the demo company prefix ``691234567`` and a 3-digit item.

    The GTIN-14 is the indicator digit ``0``, the prefix, the item and the check digit.

    >>> gtin("001")
    '06912345670012'
    """
    body = "0" + COMPANY_PREFIX + item
    return body + gs1_check_digit(body)


@dataclass(frozen=True)
class DemoProduct:
    """A trade item of the demo cooperative."""

    gtin: str
    commodity: str
    name: str


@dataclass(frozen=True)
class DemoFarm:
    """A member's farm: who grows, where, on which plots, with the grower's key name."""

    farm: str
    grower: str
    village: str
    county: str
    plots: tuple[str, ...]
    grower_actor: str
    phone: str | None = None  # the grower's: an FSMA 204 KDE for initial packing


STRAWBERRY = DemoProduct(gtin("001"), "strawberry", "草莓 قۇلۇپناي Strawberries")

#: Jujubes: the autumn lot of the demo, under its own profile (no cold chain, graded by
#: count per kg with Brix thresholds, qualified growers only).
JUJUBE = DemoProduct(gtin("002"), "jujube", "红枣 چىلان Jujubes")

#: Strawberries carry the summer's lots and jujubes the autumn's; walnuts and almonds are
#: registered for later and show what a product list looks like.
PRODUCTS = (
    STRAWBERRY,
    JUJUBE,
    DemoProduct(gtin("003"), "walnut", "核桃 ياڭاق Walnuts"),
    DemoProduct(gtin("004"), "almond", "巴旦木 بادام Almonds"),
)

FARMS = (
    DemoFarm(
        "KS-F01",
        "阿依夏·吐尔逊 ئايشە تۇرسۇن Aysha Tursun",
        "托克扎克镇 توققۇزاق Tokkuzak",
        "疏附县 Shufu, Kashgar",
        ("KS-F01-P1", "KS-F01-P2"),
        "grower-aysha",
        "+86 998 555 0111",
    ),
    DemoFarm(
        "YK-F02",
        "买买提·尼亚孜 مەمەت نىياز Memet Niyaz",
        "阿亚格村 ئاياغ Ayagh",
        "莎车县 Yarkant, Kashgar",
        ("YK-F02-P1", "YK-F02-P2"),
        "grower-memet",
        "+86 998 555 0112",
    ),
    DemoFarm(
        "YK-F03",
        "李华 لى خۇا Li Hua",
        "阿瓦提村 ئاۋات Awat",
        "莎车县 Yarkant, Kashgar",
        ("YK-F03-P1",),
        "grower-lihua",
        "+86 998 555 0113",
    ),
    DemoFarm(
        "YS-F04",
        "古丽娜尔·阿不都克力木 گۈلنار ئابدۇكېرىم Gulnar Abdukerim",
        "英吉沙镇 يېڭىسار Yengisar",
        "英吉沙县 Yengisar, Kashgar",
        ("YS-F04-P1", "YS-F04-P2"),
        "grower-gulnar",
    ),
)
