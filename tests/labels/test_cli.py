"""``agritrace label``: make signed labels, verify them offline, refuse bad input cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agritrace.cli import app
from tests.labels.conftest import RESOLVER, decode_all, page_count, pdf_pages

runner = CliRunner()
TEXT = [
    "--product",
    "草莓",
    "--grade",
    "一级",
    "--cooperative",
    "喀什果农合作社",
    "--origin",
    "قەشقەر",
    "--pack-date",
    "2026-05-20",
]


@pytest.fixture
def public_key(tmp_path: Path) -> str:
    result = runner.invoke(app, ["label", "keygen", "--out", str(tmp_path / "coop.pem")])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_make_serialised_pdf_then_verify_genuine_and_forged(
    tmp_path: Path, public_key: str
) -> None:
    out = tmp_path / "labels.pdf"
    args = [
        "label",
        "make",
        "--gtin",
        "6912345678902",
        "--lot",
        "KS-1",
        "--count",
        "3",
        "--key",
        str(tmp_path / "coop.pem"),
        "--resolver",
        RESOLVER,
        "--out",
        str(out),
    ]
    result = runner.invoke(app, args + TEXT)
    assert result.exit_code == 0, result.output
    assert page_count(out.read_bytes()) == 3
    (uri,) = decode_all(pdf_pages(out.read_bytes(), 203, [1])[0])
    assert "/21/000002?s=" in uri
    genuine = runner.invoke(app, ["label", "verify", uri, "--public-key", public_key])
    assert genuine.exit_code == 0
    assert "genuine: (01)06912345678902(10)KS-1(21)000002" in genuine.output
    forged = runner.invoke(
        app, ["label", "verify", uri.replace("000002", "000009"), "--public-key", public_key]
    )
    assert forged.exit_code == 1
    assert "NOT GENUINE" in forged.output


def test_verify_reads_a_png_label(tmp_path: Path, public_key: str) -> None:
    csv_file = tmp_path / "serials.csv"
    csv_file.write_text("serial,lot\nA1,KS-2\n", encoding="utf-8")
    out = tmp_path / "one.png"
    args = [
        "label",
        "make",
        "--gtin",
        "6912345678902",
        "--csv",
        str(csv_file),
        "--format",
        "png",
        "--key",
        str(tmp_path / "coop.pem"),
        "--out",
        str(out),
    ]
    assert runner.invoke(app, args + TEXT).exit_code == 0
    result = runner.invoke(app, ["label", "verify", str(out), "--public-key", public_key])
    assert result.exit_code == 0, result.output
    assert "(10)KS-2(21)A1" in result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--gtin", "6912345678903", "--lot", "A"], "expected check digit 2, got 3"),
        (["--gtin", "6912345678902", "--lot", "L" * 21], "lot: expected at most 20"),
        (["--gtin", "6912345678902", "--lot", "批号"], "got '批' at position 1"),
        (["--gtin", "6912345678902", "--lot", "A", "--layout", "a5"], "layout: expected one of"),
        (["--gtin", "6912345678902", "--lot", "A", "--font-cjk", "/none.ttf"], "font file"),
        (["--gtin", "6912345678902", "--lot", "A", "--format", "svg"], "format: expected"),
    ],
)
def test_bad_input_is_a_clear_error_without_traceback(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    result = runner.invoke(app, ["label", "make", "--out", str(tmp_path / "x.pdf"), *extra, *TEXT])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_every_label_command_has_help() -> None:
    for command in ["make", "certificate", "verify", "keygen"]:
        result = runner.invoke(app, ["label", command, "--help"])
        assert result.exit_code == 0
        assert len(result.output) > 200


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_a_serials_file_saved_by_excel_on_chinese_windows_is_read(
    tmp_path: Path, encoding: str
) -> None:
    # Excel's "CSV" on Chinese Windows is GBK; a Chinese remarks column was a traceback.
    csv_file = tmp_path / "serials.csv"
    csv_file.write_text("serial,lot,备注\nA1,KS-2,草莓\nA2,KS-2,复检\n", encoding=encoding)
    out = tmp_path / "two.pdf"
    args = ["label", "make", "--gtin", "6912345678902", "--csv", str(csv_file),
            "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args + TEXT)
    assert result.exit_code == 0, result.output
    assert page_count(out.read_bytes()) == 2


def test_a_serials_file_in_no_known_encoding_is_one_clear_error(tmp_path: Path) -> None:
    csv_file = tmp_path / "serials.csv"
    csv_file.write_bytes("serial\nA1\n".encode("utf-16"))
    args = ["label", "make", "--gtin", "6912345678902", "--csv", str(csv_file),
            "--out", str(tmp_path / "x.pdf")]  # fmt: skip
    result = runner.invoke(app, args + TEXT)
    assert result.exit_code != 0
    assert "expected UTF-8, UTF-8 with BOM, GBK or GB18030" in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, UnicodeDecodeError)
