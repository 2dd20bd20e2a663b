"""``agritrace lot certificate`` and ``agritrace lot labels``: gated, recorded, then rendered.

The domain-aware half of certificates and labels. Each command records a
``trace.certificate`` / ``trace.labels`` entry first, which passes the one sale gate
(released, every input tested and passed, not on hold or recalled), and renders with
:mod:`labels` only once the entry is on the ledger: a refused lot gets no PDF. ``agritrace
label`` keeps the pure rendering commands (no ledger, no gate). The certificate's QR code
carries the entry's number (``?cert=N``), which the resolver checks against the ledger.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from labels import (
    Certificate,
    DigitalLink,
    FontSet,
    LabelData,
    LabelError,
    Layout,
    load_private_key,
    render_certificate,
    render_pdf,
    render_zpl,
    sign_link,
)
from traceability._errors import TraceError
from traceability.cli._common import (
    DEFAULT_KEYS,
    Db,
    Gtin,
    Keys,
    Signer,
    errors,
    now_text,
    open_recorder,
    out,
    resolve_lot,
    signing_key,
)
from traceability.cli._query import lot_app
from traceability.events._events import CertificateIssued, LabelRun
from traceability.projection._read import Projection

__all__ = ["certificate", "labels"]

Resolver = Annotated[
    str,
    typer.Option(envvar="AGRITRACE_RESOLVER", help="Resolver base URL the QR codes point to."),
]
LinkKey = Annotated[
    Path | None,
    typer.Option("--link-key", help="Private key (PEM or base64 seed) that signs the QR link."),
]
Out = Annotated[Path, typer.Option(help="Output file.")]


def _link(
    resolver: str, gtin: str, lot: str, key: Path | None, certificate: int | None = None
) -> DigitalLink:
    # A certificate's code names its entry (?cert=N): a scan checks the certificate itself.
    number = None if certificate is None else str(certificate)
    link = DigitalLink(resolver, gtin, lot=lot, certificate=number)
    return link if key is None else sign_link(link, load_private_key(key))


def _label_error(e: LabelError) -> TraceError:
    return TraceError(f"label: {e}")


@lot_app.command()
def certificate(
    lot: Annotated[str, typer.Argument(help="The lot code to certify.")],
    signer: Signer,
    contact: Annotated[str, typer.Option(help="The producer's telephone number.")],
    out_file: Annotated[Path, typer.Option("--out", help="Output PDF file.")],
    basis: Annotated[
        list[str] | None, typer.Option(help="Ground of the commitment (repeatable).")
    ] = None,
    gtin: Gtin = None,
    resolver: Resolver = "https://id.example.coop",
    link_key: LinkKey = None,
    db: Db = None,
    keys: Keys = DEFAULT_KEYS,
) -> None:
    """Issue the lot's 承诺达标合格证: record it (gated) on the ledger, then render the PDF."""
    with errors(), open_recorder(db, keys) as recorder:
        projection = Projection(recorder.ledger)
        gtin, code = resolve_lot(projection, lot, gtin)
        summary = projection.summary(gtin, code)
        if summary is None:  # pragma: no cover - resolve_lot found it
            raise TraceError(f"lot: no lot {code!r}")
        event = CertificateIssued.from_body(
            {
                "lot": {"gtin": gtin, "lot": code},
                "basis": basis or ["自我承诺"],
                "quantity": summary.quantity,
                "time": now_text(),
            }
        )
        receipt = recorder.record(event, signing_key(keys, signer))
        coop = projection.cooperative()
        farm = summary.origins[0] if summary.origins else None
        try:
            cert = Certificate(
                coop.name("zh") if coop is not None else recorder.ledger.origin,
                contact,
                summary.product,
                summary.quantity,
                f"{farm.county} {farm.village}" if farm else "-",
                dt.date.today(),
                _link(resolver, gtin, code, link_key, receipt.seq),
                tuple(event.basis),
                harvested=_day(summary.harvested),
                best_before=_day(summary.best_before),
            )
            out_file.write_bytes(render_certificate(cert, FontSet.find()))
        except LabelError as e:
            raise _label_error(e) from e
    out.print(f"certificate recorded at entry {receipt.seq} -> {out_file}", highlight=False)


@lot_app.command()
def labels(
    lot: Annotated[str, typer.Argument(help="The lot code to label.")],
    signer: Signer,
    out_file: Annotated[Path, typer.Option("--out", help="Output file (PDF or ZPL).")],
    count: Annotated[int, typer.Option(help="How many labels.", min=1, max=100_000)] = 24,
    fmt: Annotated[str, typer.Option("--format", help="pdf or zpl.")] = "pdf",
    layout: Annotated[str, typer.Option(help="Label size, e.g. a4-3x8 or 50x30@203.")] = "a4-3x8",
    gtin: Gtin = None,
    resolver: Resolver = "https://id.example.coop",
    link_key: LinkKey = None,
    db: Db = None,
    keys: Keys = DEFAULT_KEYS,
) -> None:
    """Print a run of sale labels: record it (gated) on the ledger, then render them."""
    with errors(), open_recorder(db, keys) as recorder:
        if fmt not in {"pdf", "zpl"}:
            raise TraceError(f"format: expected pdf or zpl, got {fmt!r}")
        projection = Projection(recorder.ledger)
        gtin, code = resolve_lot(projection, lot, gtin)
        summary = projection.summary(gtin, code)
        if summary is None:  # pragma: no cover - resolve_lot found it
            raise TraceError(f"lot: no lot {code!r}")
        event = LabelRun.from_body(
            {"lot": {"gtin": gtin, "lot": code}, "count": count, "time": now_text()}
        )
        receipt = recorder.record(event, signing_key(keys, signer))
        coop = projection.cooperative()
        farm = summary.origins[0] if summary.origins else None
        packed = summary.packed or summary.harvested
        try:
            data = LabelData(
                summary.product,
                summary.grade or "-",
                dt.date.fromisoformat(packed[:10]) if packed else dt.date.today(),
                coop.name("zh") if coop is not None else recorder.ledger.origin,
                f"{farm.county} {farm.village}" if farm else "-",
                harvested=_day(summary.harvested),
                best_before=_day(summary.best_before),
            )
            links = [_link(resolver, gtin, code, link_key)] * count
            chosen = Layout.named(layout)
            if fmt == "pdf":
                out_file.write_bytes(render_pdf(data, links, chosen, FontSet.find()))
            else:
                out_file.write_text(render_zpl(data, links, chosen, FontSet.find()), "utf-8")
        except LabelError as e:
            raise _label_error(e) from e
    out.print(f"{count} label(s) recorded at entry {receipt.seq} -> {out_file}", highlight=False)


def _day(text: str | None) -> dt.date | None:
    # The summary's ISO dates (harvest, best-before) as dates for the label and certificate.
    return None if text is None else dt.date.fromisoformat(text[:10])
