"""``agritrace import readings|results``: bulk files checked whole before anything is recorded.

A file is read and every row validated first (a bad row names its line, column, what was
expected and what came); then its events are checked together and appended in one batch
(:meth:`~traceability.Recorder.record_batch`), so nothing from a file is ever half-applied.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from traceability._errors import BatchError, RoleError, TraceError, ValidationError
from traceability._recorder import Recorder
from traceability.cli._common import (
    DEFAULT_KEYS,
    Db,
    Gtin,
    Keys,
    Signer,
    err,
    errors,
    open_recorder,
    out,
    resolve_lot,
    signing_key,
)
from traceability.events._events import Cooling, Reading, Receiving, ResidueTest, SubstanceResult
from traceability.events._ids import parse_local_id
from traceability.events._model import Model
from traceability.exports._csv_safe import decode_csv
from traceability.projection._read import Projection

__all__ = ["import_app"]

import_app = typer.Typer(
    help="Import bulk files: temperature-logger readings and lab result files.",
    no_args_is_help=True,
)

#: Readings per event: the event models' limit (``Cooling.readings`` max_length), which also
#: keeps a signed body well under the ledger's 64 KiB statement limit. A longer log becomes
#: several events, recorded together or not at all.
CHUNK = 1000
READING_COLUMNS = ("timestamp", "celsius")
RESULT_COLUMNS = ("sample_id", "lot", "substance", "value", "unit", "loq", "method", "lab", "time")


@contextmanager
def _progress() -> Iterator[Progress]:
    # On stderr, so stdout stays the summary a script can read.
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
        # Only for people watching: a log or a pipe gets no bar and no stray blank lines.
        disable=not err.is_terminal,
    ) as bar:
        yield bar


def _rows(path: Path, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """Return ``(line number, row)`` for each data row; ``#`` lines are comments."""
    # UTF-8 with or without a BOM (loggers' spreadsheets often write one) or GBK/GB18030
    # (Excel's "CSV" on Chinese Windows); anything else is a clear CsvEncodingError.
    text = decode_csv(path.read_bytes(), path.name)
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1)]
    data = [(n, line) for n, line in lines if line.strip() and not line.startswith("#")]
    if not data:
        raise ValidationError(str(path), f"a CSV header {','.join(required)}", "an empty file")
    header_line, header = data[0]
    reader = csv.reader([header])
    columns = [c.strip() for c in next(reader)]
    missing = [c for c in required if c not in columns]
    if missing:
        raise ValidationError(
            f"{path.name} line {header_line}", f"columns {', '.join(missing)}", header
        )
    rows = []
    for number, line in data[1:]:
        cells = next(csv.reader([line]))
        if len(cells) != len(columns):
            raise ValidationError(
                f"{path.name} line {number}", f"{len(columns)} fields", f"{len(cells)}: {line}"
            )
        rows.append((number, {c: v.strip() for c, v in zip(columns, cells, strict=True)}))
    return rows


def _located(
    path: Path, number: int, error: ValidationError, columns: dict[str, str]
) -> ValidationError:
    """A model's error, naming the file's line and column instead of the model's field."""
    column = columns.get(error.field.split("[")[0].split(".")[0], error.field)
    return ValidationError(f"{path.name} line {number}, {column}", error.expected, error.got)


def _record(
    recorder: Recorder,
    events: Sequence[Model],
    lines: Sequence[int],
    path: Path,
    keys: Path,
    signer: str,
    bar: Progress,
) -> int:
    key = signing_key(keys, signer)
    task = bar.add_task("checking and recording", total=len(events))
    try:
        receipts = recorder.record_batch([(event, key) for event in events])
    except BatchError as e:
        if isinstance(e.error, RoleError):
            raise e.error from e  # the signing key is wrong for the whole file, not a line
        # The event's rows start on this line; the rule it broke names itself.
        raise TraceError(f"{path.name} line {lines[e.index]}: {e.error}") from e
    bar.update(task, completed=len(events))
    return receipts[-1].seq


@import_app.command()
def readings(
    file: Annotated[Path, typer.Argument(help="Logger CSV: timestamp (RFC 3339), celsius.")],
    signer: Signer,
    kind: Annotated[
        str, typer.Option(help="cooling (pre-cooling core probe) or transport (reefer logger).")
    ],
    lot: Annotated[str | None, typer.Option(help="The cooled lot (for cooling).")] = None,
    gtin: Gtin = None,
    site: Annotated[str | None, typer.Option(help="Where it was cooled (for cooling).")] = None,
    shipment: Annotated[
        str | None, typer.Option(help="The shipment the logger travelled with (for transport).")
    ] = None,
    receiver: Annotated[
        str | None, typer.Option(help="Who received the shipment (for transport).")
    ] = None,
    db: Db = None,
    keys: Keys = DEFAULT_KEYS,
) -> None:
    """Import a temperature logger's readings as cooling or receiving events, all or none."""
    with errors(), open_recorder(db, keys) as recorder, _progress() as bar:
        if kind not in ("cooling", "transport"):
            raise ValidationError("--kind", "cooling or transport", kind)
        rows = _rows(file, READING_COLUMNS)
        task = bar.add_task("reading", total=len(rows))
        parsed: list[Reading] = []
        for i, (number, row) in enumerate(rows):
            try:
                parsed.append(
                    Reading.from_body({"time": row["timestamp"], "celsius": row["celsius"]})
                )
            except ValidationError as e:
                columns = {"time": "timestamp", "celsius": "celsius"}
                raise _located(file, number, e, columns) from e
            if i % 500 == 0:
                bar.update(task, completed=i)
        bar.update(task, completed=len(rows))
        if not parsed:
            raise ValidationError(str(file), "at least one reading", "none")
        events, lines = _reading_events(
            recorder, kind, parsed, rows, lot, gtin, site, shipment, receiver
        )
        last = _record(recorder, events, lines, file, keys, signer, bar)
    out.print(
        f"imported {len(parsed)} readings from {escape(file.name)} as {len(events)} "
        f"{events[0].KIND} events (last entry {last})",
        highlight=False,
    )


def _reading_events(
    recorder: Recorder,
    kind: str,
    parsed: list[Reading],
    rows: list[tuple[int, dict[str, str]]],
    lot: str | None,
    gtin: str | None,
    site: str | None,
    shipment: str | None,
    receiver: str | None,
) -> tuple[list[Model], list[int]]:
    # In time order, so each part of a long log is a stretch of time; the cold chain is
    # judged across all the parts (traceability/projection/_cold_chain.py), the last one closes it.
    ordered = sorted(zip(parsed, (n for n, _ in rows), strict=True), key=lambda p: p[0].time)
    chunks = [ordered[i : i + CHUNK] for i in range(0, len(ordered), CHUNK)]
    lines = [chunk[0][1] for chunk in chunks]
    if kind == "transport":
        if shipment is None and lot is not None:
            projection = Projection(recorder.ledger)
            shipment = _shipment_in_transit(projection, *resolve_lot(projection, lot, gtin))
        common: dict[str, Any] = {
            "shipment": parse_local_id(shipment, "--shipment"),
            "receiver": parse_local_id(receiver, "--receiver"),
        }
    else:
        if lot is None:
            raise ValidationError("--lot", "the cooled lot's code", None)
        found_gtin, code = resolve_lot(Projection(recorder.ledger), lot, gtin)
        common = {"lot": {"gtin": found_gtin, "lot": code}, "site": parse_local_id(site, "--site")}
    model: type[Model] = Receiving if kind == "transport" else Cooling
    events = [
        model.from_body(
            common
            | {
                "readings": [r.to_body() for r, _ in chunk],
                # Every part but the last says more follow: the last one judges the
                # log as complete (and, for transport, receives the shipment).
                **({"more_readings": True} if i < len(chunks) - 1 else {}),
                "time": chunk[-1][0].time.isoformat(),
            }
        )
        for i, chunk in enumerate(chunks)
    ]
    return events, lines


def _shipment_in_transit(projection: Projection, gtin: str, lot: str) -> str:
    state = projection.lot(gtin, lot)
    found = projection.shipment_in_transit(state)
    if found is None:
        raise ValidationError(
            "--lot", "a lot on a shipment in transit (or give --shipment)", state.key
        )
    return found


@import_app.command()
def results(
    file: Annotated[
        Path,
        typer.Argument(
            help="Lab CSV: sample_id, gtin (optional), lot, substance, value ('<LOQ' or "
            "mg/kg), unit (mg/kg), loq, method, lab, time; one row per substance."
        ),
    ],
    signer: Signer,
    db: Db = None,
    keys: Keys = DEFAULT_KEYS,
) -> None:
    """Import a lab's result file: one residue-test event per sample and lot, all or none."""
    with errors(), open_recorder(db, keys) as recorder, _progress() as bar:
        rows = _rows(file, RESULT_COLUMNS)
        task = bar.add_task("reading", total=len(rows))
        samples: dict[tuple[str, str, str], list[tuple[int, dict[str, str]]]] = {}
        known: dict[tuple[str, str], tuple[str, str]] = {}
        for i, (number, row) in enumerate(rows):
            found = _check_result_row(recorder, file, number, row, known)
            samples.setdefault((row["sample_id"], *found), []).append((number, row))
            bar.update(task, completed=i + 1)
        if not samples:
            raise ValidationError(str(file), "at least one result row", "none")
        events: list[Model] = []
        lines: list[int] = []
        for (sample, found_gtin, code), group in samples.items():
            events.append(_residue_event(file, sample, found_gtin, code, group))
            lines.append(group[0][0])
        last = _record(recorder, events, lines, file, keys, signer, bar)
    out.print(
        f"imported {len(rows)} results from {escape(file.name)} as {len(events)} "
        f"residue-test events (last entry {last})",
        highlight=False,
    )


def _check_result_row(
    recorder: Recorder,
    path: Path,
    number: int,
    row: dict[str, str],
    known: dict[tuple[str, str], tuple[str, str]],
) -> tuple[str, str]:
    """Validate one row on its own; return its lot's ``(gtin, lot)``."""
    columns = {c: c for c in (*RESULT_COLUMNS, "gtin")}
    try:
        SubstanceResult.from_body({k: row[k] for k in ("substance", "value", "loq", "unit")})
        parse_local_id(row["sample_id"], "sample_id")
        asked = (row.get("gtin", ""), row["lot"])
        if asked not in known:
            found = resolve_lot(Projection(recorder.ledger), row["lot"], row.get("gtin") or None)
            known[asked] = found
        return known[asked]
    except ValidationError as e:
        raise _located(path, number, e, columns) from e


def _residue_event(
    path: Path,
    sample: str,
    gtin: str,
    lot: str,
    group: list[tuple[int, dict[str, str]]],
) -> ResidueTest:
    first_line, first = group[0]
    # One event per sample: its rows must agree on who measured it, how and when.
    shared: dict[str, Any] = {k: first[k] for k in ("method", "lab", "time")}
    for number, row in group[1:]:
        for column, value in shared.items():
            if row[column] != value:
                raise ValidationError(
                    f"{path.name} line {number}, {column}",
                    f"{value!r} as on line {first_line} for sample {sample}",
                    row[column],
                )
    body: dict[str, Any] = {
        "lot": {"gtin": gtin, "lot": lot},
        "sample_id": sample,
        "results": [{k: row[k] for k in ("substance", "value", "loq", "unit")} for _, row in group],
        **shared,
    }
    try:
        return ResidueTest.from_body(body)
    except ValidationError as e:
        number = first_line
        if e.field.startswith("results["):
            number = group[int(e.field[len("results[") :].split("]")[0])][0]
        column = e.field.split(".")[-1] if e.field.startswith("results[") else e.field
        raise ValidationError(f"{path.name} line {number}, {column}", e.expected, e.got) from e
