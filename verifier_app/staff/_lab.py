"""The testing lab's page: residue results typed in, or a CSV file of them uploaded.

``GET /staff/lab`` (signed in with a lab's credential) shows a form for one sample's results
and a form to upload a CSV of many; both record ``trace.residue`` entries signed with the
key the token file names for the signed-in lab (the lab's key, registered on the ledger with
the lab role), never the cooperative's: the domain admits residue results from lab keys only.

The CSV (UTF-8 with or without a BOM, or GBK/GB18030 as Excel saves "CSV" on Chinese Windows;
a header row) has the columns ``lot,sample_id,substance,value,loq`` and optionally ``gtin``
(needed only when two products use the same lot code). Rows of one lot and sample become one
result entry; the whole file is recorded in one batch or, if any row is refused, not at all,
and the page names the row.
"""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from traceability import (
    TABLE,
    Action,
    BatchError,
    CsvEncodingError,
    IdempotencyKey,
    IdempotencyKeyUsedError,
    LifecycleError,
    ResidueTest,
    TraceError,
    ValidationError,
    decode_csv,
)
from verifier_app._auth import Caller
from verifier_app._bidi import isolated_wording
from verifier_app._i18n import Language
from verifier_app._idempotency import KeyMismatchError, check_same, form_key, previous
from verifier_app._negotiate import page_language
from verifier_app._session import check_form, page_caller, signed_in_page
from verifier_app._signing import AppRecorder, RecorderDep
from verifier_app.staff._events_api import record_once_for
from verifier_app.staff._field_errors import field_error_text
from verifier_app.staff._forms import FormError, lot_value, split_lot
from verifier_app.staff._refusals import refusal_text
from verifier_app.staff._wording import STAFF_WORDING
from verifier_app.staff._zones import ZONES, device_zone, local_now, read_time

__all__ = ["CSV_COLUMNS", "RESULT_ROWS", "read_csv", "router"]

router = APIRouter(prefix="/staff", tags=["pages"], include_in_schema=False)

LabCaller = Annotated[Caller, Depends(page_caller("lab"))]
#: Substance rows the typed form offers (a routine strawberry panel has a handful).
RESULT_ROWS: Final = 8
#: The CSV's columns; ``gtin`` may be added.
CSV_COLUMNS: Final = ("lot", "sample_id", "substance", "value", "loq")
# A lab's export of one day's samples is a few hundred rows; a megabyte is far above that.
_MAX_FILE = 1_000_000
_MAX_VALUE = 500


def _page(
    request: Request,
    caller: Caller,
    app: AppRecorder,
    values: dict[str, str],
    *,
    errors: dict[str, Markup] | None = None,
    refusal: Markup | str | None = None,
    status: int = 200,
) -> HTMLResponse:
    projection = app.projection
    projection.catch_up()
    lots = projection.lots(statuses=tuple(sorted(TABLE[Action.TEST].allowed)))
    done = request.query_params.get("done", "")
    saved = []
    if status == 200 and done:
        try:
            saved = [split_lot(v) for v in done.split(",")[:50]]
        except FormError:
            saved = []  # a hand-edited link: no confirmation rather than a wrong one
    results = [(ref, projection.results(ref["gtin"], ref["lot"])) for ref in saved]
    context = {
        "zone": device_zone(request),
        "zones": ZONES,
        "values": values,
        "errors": errors or {},
        "refusal": refusal,
        "lots": lots,
        "lot_value": lot_value,
        "rows": range(RESULT_ROWS),
        "columns": CSV_COLUMNS,
        "saved": results,
    }
    wording = isolated_wording(STAFF_WORDING, page_language(request))
    return signed_in_page(request, caller, "staff_lab.html", context, wording, status)


def _defaults(request: Request, caller: Caller) -> dict[str, str]:
    return {"time": local_now(device_zone(request)), "lab": caller.actor}


@router.get("/lab", response_class=HTMLResponse)
def lab_page(request: Request, caller: LabCaller, app: RecorderDep) -> HTMLResponse:
    """The lab's page: type one sample's results, or upload a CSV of many."""
    return _page(request, caller, app, _defaults(request, caller))


def _typed_event(values: dict[str, str], request: Request) -> ResidueTest:
    results = []
    for i in range(RESULT_ROWS):
        substance = values.get(f"r{i}_substance", "").strip()
        if not substance:
            continue  # a row left empty
        value = values.get(f"r{i}_value", "").strip()
        results.append({"substance": substance, "value": value, "loq": values.get(f"r{i}_loq")})
    if not results:
        raise FormError("r0_substance", "a value (the field is required)")
    body = {
        "lot": split_lot(values.get("lot", "")),
        "sample_id": values.get("sample_id", "").strip(),
        "lab": values.get("lab", "").strip(),
        "method": values.get("method", "").strip(),
        "results": results,
        "time": _time(values, request),
    }
    return ResidueTest.from_body(body)


def _time(values: dict[str, str], request: Request) -> str:
    # The result's time box, on the device's clock (Beijing or Xinjiang time, _zones.py).
    text = values.get("time", "").strip()
    if not text:
        raise FormError("time", "a value (the field is required)")
    try:
        return read_time(text, device_zone(request)).isoformat()
    except ValueError:
        raise FormError("time", "a date and time like 2026-06-01T08:30", text) from None


def _where(field: str) -> str:
    # results[2].value -> r2_value; lot.gtin -> lot; everything else by its head.
    if field.startswith("results["):
        index, _, rest = field[len("results[") :].partition("]")
        name = rest.lstrip(".").split(".")[0] or "substance"
        return f"r{index}_{name}" if index.isdigit() else "r0_substance"
    return field.split(".")[0].split("[")[0]


@router.post("/lab/results", response_class=HTMLResponse)
async def lab_results(request: Request, caller: LabCaller, app: RecorderDep) -> Response:
    """Record one sample's typed results, signed with the lab's key; refused: the form again."""
    form = await request.form()
    check_form(request, form)
    values = {k: v[:_MAX_VALUE] for k, v in form.items() if isinstance(v, str)}
    language = page_language(request)
    try:
        event = _typed_event(values, request)
        record_once_for(caller, app, event, form_key(caller, request, values))
    except KeyMismatchError as e:
        return _page(request, caller, app, values, refusal=e.message, status=422)
    except (FormError, ValidationError) as e:
        said = field_error_text(e, language)
        return _page(request, caller, app, values, errors={_where(e.field): said}, status=422)
    except LifecycleError as e:
        said = refusal_text(e, language)
        return _page(request, caller, app, values, refusal=said, status=409)
    except TraceError as e:
        return _page(request, caller, app, values, refusal=str(e), status=403)
    return RedirectResponse(_done_path(request, [event]), 303)


def _done_path(request: Request, events: list[ResidueTest]) -> str:
    lang = request.query_params.get("lang", "")
    done = ",".join(dict.fromkeys(lot_value(e.lot.gtin, e.lot.lot) for e in events))
    query = (f"lang={lang}&" if lang in STAFF_WORDING else "") + f"done={quote(done, safe='')}"
    return f"/staff/lab?{query}"


class CsvError(FormError):
    """A CSV row the page cannot read; ``row`` is its line number (the header is line 1).

    For the file as a whole (``field`` ``"file"``), ``got`` is the wording key of the reason.
    """

    def __init__(self, row: int, field: str, expected: str, got: object = None) -> None:
        super().__init__(field, expected, got)
        self.row = row


def read_csv(
    data: bytes, app: AppRecorder, lab: str, method: str, time: str
) -> list[tuple[int, ResidueTest]]:
    """Read an uploaded CSV into one result entry per lot and sample, with its first line.

    Raises:
        CsvError: the file is no CSV of :data:`CSV_COLUMNS`, or a row does not make a result
            (a lot not on the ledger, a malformed value): names the line and the column.
    """
    # UTF-8 with or without a BOM, or GBK/GB18030 (Excel's "CSV" on Chinese Windows).
    try:
        text = decode_csv(data, "file")
    except CsvEncodingError:
        raise CsvError(1, "file", "a readable CSV file", "csv_not_utf8") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise CsvError(1, "file", "a readable CSV file", "csv_columns")
    groups: dict[tuple[str, str, str], tuple[int, list[dict[str, Any]]]] = {}
    for line, row in enumerate(reader, start=2):
        code = (row.get("lot") or "").strip()
        gtin = (row.get("gtin") or "").strip()
        found = [r for r in app.projection.lots(code=code) if not gtin or r.gtin == gtin]
        if len(found) != 1:
            expected = "a lot recorded on this ledger"
            if len(found) > 1:
                expected = f"gtin to choose between {', '.join(r.gtin for r in found)}"
            raise CsvError(line, "lot", expected, code)
        key = (found[0].gtin, found[0].lot, (row.get("sample_id") or "").strip())
        result = {k: (row.get(k) or "").strip() for k in ("substance", "value", "loq")}
        groups.setdefault(key, (line, []))[1].append(result)
    if not groups:
        raise CsvError(2, "file", "a readable CSV file", "csv_no_rows")
    out = []
    for (gtin, code, sample), (line, results) in groups.items():
        body = {
            "lot": {"gtin": gtin, "lot": code},
            "sample_id": sample,
            "lab": lab,
            "method": method,
            "results": results,
            "time": time,
        }
        try:
            out.append((line, ResidueTest.from_body(body)))
        except ValidationError as e:
            raise CsvError(line, e.field, e.expected, e.got) from e
    return out


@router.post("/lab/upload", response_class=HTMLResponse)
async def lab_upload(request: Request, caller: LabCaller, app: RecorderDep) -> Response:
    """Record every result of an uploaded CSV in one batch, or none and say which row."""
    async with request.form(max_files=1, max_fields=20) as form:
        check_form(request, form)
        values = {k: v[:_MAX_VALUE] for k, v in form.items() if isinstance(v, str)}
        upload = form.get("file")
        empty = upload is None or isinstance(upload, str)
        data = b"" if empty else await upload.read(_MAX_FILE + 1)  # type: ignore[union-attr]
    language = page_language(request)
    try:
        if not data or len(data) > _MAX_FILE:
            got = "csv_no_file" if not data else "csv_too_big"
            raise CsvError(1, "file", "a readable CSV file", got)
        when = _time(values, request)
        events = read_csv(data, app, values.get("lab", ""), values.get("method", ""), when)
    except CsvError as e:
        if e.field == "file":
            # The file as a whole: the reason's sentence, in the reader's language.
            said = Markup('{} <code dir="ltr">{}</code>').format(
                isolated_wording(STAFF_WORDING, language)[language][str(e.got)],
                ",".join(CSV_COLUMNS),
            )
            return _page(request, caller, app, values, errors={"file": said}, status=422)
        said = _on_row(e.row, e.field, field_error_text(e, language), language)
        return _page(request, caller, app, values, errors={"file": said}, status=422)
    except FormError as e:
        said = field_error_text(e, language)
        return _page(request, caller, app, values, errors={e.field: said}, status=422)
    sent = values | {"file": hashlib.sha256(data).hexdigest()}
    try:
        _record_all(caller, app, [e for _, e in events], form_key(caller, request, sent))
    except KeyMismatchError as e:
        return _page(request, caller, app, values, refusal=e.message, status=422)
    except BatchError as e:
        line = events[e.index][0]
        error = e.error
        if isinstance(error, ValidationError):
            said = _on_row(line, error.field, field_error_text(error, language), language)
            return _page(request, caller, app, values, errors={"file": said}, status=422)
        if isinstance(error, LifecycleError):
            said = _on_row(line, "lot", refusal_text(error, language), language)
            return _page(request, caller, app, values, refusal=said, status=409)
        return _page(request, caller, app, values, refusal=str(error), status=403)
    return RedirectResponse(_done_path(request, [e for _, e in events]), 303)


def _on_row(line: int, field: str, said: Markup, language: Language) -> Markup:
    row = STAFF_WORDING[language]["csv_row"]
    before, _, after = row.partition("{line}")
    column = Markup(" <bdi>{}</bdi>: ").format(field) if field not in ("file", "") else ""
    return escape(before) + Markup("<bdi>{}</bdi>").format(line) + escape(after) + column + said


def _record_all(
    caller: Caller, app: AppRecorder, events: list[ResidueTest], once: IdempotencyKey | None
) -> None:
    """Record ``events`` in one batch with the lab's key, once per form key and file."""
    key = app.key_for(caller)
    if once is None:
        app.recorder.record_batch([(e, key) for e in events])
        return
    with app.in_flight.running(once):
        if previous(app, once) is not None:
            return  # sent twice: the first recorded it
        try:
            app.recorder.record_batch([(e, key) for e in events], once=once)
        except IdempotencyKeyUsedError as e:
            check_same(once, e.stored)  # another worker recorded this very file meanwhile
