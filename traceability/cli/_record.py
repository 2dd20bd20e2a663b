"""``agritrace record …``, ``agritrace rules …`` and ``agritrace recall``: staff sign events."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from traceability._errors import ValidationError
from traceability.cli._common import (
    DEFAULT_KEYS,
    Db,
    Gtin,
    IdemKey,
    Keys,
    Signer,
    errors,
    now_text,
    open_projection,
    open_recorder,
    out,
    read_json,
    record_once,
    resolve_lot,
    signing_key,
)
from traceability.events._events import EVENT_TYPES, Cooperative, Harvest, Hold, Recall, Release
from traceability.events._model import Model
from traceability.events._sampling import LabApproval
from traceability.projection._read import Projection
from traceability.rules._tables import load_mrl_csv, load_profile

__all__ = ["recall", "record_app", "rules_app"]

record_app = typer.Typer(
    help="Sign and record one event: a friendly form for harvest, hold and release, "
    "or any event kind from a JSON file (--file).",
    no_args_is_help=True,
)
rules_app = typer.Typer(
    help="Record rule data: commodity profiles and MRL tables.", no_args_is_help=True
)

EventFile = Annotated[
    Path | None,
    typer.Option("--file", help="The event as a JSON object (the statement body)."),
]
When = Annotated[
    str | None,
    typer.Option("--time", help="When it happened, RFC 3339 with offset [default: now]."),
]


def _record(
    event: Model,
    db: str | None,
    keys: Path,
    signer: str,
    idempotency_key: str | None = None,
    *,
    time_given: bool = True,
) -> None:
    with open_recorder(db, keys) as recorder:
        receipt, again = record_once(
            recorder, event, signing_key(keys, signer), idempotency_key, time_given=time_given
        )
    if again:
        out.print(
            f"already recorded {event.KIND} at entry {receipt.seq} with this idempotency key: "
            "nothing appended",
            highlight=False,
        )
        return
    out.print(f"recorded {event.KIND} at entry {receipt.seq}", highlight=False)


def _from_file(model: type[Model], path: Path) -> Model:
    return model.from_body(read_json(path))


def _options_or_file(
    model: type[Model], file: Path | None, required: dict[str, Any], body: dict[str, Any]
) -> Model:
    """The event from ``--file``, or from the options (each of ``required`` must be given)."""
    if file is not None:
        return _from_file(model, file)
    missing = [f"--{name}" for name, v in required.items() if not v]
    if missing:
        raise ValidationError(", ".join(missing), "options, or the event in --file", None)
    return model.from_body(body)


def _lot_ref(db: str | None, lot: str, gtin: str | None) -> dict[str, str]:
    # A lot code alone names the lot when one product has it; --gtin settles the rest.
    with open_projection(db) as projection:
        found_gtin, code = resolve_lot(projection, lot, gtin)
    return {"gtin": found_gtin, "lot": code}


def _file_command(model: type[Model]) -> Callable[..., None]:
    def command(
        file: Annotated[Path, typer.Option("--file", help="The event as a JSON object.")],
        signer: Signer,
        db: Db = None,
        keys: Keys = DEFAULT_KEYS,
        idempotency_key: IdemKey = None,
    ) -> None:
        with errors():
            _record(_from_file(model, file), db, keys, signer, idempotency_key)

    command.__doc__ = f"Record a {model.KIND} event from a JSON file: {model.__doc__}"
    return command


_FRIENDLY = {Cooperative.KIND, Harvest.KIND, Hold.KIND, Release.KIND, LabApproval.KIND}
# Certificates and label runs are recorded by `agritrace lot certificate` / `lot labels`,
# which render what they record: no entry without its document.
_ISSUED = {"trace.certificate", "trace.labels"}
# The lot-status map is appended by whatever signs checkpoints (serve, or a command here
# holding the log key and the status-map key), never typed in.
_SEALED = {"trace.status_map"}
for _kind, _model in EVENT_TYPES.items():
    if _kind not in _FRIENDLY | _ISSUED | _SEALED:
        record_app.command(_kind.removeprefix("trace."))(_file_command(_model))


@record_app.command()
def harvest(
    signer: Signer,
    lot: Annotated[str | None, typer.Option(help="The new harvest lot's code (AI 10).")] = None,
    gtin: Annotated[str | None, typer.Option(help="The product's GTIN-14.")] = None,
    plot: Annotated[str | None, typer.Option(help="The plot it was picked from.")] = None,
    variety: Annotated[str | None, typer.Option(help="The variety, e.g. Hongyan.")] = None,
    quantity: Annotated[str | None, typer.Option(help="How much, a decimal (kg).")] = None,
    unit: Annotated[str, typer.Option(help="KGM (kilogram) or H87 (piece).")] = "KGM",
    time: When = None,
    file: EventFile = None,
    db: Db = None,
    keys: Keys = DEFAULT_KEYS,
    idempotency_key: IdemKey = None,
) -> None:
    """Record a harvest lot picked from one plot (options, or the whole event in --file)."""
    with errors():
        required = {"lot": lot, "gtin": gtin, "plot": plot, "variety": variety}
        body: dict[str, Any] = {
            "lot": {"gtin": gtin, "lot": lot},
            "plot": plot,
            "variety": variety,
            "quantity": quantity,
            "unit": unit,
            "time": time or now_text(),
        }
        event = _options_or_file(Harvest, file, required | {"quantity": quantity}, body)
        given = time is not None or file is not None
        _record(event, db, keys, signer, idempotency_key, time_given=given)


@record_app.command()
def cooperative(
    signer: Signer,
    name_zh: Annotated[str | None, typer.Option(help="The registered (Chinese) name.")] = None,
    name_ug: Annotated[str | None, typer.Option(help="The Uyghur name.")] = None,
    name_en: Annotated[str | None, typer.Option(help="The English name.")] = None,
    address: Annotated[str | None, typer.Option(help="Street address or township.")] = None,
    county: Annotated[str | None, typer.Option(help="The county it is registered in.")] = None,
    gln: Annotated[str | None, typer.Option(help="Its GS1 GLN (13 digits), if any.")] = None,
    file: EventFile = None,
    db: Db = None,
    keys: Keys = DEFAULT_KEYS,
    idempotency_key: IdemKey = None,
) -> None:
    """Record the cooperative's names, address and GLN (a cooperative key; latest wins)."""
    with errors():
        required = {"name-zh": name_zh, "address": address, "county": county}
        body = {"name_zh": name_zh, "name_ug": name_ug, "name_en": name_en,
                "address": address, "county": county, "gln": gln}  # fmt: skip
        present = {k: v for k, v in body.items() if v is not None}
        event = _options_or_file(Cooperative, file, required, present)
        _record(event, db, keys, signer, idempotency_key)


@record_app.command()
def hold(
    lot: Annotated[str, typer.Argument(help="The lot code to hold.")],
    signer: Signer,
    reason: Annotated[str, typer.Option(help="Why, for the record and the lot's status.")],
    gtin: Gtin = None,
    time: When = None,
    db: Db = None,
    keys: Keys = DEFAULT_KEYS,
    idempotency_key: IdemKey = None,
) -> None:
    """Hold a lot: it may not move on until released (cooperative or regulator key)."""
    with errors():
        body = {"lot": _lot_ref(db, lot, gtin), "reason": reason, "time": time or now_text()}
        event = Hold.from_body(body)
        _record(event, db, keys, signer, idempotency_key, time_given=time is not None)


@record_app.command("lab_approval")
def lab_approval(
    signer: Signer,
    lab: Annotated[str | None, typer.Option(help="The lab id its enrolment names.")] = None,
    key_id: Annotated[
        str | None,
        typer.Option(help="The enrolled key to approve [default: the lab's one pending key]."),
    ] = None,
    note: Annotated[str | None, typer.Option(help="Why, e.g. the CMA certificate seen.")] = None,
    file: EventFile = None,
    time: When = None,
    db: Db = None,
    keys: Keys = DEFAULT_KEYS,
    idempotency_key: IdemKey = None,
) -> None:
    """Approve a lab's enrolment (a regulator key): its key may then sign samples and results.

    Without --key-id, approves the one enrolment of --lab not approved yet.
    """
    with errors():
        if file is None and lab is not None and key_id is None:
            with open_projection(db) as projection:
                pending = [
                    e.key_id for e in projection.labs() if e.lab == lab and not e.approved_seq
                ]
            if len(pending) != 1:
                raise ValidationError(
                    "--key-id", f"one of the pending enrolments of lab {lab}", pending or None
                )
            key_id = pending[0]
        body = {"lab": lab, "key_id": key_id, "note": note, "time": time or now_text()}
        required = {"lab": lab, "key_id": key_id}
        event = _options_or_file(
            LabApproval, file, required, {k: v for k, v in body.items() if v is not None}
        )
        _record(event, db, keys, signer, idempotency_key, time_given=time is not None)


@record_app.command()
def release(
    lot: Annotated[str, typer.Argument(help="The lot code to release.")],
    signer: Signer,
    note: Annotated[str, typer.Option(help="The release note, e.g. 'tests passed'.")],
    gtin: Gtin = None,
    evidence: Annotated[
        int | None,
        typer.Option(help="Entry of a passing lab re-test (lifts a residue/cold-chain hold)."),
    ] = None,
    time: When = None,
    db: Db = None,
    keys: Keys = DEFAULT_KEYS,
    idempotency_key: IdemKey = None,
) -> None:
    """Release a lot for sale; refused unless every input passed its required tests.

    A regulator key lifts holds (its decision) without releasing for sale.
    """
    with errors():
        body: dict[str, object] = {
            "lot": _lot_ref(db, lot, gtin),
            "note": note,
            "time": time or now_text(),
        }
        if evidence is not None:
            body["evidence"] = evidence
        event = Release.from_body(body)
        _record(event, db, keys, signer, idempotency_key, time_given=time is not None)


@rules_app.command("load-profile")
def load_profile_command(
    file: Annotated[Path, typer.Argument(help="A commodity profile in TOML.")],
    signer: Signer,
    db: Db = None,
    keys: Keys = DEFAULT_KEYS,
    idempotency_key: IdemKey = None,
) -> None:
    """Record a commodity profile (grades, cold chain, required tests, PHI) from TOML."""
    with errors():
        _record(load_profile(file), db, keys, signer, idempotency_key)


@rules_app.command("load-mrl")
def load_mrl_command(
    file: Annotated[Path, typer.Argument(help="An MRL table: '# key: value' lines, then CSV.")],
    signer: Signer,
    edition: Annotated[
        str | None,
        typer.Option(help="The edition the file must declare, e.g. 'GB 2763-2026'."),
    ] = None,
    db: Db = None,
    keys: Keys = DEFAULT_KEYS,
    idempotency_key: IdemKey = None,
) -> None:
    """Record a maximum-residue-limit table from CSV; --edition guards against a wrong file."""
    with errors():
        table = load_mrl_csv(file)
        # Profiles name their MRL table by edition: a file of another edition would judge
        # nothing (or the wrong lots), so refuse rather than record it under a surprise name.
        if edition is not None and table.edition != edition:
            raise ValidationError("edition", f"the file to declare {edition!r}", table.edition)
        _record(table, db, keys, signer, idempotency_key)


def recall(
    lot: Annotated[str, typer.Argument(help="The lot code to recall.")],
    signer: Signer,
    reason: Annotated[str, typer.Option(help="Why, as it will appear on every reached lot.")],
    gtin: Gtin = None,
    time: When = None,
    db: Db = None,
    keys: Keys = DEFAULT_KEYS,
    idempotency_key: IdemKey = None,
) -> None:
    """Recall a lot and everything made from it; print every lot and shipment it reached."""
    with errors(), open_recorder(db, keys) as recorder:
        projection = Projection(recorder.ledger)
        found_gtin, code = resolve_lot(projection, lot, gtin)
        event = Recall.from_body(
            {
                "lot": {"gtin": found_gtin, "lot": code},
                "reason": reason,
                "time": time or now_text(),
            }
        )
        receipt, _ = record_once(
            recorder, event, signing_key(keys, signer), idempotency_key, time_given=time is not None
        )
        reached = projection.trace_forward(found_gtin, code)
    out.print(f"recalled {escape(code)} at entry {receipt.seq}", highlight=False)
    out.print(f"lots reached ({len(reached.lots)}):", highlight=False)
    for key in reached.lots:
        out.print(f"  {escape(key)}", highlight=False)
    out.print(f"shipments reached ({len(reached.shipments)}):", highlight=False)
    for s in reached.shipments:
        receiver = f", received by {s.receiver}" if s.receiver else ""
        out.print(
            f"  {escape(s.shipment)} to {escape(s.destination)}{escape(receiver)} "
            f"({s.status}): {escape(', '.join(s.lots))}",
            highlight=False,
        )
