"""Label throughput: labels per second into a PDF of 10,000 serialised labels.

Prints, from one run on this machine: the PDF rate (A4 sheets and a thermal roll), the QR
encoder alone, the plain ``qrcode`` default path (version search, all eight masks, PIL
image) as the baseline, and zxing-cpp's C++ QR encoder as the machine's limit for making a
code. Run: ``.venv/bin/python -m bench.labels [COUNT] [--against REV [--rounds N]]``.

``--against REV`` (e.g. ``main``) also times the A4 PDF path of the tree at git revision REV
in the same run: REV's files are exported to a temporary folder and a subprocess renders the
same labels with them, alternating with this tree (``--rounds N`` times, default 5), so both
see the same load. Times are process CPU time, which a loaded machine inflates less than wall
time; the median of each side, its spread, and the ratio of the medians are printed.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import qrcode
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from labels import DigitalLink, FontSet, LabelData, Layout, render_pdf, sign_link
from labels._qr import ERROR_CORRECTION, QREncoder

RESOLVER = "https://id.example.coop"


def rate(count: int, run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return count / (time.perf_counter() - start)


# Renders COUNT signed labels into a4-3x8 sheets with whatever ``labels`` is first on the path
# and prints labels per CPU second; only public names, so it runs against older trees too.
_PDF_RATE = """
import datetime as dt, sys, time
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from labels import DigitalLink, FontSet, LabelData, Layout, render_pdf, sign_link
count = int(sys.argv[1])
key = Ed25519PrivateKey.from_private_bytes(bytes(32))
fonts = FontSet.find()
data = LabelData("草莓 قۇلۇپناي", "一级 Grade I", dt.date(2026, 5, 20), "喀什果农合作社",
                 "新疆喀什 قەشقەر")
links = [sign_link(DigitalLink("https://id.example.coop", "6912345678902", "KS-2026-STR-0001",
         f"{i:06d}"), key) for i in range(1, count + 1)]
render_pdf(data, links[:30], Layout.named("a4-3x8"), fonts)
start = time.process_time()
pdf = render_pdf(data, links, Layout.named("a4-3x8"), fonts)
print(count / (time.process_time() - start), len(pdf))
"""


def pdf_rate(root: Path, count: int) -> tuple[float, int]:
    """Labels per CPU second and file size for the ``labels`` package under ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", _PDF_RATE, str(count)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), int(out[1])


def compare(rev: str, count: int, rounds: int = 5) -> None:
    """Time this tree's A4 PDF path against revision ``rev``'s, alternating, same run."""
    here = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", str(here), "archive", rev, "labels"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        runs: dict[str, list[tuple[float, int]]] = {rev: [], "this tree": []}
        for _ in range(rounds):
            runs[rev].append(pdf_rate(Path(tmp), count))
            runs["this tree"].append(pdf_rate(here, count))
    median = {name: statistics.median(r for r, _ in results) for name, results in runs.items()}
    for name, results in runs.items():
        rates = sorted(r for r, _ in results)
        size = results[0][1] / count
        print(
            f"  PDF a4-3x8, {name:<10} median {median[name]:6.0f} labels/CPU-s "
            f"(runs {rates[0]:.0f}..{rates[-1]:.0f}), {size:.0f} B/label"
        )
    pairs = zip(runs["this tree"], runs[rev], strict=True)
    ratios = sorted(new / old for (new, _), (old, _) in pairs)
    print(
        f"  this tree / {rev} = {median['this tree'] / median[rev]:.2f} (medians; per round "
        f"{', '.join(f'{r:.2f}' for r in ratios)}; load {os.getloadavg()[0]:.1f})"
    )


def _append_pdf(
    out: list[bytes], data: LabelData, links: list[DigitalLink], layout: Layout, fonts: FontSet
) -> None:
    out.append(render_pdf(data, links, layout, fonts))


def main() -> None:
    args = sys.argv[1:]
    against = None
    rounds = 5
    if "--rounds" in args:
        at = args.index("--rounds")
        rounds = int(args[at + 1])
        del args[at : at + 2]
    if "--against" in args:
        at = args.index("--against")
        against = args[at + 1]
        del args[at : at + 2]
    count = int(args[0]) if args else 10_000
    key = Ed25519PrivateKey.generate()
    fonts = FontSet.find()
    data = LabelData(
        "草莓 قۇلۇپناي", "一级 Grade I", dt.date(2026, 5, 20), "喀什果农合作社", "新疆喀什 قەشقەر"
    )
    plain = [
        DigitalLink(RESOLVER, "6912345678902", "KS-2026-STR-0001", f"{i:06d}")
        for i in range(1, count + 1)
    ]
    signed: list[DigitalLink] = []
    sign_rate = rate(count, lambda: signed.extend(sign_link(link, key) for link in plain))
    uris = [link.uri for link in signed]
    sample = uris[: max(1, count // 20)]

    print(
        f"labels: {count} serialised, signed URIs of {len(uris[0])} characters, "
        f"QR level Q, {os.cpu_count()} cores (load {os.getloadavg()[0]:.1f}), "
        f"Python {sys.version.split()[0]}"
    )
    # Warm-up: font files parsed, glyph outlines and encoder tables built once per process.
    render_pdf(data, signed[:30], Layout.named("a4-3x8"), fonts)
    results: dict[str, float] = {}
    for name in ("a4-3x8", "50x30@300"):
        out: list[bytes] = []
        layout = Layout.named(name)
        results[name] = rate(
            count, functools.partial(_append_pdf, out, data, signed, layout, fonts)
        )
        print(
            f"  PDF {name:<10} {results[name]:8.0f} labels/s   "
            f"{len(out[0]) / 1e6:5.1f} MB, {len(out[0]) / count:5.0f} B/label"
        )
    both = rate(
        count,
        lambda: render_pdf(data, [sign_link(x, key) for x in plain], Layout.named("a4-3x8"), fonts),
    )
    print(f"  sign + PDF a4-3x8 {both:8.0f} labels/s   (Ed25519 signing alone {sign_rate:.0f}/s)")
    encoder = QREncoder()
    ours = rate(count, lambda: [encoder.encode(u) for u in uris])
    print(f"  QR matrix, this package's encoder   {ours:8.0f} codes/s")

    def qrcode_default(uris: list[str]) -> None:
        for uri in uris:
            qr = qrcode.QRCode(error_correction=ERROR_CORRECTION)
            qr.add_data(uri)
            qr.make(fit=True)
            qr.make_image()

    baseline = rate(len(sample), functools.partial(qrcode_default, sample))
    print(f"  QR image, plain qrcode default path {baseline:8.0f} codes/s   (baseline)")
    short = [link.uri for link in plain[: len(sample)]]
    short_rate = rate(len(short), functools.partial(qrcode_default, short))
    print(f"    same, unsigned {len(short[0])}-character URIs  {short_rate:8.0f} codes/s")

    def zxing() -> None:
        for uri in uris:
            zxingcpp.create_barcode(uri, zxingcpp.BarcodeFormat.QRCode, ec_level="Q").to_image()

    limit = rate(count, zxing)
    print(f"  QR image, zxing-cpp C++ encoder     {limit:8.0f} codes/s   (independent C++ encoder)")
    best = results["a4-3x8"]
    print(
        f"ratios: PDF a4-3x8 = {best / baseline:.1f} x the qrcode default path, "
        f"{best / limit:.2f} x zxing-cpp's encoder; target >= 1000 labels/s: "
        f"{'met' if best >= 1000 else 'NOT met'}"
    )
    if against:
        compare(against, count, rounds)


if __name__ == "__main__":
    main()
