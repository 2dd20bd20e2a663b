"""What the dashboards and the quarterly report show, in the reader's language.

One place turns the projection's figures (:class:`traceability.Monitoring`,
:class:`traceability.QuarterlyEvaluation`) into rows and charts: the regulator's and the
cooperative's dashboards share :func:`dashboard_context`, and the report's web page and its
PDF are both drawn from one :class:`labels.Report` made by :func:`report_content`, so the
page and the PDF state the same figures.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from labels import BarChart, Report, ReportSection
from traceability import LOSS_TARGET, Monitoring, QuarterlyEvaluation, RouteFigures
from verifier_app._charts import chart_svg
from verifier_app._formats import format_day
from verifier_app._i18n import MESSAGES, Language
from verifier_app._values import rule_name

__all__ = ["dashboard_context", "percent", "report_content"]


def percent(rate: float | None, none: str = "-") -> str:
    """A rate as a percentage with one decimal (``7.3%``), or ``none``."""
    return none if rate is None else f"{rate * 100:.1f}%"


def _kg(value: Decimal) -> str:
    return f"{value:,.1f}"


def _route(route: RouteFigures) -> str:
    return f"{route.origin} → {route.destination}"


def _week(week: str) -> str:
    return week.split("-")[-1]  # "2026-W23" -> "W23": the chart's axis has little room


def _charts(m_weeks: tuple[Any, ...], routes: tuple[RouteFigures, ...], t: Any) -> list[BarChart]:
    weeks = tuple(_week(w.week) for w in m_weeks)
    charts = [
        BarChart(
            t["mon_chart_pass"],
            weeks,
            ((t["mon_pass_rate"], tuple(w.pass_rate for w in m_weeks)),),
            percent=True,
        ),
        BarChart(
            t["mon_chart_volume"],
            weeks,
            (
                (t["mon_harvested"], tuple(float(w.harvested_kg) for w in m_weeks)),
                (t["mon_shipped"], tuple(float(w.shipped_kg) for w in m_weeks)),
            ),
        ),
    ]
    shown = routes[:12]  # the busiest routes; the table lists every one
    labels = tuple(_route(r) for r in shown)
    charts.append(
        BarChart(
            t["mon_chart_excursions"],
            labels,
            ((t["mon_excursion_count"], tuple(float(r.excursions) for r in shown)),),
        )
    )
    charts.append(
        BarChart(
            t["mon_chart_loss"],
            labels,
            ((t["mon_loss_rate"], tuple(r.loss_rate for r in shown)),),
            percent=True,
            target=LOSS_TARGET,
            target_label=t["rep_target"].format(target=percent(LOSS_TARGET)),
        )
    )
    return charts


def dashboard_context(monitoring: Monitoring, language: Language) -> dict[str, Any]:
    """The dashboard template's values: figures, route rows and the charts as SVG."""
    t = MESSAGES[language]
    routes = [
        {
            "route": _route(r),
            "shipments": r.shipments,
            "excursions": r.excursions,
            "loss": percent(r.loss_rate, t["mon_not_weighed"]),
        }
        for r in monitoring.routes
    ]
    return {
        "m": monitoring,
        "at": t["mon_at"].format(n=monitoring.upto),
        "routes": routes,
        "weeks": [
            {
                "week": w.week,
                "tests": w.tests,
                "passed": w.passed,
                "rate": percent(w.pass_rate),
                "harvested": _kg(w.harvested_kg),
                "shipped": _kg(w.shipped_kg),
            }
            for w in monitoring.weeks
        ],
        "charts": [chart_svg(c) for c in _charts(monitoring.weeks, monitoring.routes, t)],
        "quarters": _quarters(monitoring),
    }


def _quarters(monitoring: Monitoring) -> list[str]:
    """The quarters the dashboard's weeks fall in (their reports), newest first."""
    found = set()
    for w in monitoring.weeks:
        year, week = w.week.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
        found.add(f"{monday.year}-Q{(monday.month - 1) // 3 + 1}")
    return sorted(found, reverse=True)


def report_content(
    evaluation: QuarterlyEvaluation,
    language: Language,
    *,
    cooperative: str,
    checkpoint: str,
) -> Report:
    """The quarterly evaluation as a report: the same rows and charts on the page and in the PDF.

    Args:
        evaluation: The figures.
        language: The reader's language.
        cooperative: The cooperative's name in that language.
        checkpoint: The signed checkpoint the figures were computed at (its note text).
    """
    t = MESSAGES[language]
    e = evaluation
    q = e.quarter
    name = q.name
    none = t["rep_none"]
    charts = _charts(e.weeks, e.routes, t)
    holds = [(t["rep_holds_placed"], str(sum(h.lots for h in e.holds_placed)))]
    holds += [
        (t["rep_holds_rule"].format(rule=rule_name(h.rule, language)), str(h.lots))
        for h in e.holds_placed
    ]
    holds += [
        (t["rep_holds_lifted"], str(e.holds_lifted)),
        (t["rep_still_held"], str(e.still_held)),
        (t["rep_recalled"], str(e.recalled)),
    ]
    within = e.loss_within_target
    verdict = t["rep_unmeasured"] if within is None else t["rep_within" if within else "rep_over"]
    target = t["rep_target"].format(target=percent(LOSS_TARGET))
    loss = [
        (t["rep_weighed"], str(len(e.shipments))),
        (t["rep_loss_rate"], f"{percent(e.loss_rate, none)} ({target}: {verdict})"),
    ]
    loss += [
        (
            t["rep_shipment"].format(shipment=s.shipment, route=f"{s.origin} → {s.destination}"),
            t["rep_shipment_loss"].format(
                shipped=_kg(s.shipped_kg), received=_kg(s.received_kg), rate=percent(s.loss_rate)
            ),
        )
        for s in e.shipments[:30]
    ]
    complaints: tuple[tuple[str, str], ...]
    if e.complaints is None:
        complaints = ((t["rep_complaints"], t["rep_not_kept"]),)
    else:
        complaints = tuple(
            (t.get(f"action_{outcome}", t["rep_complaint_open"]), str(n))
            for outcome, n in sorted(e.complaints.items())
        ) or ((t["rep_complaints"], "0"),)
    sampling = t["rep_not_kept"] if e.sampling_overdue is None else str(e.sampling_overdue)
    lines = checkpoint.strip().splitlines()
    last_day = q.end - timedelta(days=1)
    return Report(
        title=t["rep_title"].format(quarter=name),
        subtitle=(
            f"{t['rep_cooperative']}: {cooperative}",
            f"{t['rep_period']}: {format_day(q.start, language)} ~ "
            f"{format_day(last_day, language)}",
            f"{t['rep_checkpoint']}: {t['rep_checkpoint_size'].format(n=e.upto)}",
        ),
        sections=(
            ReportSection(
                t["rep_volumes"],
                (
                    (t["rep_harvested_kg"], _kg(e.harvested_kg)),
                    (t["rep_shipped_kg"], _kg(e.shipped_kg)),
                ),
                (charts[1],),
            ),
            ReportSection(
                t["rep_tests"],
                (
                    (t["rep_tests_count"], str(e.tests)),
                    (t["rep_passed"], str(e.passed)),
                    (t["rep_pass_rate"], percent(e.pass_rate, none)),
                ),
                (charts[0],),
            ),
            ReportSection(t["rep_holds"], tuple(holds)),
            ReportSection(t["rep_loss"], tuple(loss), (charts[3], charts[2])),
            ReportSection(t["rep_complaints"], complaints),
            ReportSection(t["rep_sampling"], ((t["rep_sampling_overdue"], sampling),)),
        ),
        rtl=language == "ug",
        small_print=(
            t["rep_checkpoint"] + ":",
            *lines[:8],
            t["rep_check_hint"].format(quarter=name, n=e.upto),
        ),
    )
