"""``agritrace label``: make label sheets and certificates, verify labels offline.

Pure rendering: these commands do not read the ledger and check nothing about the lot
(``labels`` imports nothing of ``traceability``). To print labels or a 承诺达标合格证 for
sale, use ``agritrace lot labels`` / ``agritrace lot certificate``: they record the run on
the ledger through the sale gate (released lots whose every input passed) and then call
these renderers.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from labels._certificate import COMMITMENT_BASES, Certificate, render_certificate
from labels._digital_link import DigitalLink, parse_digital_link
from labels._errors import LabelError, LayoutError
from labels._fonts import FontSet
from labels._layout import LAYOUTS, LabelData, Layout
from labels._pdf import render_pdf
from labels._png import render_png
from labels._signature import load_private_key, load_public_key, sign_link, verify_link
from labels._zpl import render_zpl

__all__ = ["app"]

app = typer.Typer(
    help="GS1 Digital Link labels: make PDF/PNG/ZPL labels and certificates, verify labels.",
    no_args_is_help=True,
    add_completion=False,
)

T = TypeVar("T")

Resolver = Annotated[
    str,
    typer.Option(envvar="AGRITRACE_RESOLVER", help="Resolver base URL the QR codes point to."),
]
FontCJK = Annotated[Path | None, typer.Option(help="CJK/Latin font file (default: installed).")]
FontArabic = Annotated[
    Path | None, typer.Option(help="Uyghur (Arabic-script) font file (default: installed).")
]
KeyOption = Annotated[
    Path | None,
    typer.Option("--key", help="Cooperative's Ed25519 private key (PEM or base64 seed) to sign."),
]


def _run(action: Callable[[], T]) -> T:
    # Bad input is a one-line message and exit status 2, never a traceback.
    try:
        return action()
    except LabelError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    except OSError as e:
        typer.echo(f"error: {e.filename or ''}: {e.strerror}", err=True)
        raise typer.Exit(2) from None


@app.command()
def make(
    gtin: Annotated[str, typer.Option(help="GTIN-8/12/13/14 of the product.")],
    out: Annotated[Path, typer.Option(help="Output file (a folder for several PNGs).")],
    product: Annotated[str, typer.Option(help="Product name (Chinese, Uyghur or Latin).")],
    grade: Annotated[str, typer.Option(help="Grade, e.g. '一级 Grade I'.")],
    cooperative: Annotated[str, typer.Option(help="Cooperative's name.")],
    grown_in: Annotated[str, typer.Option("--origin", help="Place of origin.")],
    lot: Annotated[str | None, typer.Option(help="Lot code (AI 10) for every label.")] = None,
    pack_date: Annotated[str, typer.Option(help="Packing date YYYY-MM-DD (default: today).")] = "",
    count: Annotated[int, typer.Option(help="Serialised labels 1..COUNT (0: one per lot).")] = 0,
    csv_file: Annotated[
        Path | None,
        typer.Option("--csv", help="CSV with a 'serial' column and optional 'lot' column."),
    ] = None,
    layout: Annotated[
        str, typer.Option(help=f"Label size: {', '.join(LAYOUTS)}, WxH@DPI or a4-CxR.")
    ] = "50x30@300",
    fmt: Annotated[str, typer.Option("--format", help="pdf, png or zpl.")] = "pdf",
    resolver: Resolver = "https://id.example.coop",
    key: KeyOption = None,
    font_cjk: FontCJK = None,
    font_arabic: FontArabic = None,
    allow_small_modules: Annotated[
        bool,
        typer.Option(
            help="Accept QR modules under GS1's 0.396 mm retail point-of-sale minimum "
            "(down to 0.3 mm), for labels not scanned at a till."
        ),
    ] = False,
) -> None:
    """Render labels (no ledger check: for sale use `agritrace lot labels`)."""

    def action() -> None:
        chosen = Layout.named(layout)
        if allow_small_modules:
            chosen = dataclasses.replace(chosen, allow_small_modules=True)
        fonts = FontSet.find(font_cjk, font_arabic)
        data = LabelData(product, grade, _date(pack_date), cooperative, grown_in)
        links = _links(resolver, gtin, lot, count, csv_file)
        if key is not None:
            private = load_private_key(key)
            links = [sign_link(link, private) for link in links]
        if fmt == "pdf":
            out.write_bytes(render_pdf(data, links, chosen, fonts))
        elif fmt == "zpl":
            out.write_text(render_zpl(data, links, chosen, fonts), encoding="utf-8")
        elif fmt == "png":
            if len(links) == 1:
                out.write_bytes(render_png(data, links[0], chosen, fonts))
            else:
                out.mkdir(parents=True, exist_ok=True)
                for link in links:
                    name = f"{link.lot or 'nolot'}-{link.serial or 'x'}.png".replace("/", "_")
                    (out / name).write_bytes(render_png(data, link, chosen, fonts))
        else:
            raise LayoutError(f"format: expected pdf, png or zpl, got {fmt!r}")
        typer.echo(f"{len(links)} label(s) -> {out}")

    _run(action)


@app.command()
def certificate(
    gtin: Annotated[str, typer.Option(help="GTIN of the product.")],
    lot: Annotated[str, typer.Option(help="Lot code of the batch.")],
    producer: Annotated[str, typer.Option(help="Producer (cooperative or farm).")],
    contact: Annotated[str, typer.Option(help="Producer's telephone number.")],
    product: Annotated[str, typer.Option(help="Product name.")],
    quantity: Annotated[str, typer.Option(help="Quantity or weight, e.g. '500 kg'.")],
    grown_in: Annotated[str, typer.Option("--origin", help="Place of origin.")],
    out: Annotated[Path, typer.Option(help="Output PDF file.")],
    basis: Annotated[
        list[str] | None,
        typer.Option(help=f"Ground of the commitment (repeatable): {', '.join(COMMITMENT_BASES)}."),
    ] = None,
    issued: Annotated[str, typer.Option(help="Date of issue YYYY-MM-DD (default: today).")] = "",
    resolver: Resolver = "https://id.example.coop",
    key: KeyOption = None,
    font_cjk: FontCJK = None,
    font_arabic: FontArabic = None,
) -> None:
    """Render a 承诺达标合格证 PDF (no ledger check: to issue, use `agritrace lot certificate`)."""

    def action() -> None:
        link = DigitalLink(resolver, gtin, lot=lot)
        if key is not None:
            link = sign_link(link, load_private_key(key))
        cert = Certificate(
            producer,
            contact,
            product,
            quantity,
            grown_in,
            _date(issued),
            link,
            tuple(basis or ["自我承诺"]),
        )
        out.write_bytes(render_certificate(cert, FontSet.find(font_cjk, font_arabic)))
        typer.echo(f"certificate -> {out}")

    _run(action)


@app.command()
def verify(
    label: Annotated[str, typer.Argument(help="A label image (PNG/JPEG) or the URI it carries.")],
    public_key: Annotated[
        str,
        typer.Option(help="Cooperative's Ed25519 public key: a PEM file, or raw key in base64."),
    ],
) -> None:
    """Tell a genuine label from a forged one, offline, with the cooperative's public key.

    Exit status 0: genuine; 1: the signature does not verify (possible counterfeit);
    2: unreadable input.
    """

    def action() -> DigitalLink:
        uri = label if "://" in label else _read_code(Path(label))
        key = load_public_key(Path(public_key) if Path(public_key).is_file() else public_key)
        link = parse_digital_link(uri)
        try:
            return verify_link(link, key)
        except LabelError as e:
            typer.echo(f"NOT GENUINE: {link.element_string}: {e}")
            raise typer.Exit(1) from None

    link = _run(action)
    typer.echo(f"genuine: {link.element_string}")


@app.command()
def keygen(
    out: Annotated[Path, typer.Option(help="Private key file to write (PEM, mode 0600).")],
) -> None:
    """Make a cooperative label-signing key; prints the public key (base64) to share."""

    def action() -> None:
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        out.touch(mode=0o600, exist_ok=False)
        out.write_bytes(pem)
        raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        typer.echo(base64.b64encode(raw).decode())

    _run(action)


def _date(text: str) -> dt.date:
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise LayoutError(f"date: expected YYYY-MM-DD, got {text!r}") from None


def _csv_text(path: Path) -> str:
    """The file's text: UTF-8 (a BOM dropped), else GBK/GB18030 as Excel on Chinese Windows saves.

    labels/ imports nothing of the domain, so this mirrors traceability's ``decode_csv``.
    """
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LayoutError(f"csv {path}: expected UTF-8, UTF-8 with BOM, GBK or GB18030 text")


def _links(
    resolver: str, gtin: str, lot: str | None, count: int, csv_file: Path | None
) -> list[DigitalLink]:
    if csv_file is not None:
        rows = list(csv.DictReader(io.StringIO(_csv_text(csv_file), newline="")))
        if not rows or "serial" not in rows[0]:
            raise LayoutError(f"csv {csv_file}: expected a header with a 'serial' column")
        return [DigitalLink(resolver, gtin, r.get("lot") or lot, r["serial"]) for r in rows]
    if count < 0:
        raise LayoutError(f"count: expected 0 or more, got {count}")
    if count == 0:
        if lot is None:
            raise LayoutError("lot: expected --lot, --count with --lot, or --csv")
        return [DigitalLink(resolver, gtin, lot)]
    width = max(6, len(str(count)))
    return [DigitalLink(resolver, gtin, lot, str(i).zfill(width)) for i in range(1, count + 1)]


def _read_code(path: Path) -> str:
    # Imported here: only reading an image needs the decoder, and the CLI starts faster.
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(path)
        image.load()
    except (OSError, UnidentifiedImageError) as e:
        raise LayoutError(f"label {path}: expected a PNG or JPEG image: {e}") from e
    codes = [c for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.QRCode]
    if len(codes) != 1:
        raise LayoutError(f"label {path}: expected one QR code, found {len(codes)}")
    return str(codes[0].text)
