"""Published quarterly evaluations: ``/reports/2026-Q4`` (HTML) and ``/reports/2026-Q4.pdf``.

Public, no sign-in: a cooperative's quarter (volumes, pass rates, holds and recalls, cold-chain
loss against the target, complaints, sampling) as anyone may read it, computed from the
entries before the latest signed checkpoint, whose note the report prints in full. Anyone
holding the ledger up to that checkpoint recomputes the same figures
(``Projection.quarterly(quarter, upto=size)``). A report is computed once per quarter,
language and checkpoint and kept: a request for it again is answered from memory, so the
public URL cannot be used to make the server recompute it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from labels import Report, render_report
from ledger import Checkpoint, Ledger, parse_note
from traceability import Projection, Quarter, ValidationError, parse_quarter
from verifier_app._charts import chart_svg
from verifier_app._errors import NotFoundError
from verifier_app._i18n import MESSAGES, Language
from verifier_app._monitoring import report_content
from verifier_app._negotiate import page_language
from verifier_app._pages import render_page

__all__ = ["PublishedReport", "publish_quarter", "quarterly_report_pdf", "router"]

router = APIRouter(prefix="/reports", tags=["pages"], include_in_schema=False)
_KEPT = 64  # reports kept in memory (each a few kB of figures; PDFs are made on request)


@dataclass(frozen=True)
class PublishedReport:
    """A quarter's report as published: its content and the checkpoint it was computed at."""

    quarter: Quarter
    report: Report
    checkpoint: str
    size: int


_cache: OrderedDict[tuple[str, str, str, str], PublishedReport] = OrderedDict()
_lock = threading.Lock()


def publish_quarter(ledger: Ledger, quarter: str, language: Language) -> PublishedReport:
    """The report of ``quarter`` at the ledger's latest checkpoint, in ``language``.

    Raises:
        ValidationError: ``quarter`` is not ``YYYY-Qn`` (field ``quarter``).
        NotFoundError: the ledger has no checkpoint yet (nothing to compute a report at).
    """
    wanted = parse_quarter(quarter)
    note = ledger.latest_checkpoint()
    if note is None:
        raise NotFoundError(MESSAGES[language]["rep_no_checkpoint"])
    key = (ledger.origin, wanted.name, language, note)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    size = Checkpoint.parse(parse_note(note.encode()).text).size
    projection = Projection(ledger)
    projection.catch_up()
    evaluation = projection.quarterly(wanted, upto=size)
    cooperative = projection.cooperative()
    name = "-"
    if cooperative is not None:
        names = {"zh": cooperative.name_zh, "ug": cooperative.name_ug, "en": cooperative.name_en}
        name = names[language] or cooperative.name_zh
    report = report_content(evaluation, language, cooperative=name, checkpoint=note)
    published = PublishedReport(wanted, report, note, size)
    with _lock:
        _cache[key] = published
        while len(_cache) > _KEPT:
            _cache.popitem(last=False)
    return published


def quarterly_report_pdf(ledger: Ledger, quarter: str, language: Language = "zh") -> bytes:
    """The PDF of ``quarter``'s evaluation at the ledger's latest checkpoint.

    Raises:
        ValidationError: a malformed quarter.
        NotFoundError: the ledger has no checkpoint yet.
        FontMissingError: no font for the report's script (as for labels).
    """
    return render_report(publish_quarter(ledger, quarter, language).report)


def _quarter_or_404(quarter: str) -> str:
    try:
        parse_quarter(quarter)
    except ValidationError as e:
        raise NotFoundError(str(e)) from e
    return quarter


@router.get("/{quarter}.pdf")
def report_pdf(request: Request, quarter: str) -> Response:
    """The quarter's report as an A4 PDF with its charts."""
    ledger: Ledger = request.app.state.ledger
    language = page_language(request)
    pdf = quarterly_report_pdf(ledger, _quarter_or_404(quarter), language)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="report-{quarter}-{language}.pdf"',
            "Content-Language": language,
        },
    )


@router.get("/{quarter}", response_class=HTMLResponse)
def report_page(request: Request, quarter: str) -> HTMLResponse:
    """The quarter's report as a page: the PDF's rows and charts, and the checkpoint."""
    ledger: Ledger = request.app.state.ledger
    language = page_language(request)
    published = publish_quarter(ledger, _quarter_or_404(quarter), language)
    t = MESSAGES[language]
    sections = [
        {
            "heading": s.heading,
            "rows": s.rows,
            "svgs": [chart_svg(c) for c in s.charts],
        }
        for s in published.report.sections
    ]
    context = {
        "here": request.url.path,
        "quarter": published.quarter.name,
        "report": published.report,
        "sections": sections,
        "checkpoint": published.checkpoint,
        "hint": t["rep_check_hint"].format(quarter=published.quarter.name, n=published.size),
        # The command inside the hint, shown as code (the same in every language).
        "command": f"agritrace report {published.quarter.name} --upto {published.size}",
    }
    page = render_page("report.html", language, context)
    return HTMLResponse(page, headers={"Content-Language": language})
