"""Printing a lot's labels from its page: PDF sheet, PNG or ZPL, signed, as a download.

``GET /staff/lots/{gtin}/{lot}/labels?format=pdf|png|zpl&count=N`` (the lot page's print
form; a download changes nothing, so it is a GET). A lot that may not be labelled for sale
(:meth:`traceability.Recorder.check_label`: only released lots) is refused with a page
naming the rule, and nothing is rendered. The codes point at the settings' resolver and
carry the signature of the key folder's ``label`` key when there is one (``agritrace label
verify`` then tells a genuine label from a copy offline).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Annotated, Final, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query
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
from verifier_app._auth import Caller
from verifier_app._deps import SettingsDep
from verifier_app._errors import NotFoundError
from verifier_app._session import page_caller
from verifier_app._signing import RecorderDep

__all__ = ["LAYOUT_FOR", "router"]

router = APIRouter(prefix="/staff", tags=["pages"], include_in_schema=False)

#: Format -> the label size it prints: an A4 sheet of 24 (office printer), one 50 x 30 mm
#: picture at 300 dpi, a 50 x 30 mm roll at 203 dpi (the common thermal printer).
LAYOUT_FOR: Final = {"pdf": "a4-3x8", "png": "50x30@300", "zpl": "60x40@203"}
_MEDIA = {"pdf": "application/pdf", "png": "image/png", "zpl": "application/zpl"}
_GRADE_TEXT = {"super": "特级 Super", "grade_1": "一级 Grade I", "grade_2": "二级 Grade II"}
#: The longest text line a label holds (labels.LabelData refuses longer ones).
_LINE: Final = 60


@functools.cache
def _fonts() -> FontSet:
    # Finding and loading the CJK and Arabic-script faces is slow; they do not change.
    return FontSet.find()


def _one_line(text: str) -> str:
    """Fit free text on a label line (60 characters): names may be longer than a label."""
    flat = " ".join(text.split()) or "-"
    return flat if len(flat) <= _LINE else flat[: _LINE - 1] + "…"


@router.get("/lots/{gtin}/{lot:path}/labels")
def print_labels(
    gtin: str,
    lot: str,
    _: Annotated[Caller, Depends(page_caller("packing_station", "cooperative"))],
    app: RecorderDep,
    settings: SettingsDep,
    format: Literal["pdf", "png", "zpl"] = "pdf",
    count: Annotated[int, Query(ge=1, le=240)] = 24,
) -> Response:
    """Render the lot's labels (``count`` copies; PNG is one picture) as a download."""
    projection = app.projection
    projection.catch_up()
    summary = projection.summary(gtin, lot)
    state = None if summary is None else projection.find(summary.gtin, summary.lot)
    if summary is None or state is None:
        raise NotFoundError(f"lot: no lot {lot!r} of product {gtin} on this ledger", "lot")
    projection.check_label(state.gtin, state.lot)  # LifecycleError: 409, a page
    farm = summary.origins[0] if summary.origins else None
    packed = summary.packed or summary.harvested
    coop = projection.cooperative()
    data = LabelData(
        product=_one_line(summary.product),
        grade=_one_line(_GRADE_TEXT.get(summary.grade or "", summary.grade or "-")),
        pack_date=dt.date.fromisoformat(packed[:10]) if packed else dt.date.today(),
        # The cooperative's recorded name; before one is recorded, the log's host.
        cooperative=_one_line(
            coop.name("zh")
            if coop is not None
            else urlsplit(f"//{app.ledger.origin}").hostname or app.ledger.origin
        ),
        grown_in=_one_line(f"{farm.county} {farm.village}" if farm else "-"),
    )
    link = DigitalLink(settings.resolver, summary.gtin, lot=summary.lot)
    if app.keys.exists("label"):
        link = sign_link(link, app.load_key("label"))
    layout = Layout.named(LAYOUT_FOR[format])
    if format == "pdf":
        content: bytes = render_pdf(data, [link] * count, layout, _fonts())
    elif format == "png":
        content = render_png(data, link, layout, _fonts())
    else:
        content = render_zpl(data, [link] * count, layout, _fonts()).encode("utf-8")
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", summary.lot)
    disposition = f'attachment; filename="labels-{name}.{format}"'
    return Response(
        content, media_type=_MEDIA[format], headers={"Content-Disposition": disposition}
    )
