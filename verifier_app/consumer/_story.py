"""The consumer page as a story: the checked facts, told in the reader's language.

:func:`tell` turns a lot's claims (the values the browser re-derives from the signed
entries, ``traceability/_facts.py`` and ``_story.py``) into what ``lot.html`` shows: the
verdict in plain words with its reason, the freshness line, and the steps from field to
shelf. Every value is localised here (grades, units, statuses, reasons, verdicts, substance
names, dates with their time zone); values that mix directions (numbers with units, codes,
``<LOQ``) are wrapped in ``<bdi>`` so a right-to-left page keeps them readable. Each row
names the fact it shows (``fact``), which the page marks with ``data-fact`` so a mismatch
found by the browser's check turns that row red. Pure: claims in, markup out.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from markupsafe import Markup, escape

from verifier_app._i18n import MESSAGES, Language
from verifier_app.consumer._chart import temperature_chart

__all__ = ["Row", "Step", "Story", "substance_names", "tell"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DASH = "\u2013"
# 1 kg = 2 斤 (the market jin, 500 g): what a shopper in China weighs fruit in.
_JIN_PER_KG = 2


@dataclass(frozen=True)
class Row:
    """One line of a step: a label (may be empty), its value, and the fact it shows."""

    label: str
    value: Markup
    fact: str


@dataclass(frozen=True)
class Step:
    """One step from field to shelf: its key (``field``, ``inputs`` ...), title and rows.

    ``table`` holds the residue report's rows (substance, value, limit, verdict, failed);
    ``charts`` the temperature charts drawn for the step.
    """

    key: str
    title: str
    rows: tuple[Row, ...] = ()
    items: tuple[Markup, ...] = ()
    items_fact: str = ""
    table: tuple[tuple[Markup, Markup, Markup, Markup, bool], ...] = ()
    charts: tuple[Markup, ...] = ()


@dataclass(frozen=True)
class Story:
    """What the page tells: the verdict sentence, why, how fresh, and the steps.

    ``verdict`` is the verdict's class on the page: the banner's status, or ``expired`` for
    a lot released for sale whose best-before date has passed (its facts are as proven as
    ever, but "safe to eat" would no longer be true).
    """

    say: str
    why: Markup
    recorded: str | None
    fresh: Markup | None
    expired: bool
    status: Markup
    steps: tuple[Step, ...] = field(default_factory=tuple)
    verdict: str = ""


@cache
def substance_names() -> Mapping[str, Mapping[str, str]]:
    """The reviewed substance names (``traceability/data/substances.csv``).

    Returns:
        Substance code (lower case) -> its row: ``cas``, ``zh``, ``ug``, ``en``.
    """
    text = (files("traceability") / "data" / "substances.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {row["substance"].lower(): row for row in rows}


# Codes, numbers with units, times and ``<LOQ``: left to right in every page. Chromium's
# auto direction mirrored "<LOQ" to "LOQ>" in a Uyghur table cell, so it is stated.
_LEFT_TO_RIGHT = re.compile(r"[\x20-\x7e°\u2013\u00a0]*")
#: Between "<LOQ" and its number. Even in a ``dir="ltr"`` isolate Chromium painted "<LOQ"
#: as "LOQ>" once a narrow Uyghur table cell broke the line after it (seen at 360 px):
#: a no-break space keeps the isolate on one line.
_NO_BREAK = "\u00a0"


def _bdi(value: object) -> Markup:
    if _LEFT_TO_RIGHT.fullmatch(str(value)):
        return Markup('<bdi dir="ltr">{}</bdi>').format(value)
    return Markup("<bdi>{}</bdi>").format(value)


def _said(value: object) -> Markup:
    # What a person typed (a product's trade name, a variety, a method, a lab): shown as
    # recorded, in no language of the page's (``lang="und"``), never translated.
    return Markup('<bdi lang="und">{}</bdi>').format(value)


class _Teller:
    """Formats values in one language."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self.t = MESSAGES[language]

    def say(self, key: str, **values: object) -> Markup:
        # The wording is escaped, then filled with already-safe markup or escaped values.
        return escape(self.t[key]).format(**values)

    def date(self, text: str) -> Markup:
        day = date.fromisoformat(text[:10])
        month = _MONTHS[day.month - 1]
        shown = self.t["date_format"].format(y=day.year, m=day.month, d=day.day, month=month)
        return _bdi(shown)

    def time(self, text: str) -> Markup:
        at = datetime.fromisoformat(text)
        offset = at.utcoffset()
        hours = 0 if offset is None else int(offset.total_seconds() // 3600)
        zone = "UTC" if not hours else f"UTC{hours:+d}"
        clock = f"{at:%H:%M}"
        return Markup("{} {} {}").format(
            self.date(text), _bdi(clock), self.say("time_zone", zone=_bdi(zone))
        )

    def celsius(self, value: str) -> Markup:
        return _bdi(f"{value} °C")

    def band(self, low: str, high: str) -> Markup:
        return _bdi(f"{low}{_DASH}{high} °C")

    def quantity(self, amount: str, unit: str) -> Markup:
        if unit == "KGM":
            jin = Decimal(amount) * _JIN_PER_KG
            return self.say("kg", n=_bdi(amount), jin=_bdi(f"{jin.normalize():f}"))
        return self.say("pieces", n=_bdi(amount))

    def substance(self, code: str) -> Markup:
        row = substance_names().get(code.lower())
        return _said(code) if row is None else escape(row[self.language] or code)

    def status(self, code: str) -> Markup:
        return escape(self.t.get(f"lot_is_{code}", code))

    def grade(self, code: str) -> Markup:
        return escape(self.t.get(f"grade_{code}", code))


def tell(claims: Mapping[str, Any], banner: str, language: Language, today: date) -> Story | None:
    """Tell the lot's story in ``language``, or None when the claims hold no story facts.

    Args:
        claims: The lot's facts as values (``LotView.claims``).
        banner: The page's status (``verified``, ``on_hold``, ``recalled``, ``unverified``).
        language: The page's language.
        today: The reader's date, to say plainly when the best-before date has passed.
    """
    if "harvests" not in claims:
        return None  # a lookup that makes no story claims: the page lists its facts
    tt = _Teller(language)
    say = tt.t.get(f"say_{banner}", "")
    why, recorded = _why(tt, claims, banner)
    best = claims.get("best_before")
    fresh, expired = None, False
    if best and claims.get("harvested"):
        expired = date.fromisoformat(best["date"]) < today
        fresh = tt.say(
            "fresh",
            harvested=tt.date(claims["harvested"]),
            date=tt.date(best["date"]),
            days=_bdi(best["shelf_life_days"]),
        )
        if expired:
            fresh = Markup("{} {}").format(fresh, tt.say("fresh_past", date=tt.date(best["date"])))
    verdict = banner
    if expired and banner == "verified":
        # Released, but past its date: the verdict must not say "safe to eat" above it.
        say, verdict = tt.t["say_expired"], "expired"
    steps = [make(tt, claims) for make in _STEPS]
    return Story(
        say=say,
        why=why,
        recorded=recorded,
        fresh=fresh,
        expired=expired,
        status=tt.status(str(claims.get("status"))),
        steps=tuple(step for step in steps if step is not None),
        verdict=verdict,
    )


def _why(tt: _Teller, claims: Mapping[str, Any], banner: str) -> tuple[Markup, str | None]:
    reason = claims.get("reason") or {}
    code = reason.get("code")
    if banner == "verified" and code is None:
        return tt.say("why_released"), None
    if code == "residue":
        failed = [r["substance"] for r in claims.get("residues") or [] if r["outcome"] == "fail"]
        comma = Markup("、") if tt.language == "zh" else Markup(", ")
        names = comma.join(tt.substance(s) for s in failed)
        return tt.say("why_residue", substances=names), None
    if code == "precool":
        logs = claims.get("precool") or []
        late = next((p for p in logs if p["reached_minutes"] is not None), None)
        first = logs[0] if logs else None
        if late is not None:
            band = tt.band(late["low"], late["high"])
            minutes, within = _bdi(late["reached_minutes"]), _bdi(late["within_minutes"])
            return tt.say("why_precool", band=band, minutes=minutes, within=within), None
        if first is not None:
            band, within = tt.band(first["low"], first["high"]), _bdi(first["within_minutes"])
            return tt.say("why_precool_never", band=band, within=within), None
    if code in ("transport", "phi", "pending"):
        return tt.say(f"why_{code}"), None
    if code in ("hold", "recall"):
        return tt.say(f"why_{code}"), reason.get("text")
    if claims.get("status") == "consumed":
        return tt.say("why_consumed"), None
    return Markup(""), None


def _field(tt: _Teller, claims: Mapping[str, Any]) -> Step:
    rows = []
    for o in claims.get("origins") or []:
        where = Markup("{}, {} ({})").format(
            o["village"],
            o["county"],
            tt.say("farm_plot", farm=_bdi(o["farm"]), plot=_bdi(o["plot"])),
        )
        rows.append(Row(tt.t["farm_village"], where, "origins"))
        rows.append(Row(tt.t["grower"], escape(o["grower"]), "origins"))
    varieties = dict.fromkeys(h["variety"] for h in claims.get("harvests") or [])
    if varieties:
        rows.append(Row(tt.t["grown_variety"], _said("; ".join(varieties)), "harvests"))
    return Step("field", tt.t["step_field"], tuple(rows))


def _inputs(tt: _Teller, claims: Mapping[str, Any]) -> Step:
    items = []
    for i in sorted(claims.get("inputs") or [], key=lambda i: i["time"]):
        dose = tt.t.get(f"dose_{i['dose_unit']}", "{n} " + i["dose_unit"])
        line = tt.say(
            "input_line",
            date=tt.date(i["time"]),
            category=tt.t.get(f"cat_{i['category']}", i["category"]),
            product=_said(i["product"]),
            substance=tt.substance(i["substance"]),
            dose=escape(dose).format(n=_bdi(i["dose"])),
        )
        days = tt.say("input_days", days=_bdi(i["days_before_harvest"]))
        if i["category"] == "pesticide":
            key = (
                "phi_unlisted"
                if i["phi_days"] is None
                else ("phi_kept" if i["phi_kept"] else "phi_broken")
            )
            days = Markup("{}{}{}").format(
                days, tt.t["list_sep"], tt.say(key, phi=_bdi(i["phi_days"]))
            )
        items.append(Markup("{} · {}").format(line, days))
    if not items:
        items.append(tt.say("no_inputs"))
    return Step("inputs", tt.t["step_inputs"], items=tuple(items), items_fact="inputs")


def _harvest(tt: _Teller, claims: Mapping[str, Any]) -> Step:
    rows = []
    for h in claims.get("harvests") or []:
        rows.append(Row(tt.t["picked_at"], tt.time(h["time"]), "harvests"))
        rows.append(Row(tt.t["quantity"], tt.quantity(h["quantity"], h["unit"]), "harvests"))
    return Step("harvest", tt.t["step_harvest"], tuple(rows))


def _precool(tt: _Teller, claims: Mapping[str, Any]) -> Step:
    rows, charts = [], []
    for p in claims.get("precool") or []:
        band = tt.band(p["low"], p["high"])
        within = _bdi(p["within_minutes"])
        minutes = p["reached_minutes"]
        if minutes is None:
            said = tt.say("precool_never", band=band, within=within)
        else:
            key = "precool_ok" if minutes <= p["within_minutes"] else "precool_late"
            said = tt.say(key, band=band, within=within, minutes=_bdi(minutes))
        rows.append(Row(tt.t["place"], _bdi(p["site"]), "precool"))
        rows.append(Row("", said, "precool"))
        title = tt.t["chart_precool"].format(band=f"{p['low']}{_DASH}{p['high']} °C")
        low, high = Decimal(p["low"]), Decimal(p["high"])
        charts.append(
            temperature_chart(
                p["readings"], low, high, title, p["harvested"], settling=True, due=_due(p)
            )
        )
    if not rows:
        rows.append(Row("", tt.say("no_precool"), "precool"))
    return Step("precool", tt.t["step_precool"], tuple(rows), charts=tuple(charts))


def _due(log: Mapping[str, Any]) -> str:
    # When the profile wants the band reached: harvest time + precool_within_minutes.
    at = datetime.fromisoformat(log["harvested"]) + timedelta(minutes=log["within_minutes"])
    return at.isoformat()


def _grading(tt: _Teller, claims: Mapping[str, Any]) -> Step:
    band = claims.get("grade_band")
    if claims.get("grade") is None or band is None:
        return Step("grading", tt.t["step_grading"], (Row("", tt.say("not_graded"), "grade"),))
    low, high = band["min_mm"], band["max_mm"]
    if low is not None and high is not None:
        size = tt.say("size_between", min=_bdi(low), max=_bdi(high))
    elif low is not None:
        size = tt.say("size_from", min=_bdi(low))
    else:
        size = tt.say("size_below", max=_bdi(high))
    grade = Markup("{} ({})").format(tt.grade(claims["grade"]), size)
    amount, _, unit = str(claims.get("quantity") or "").partition(" ")
    rows = [Row(tt.t["grade"], grade, "grade")]
    if amount:
        rows.append(Row(tt.t["quantity"], tt.quantity(amount, unit), "quantity"))
    return Step("grading", tt.t["step_grading"], tuple(rows))


def _residue(tt: _Teller, claims: Mapping[str, Any]) -> Step:
    table = []
    for r in claims.get("residues") or []:
        # The unit is in the column heads: the cells stay short on a phone.
        if r["value"] == "<LOQ":
            value = Markup("{}<br>{}").format(tt.t["below_loq"], _bdi(f"<LOQ{_NO_BREAK}{r['loq']}"))
        else:
            value = _bdi(r["value"])
        limit = tt.say("no_limit") if r["limit"] is None else _bdi(r["limit"])
        verdict = escape(tt.t.get(f"v_{r['outcome']}", r["outcome"]))
        table.append((tt.substance(r["substance"]), value, limit, verdict, r["outcome"] == "fail"))
    rows = []
    for s in claims.get("tests") or []:
        rows.append(Row(tt.t["lab"], escape(s["lab"]), "tests"))
        rows.append(Row(tt.t["sample"], _bdi(s["sample_id"]), "tests"))
        rows.append(Row(tt.t["sampled"], tt.time(s["time"]), "tests"))
        rows.append(Row(tt.t["test_method"], _said(s["method"]), "tests"))
    editions = dict.fromkeys(r["edition"] for r in claims.get("residues") or [])
    if editions:
        rows.append(Row(tt.t["limits_standard"], _bdi("; ".join(editions)), "residues"))
    if not table:
        rows.append(Row("", tt.say("no_tests"), "residues"))
    return Step("residue", tt.t["step_residue"], tuple(rows), table=tuple(table))


def _transport(tt: _Teller, claims: Mapping[str, Any]) -> Step:
    rows, charts = [], []
    for s in claims.get("shipments") or []:
        route = tt.say("route", origin=_bdi(s["origin"]), destination=_bdi(s["destination"]))
        rows.append(Row(tt.t["place"], route, "shipments"))
        rows.append(Row(tt.t["shipped_at"], tt.time(s["shipped"]), "shipments"))
        received = tt.say("in_transit") if s["received"] is None else tt.time(s["received"])
        rows.append(Row(tt.t["received_at"], received, "shipments"))
        readings = s["readings"]
        if s["set_point"] is not None and s["tolerance"] is not None:
            point, tolerance = Decimal(s["set_point"]), Decimal(s["tolerance"])
            low, high = point - tolerance, point + tolerance
            band = tt.band(str(low), str(high))
            said = tt.say("truck_set_point", point=tt.celsius(s["set_point"]), band=band)
            rows.append(Row("", said, "shipments"))
            out = sum(1 for r in readings if not low <= Decimal(r["celsius"]) <= high)
            if readings:
                key = "transport_out" if out else "transport_ok"
                rows.append(Row("", tt.say(key, n=_bdi(len(readings)), out=_bdi(out)), "shipments"))
                title = tt.t["chart_transport"].format(band=f"{low}{_DASH}{high} °C")
                charts.append(temperature_chart(readings, low, high, title))
    if not rows:
        rows.append(Row("", tt.say("no_shipments"), "shipments"))
    return Step("transport", tt.t["step_transport"], tuple(rows), charts=tuple(charts))


#: Statuses in which a certified lot is still for sale, as the certificate check has them
#: (traceability/projection/_certificates.py): in any other the certificate does not hold.
_SELLABLE = frozenset({"released", "shipped", "received"})
_PLAIN = Markup("{}")
_VOID = Markup('<span class="void">{}</span>')


def _certificate(tt: _Teller, claims: Mapping[str, Any]) -> Step:
    status = str(claims.get("status"))
    # A held or recalled lot's certificate is withdrawn: it must not read as still valid.
    key = "certificate_line" if status in _SELLABLE else f"certificate_void_{status}"
    if key not in tt.t:
        key = "certificate_void"
    shown = _PLAIN if key == "certificate_line" else _VOID
    rows = [
        Row(
            "",
            shown.format(tt.say(key, number=_bdi(c["number"]), date=tt.date(c["time"]))),
            "certificates",
        )
        for c in claims.get("certificates") or []
    ]
    if not rows:
        rows.append(Row("", tt.say("no_certificate"), "certificates"))
    return Step("certificate", tt.t["step_certificate"], tuple(rows))


def _contact(tt: _Teller, claims: Mapping[str, Any]) -> Step:
    names = claims.get("cooperative") or {}
    name = names.get(f"name_{tt.language}") or names.get("name_zh") or ""
    rows = [Row(tt.t["coop_name"], escape(name), "cooperative")]
    contact = claims.get("contact") or {}
    if contact.get("phone"):
        phone = contact["phone"]
        tel = "".join(c for c in phone if c.isdigit() or c == "+")
        link = Markup('<a href="tel:{}"><bdi>{}</bdi></a>').format(tel, phone)
        rows.append(Row(tt.t["phone"], link, "contact"))
    where = ", ".join(str(contact[k]) for k in ("address", "county") if contact.get(k))
    if where:
        rows.append(Row(tt.t["address"], escape(where), "contact"))
    return Step("contact", tt.t["step_contact"], tuple(rows))


_STEPS: Sequence[Callable[[_Teller, Mapping[str, Any]], Step | None]] = (
    _field,
    _inputs,
    _harvest,
    _precool,
    _grading,
    _residue,
    _transport,
    _certificate,
    _contact,
)
