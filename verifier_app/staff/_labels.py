"""Printing a lot's labels from its page: PDF sheet, PNG or ZPL, signed, as a download.

``POST /staff/lots/{gtin}/{lot}/labels`` (the lot page's print form: ``format`` pdf, png or
zpl, ``count``, and the form's ``csrf``) records a ``trace.labels`` entry first, through the
one gate every label run passes (released, every input tested and passed, the cold chain
complete, not on hold or recalled), and renders only once the entry is on the ledger. A lot
the gate refuses gets its page back (409) saying which rule refuses it, in the reader's
language; nothing is recorded or rendered. The codes point at the settings' resolver and
carry the signature of the key folder's ``label`` key when there is one (``agritrace label
verify`` then tells a genuine label from a copy offline).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Annotated, Final
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from labels import (
    DigitalLink,
    FontSet,
    LabelData,
    Layout,
    render_pdf,
    render_png,
    render_zpl,
    sign_link,
)
from traceability import LabelRun, LifecycleError, LotSummary
from verifier_app._auth import Caller
from verifier_app._deps import SettingsDep
from verifier_app._errors import BadRequestError, NotFoundError
from verifier_app._idempotency import form_key
from verifier_app._session import page_caller, read_form
from verifier_app._signing import AppRecorder, RecorderDep
from verifier_app.staff._events_api import record_once_for
from verifier_app.staff._pages import show_lot

__all__ = [
    "LAYOUT_FOR",
    "cooperative_line",
    "fonts",
    "found_lot",
    "now_text",
    "one_line",
    "router",
]

router = APIRouter(prefix="/staff", tags=["pages"], include_in_schema=False)

#: Format -> the label size it prints: an A4 sheet of 24 (office printer), one 50 x 30 mm
#: picture at 300 dpi, a 50 x 30 mm roll at 203 dpi (the common thermal printer).
LAYOUT_FOR: Final = {"pdf": "a4-3x8", "png": "50x30@300", "zpl": "60x40@203"}
_MEDIA = {"pdf": "application/pdf", "png": "image/png", "zpl": "application/zpl"}
_GRADE_TEXT = {"super": "特级 Super", "grade_1": "一级 Grade I", "grade_2": "二级 Grade II"}
#: The longest text line a label holds (labels.LabelData refuses longer ones).
_LINE: Final = 60


@functools.cache
def fonts() -> FontSet:
    """The label fonts, found and loaded once."""
    # Finding and loading the CJK and Arabic-script faces is slow; they do not change.
    return FontSet.find()


def one_line(text: str) -> str:
    """Fit free text on a label line (60 characters): names may be longer than a label."""
    flat = " ".join(text.split()) or "-"
    return flat if len(flat) <= _LINE else flat[: _LINE - 1] + "…"


def cooperative_line(app: AppRecorder) -> str:
    """The cooperative's recorded name for a label or certificate; before one, the log's host."""
    coop = app.projection.cooperative()
    if coop is not None:
        return one_line(coop.name("zh"))
    return one_line(urlsplit(f"//{app.ledger.origin}").hostname or app.ledger.origin)


def found_lot(app: AppRecorder, gtin: str, lot: str) -> LotSummary:
    """The lot's summary, after catching the projection up.

    Raises:
        NotFoundError: no such lot on this ledger.
    """
    projection = app.projection
    projection.catch_up()
    summary = projection.summary(gtin, lot)
    if summary is None or projection.find(summary.gtin, summary.lot) is None:
        raise NotFoundError(f"lot: no lot {lot!r} of product {gtin} on this ledger", "lot")
    return summary


def now_text() -> str:
    """Now, as an event's time (UTC, to the second)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _number(value: str, field: str, top: int) -> int:
    if not value.isdigit() or not 1 <= int(value) <= top:
        raise BadRequestError(f"{field}: expected a whole number from 1 to {top}", field)
    return int(value)


Labeller = Annotated[Caller, Depends(page_caller("packing_station", "cooperative"))]


@router.post("/lots/{gtin}/{lot:path}/labels")
async def print_labels(
    request: Request, gtin: str, lot: str, caller: Labeller, app: RecorderDep, settings: SettingsDep
) -> Response:
    """Record a label run for the lot (gated), then send its labels as a download."""
    form = await read_form(request, 20)
    fmt = form.get("format", "pdf")
    if fmt not in LAYOUT_FOR:
        raise BadRequestError(f"format: expected pdf, png or zpl, got {fmt!r}", "format")
    count = 1 if fmt == "png" else _number(form.get("count", "24"), "count", 240)
    summary = found_lot(app, gtin, lot)
    event = LabelRun.from_body(
        {"lot": {"gtin": summary.gtin, "lot": summary.lot}, "count": count, "time": now_text()}
    )
    try:
        # A form sent twice records one run (its key): both answers are its labels.
        record_once_for(caller, app, event, form_key(caller, request, form))
    except LifecycleError as e:
        return show_lot(request, caller, app, summary.gtin, summary.lot, refused=e, status=409)
    farm = summary.origins[0] if summary.origins else None
    packed = summary.packed or summary.harvested
    data = LabelData(
        product=one_line(summary.product),
        grade=one_line(_GRADE_TEXT.get(summary.grade or "", summary.grade or "-")),
        pack_date=dt.date.fromisoformat(packed[:10]) if packed else dt.date.today(),
        cooperative=cooperative_line(app),
        grown_in=one_line(f"{farm.county} {farm.village}" if farm else "-"),
        # Harvest (AI 7007) and best-before (AI 15) dates, printed beside the code.
        harvested=None if summary.harvested is None else dt.date.fromisoformat(summary.harvested),
        best_before=None
        if summary.best_before is None
        else dt.date.fromisoformat(summary.best_before),
    )
    link = DigitalLink(settings.resolver, summary.gtin, lot=summary.lot)
    if app.keys.exists("label"):
        link = sign_link(link, app.load_key("label"))
    layout = Layout.named(LAYOUT_FOR[fmt])
    if fmt == "pdf":
        content: bytes = render_pdf(data, [link] * count, layout, fonts())
    elif fmt == "png":
        content = render_png(data, link, layout, fonts())
    else:
        content = render_zpl(data, [link] * count, layout, fonts()).encode("utf-8")
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", summary.lot)
    disposition = f'attachment; filename="labels-{name}.{fmt}"'
    return Response(content, media_type=_MEDIA[fmt], headers={"Content-Disposition": disposition})
