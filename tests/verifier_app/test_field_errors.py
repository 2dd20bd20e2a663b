"""Every field error the domain or a form raises is said in zh, ug and en, with what to type.

The ``expected`` texts are collected from the code itself (every ``ValidationError(...)`` /
``UnknownError(...)`` under ``traceability/`` that a staff form's event can reach, and every
``FormError(...)`` of the forms), so a new one without a sentence fails here.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.verifier_app.staff_world import STRAWBERRY, StaffWorld, staff_client, staff_world
from traceability import ValidationError
from verifier_app._i18n import LANGUAGES
from verifier_app.staff._field_error_wording import FIELD_ERROR_WORDING
from verifier_app.staff._field_errors import KINDS, field_error_text, kind_of
from verifier_app.staff._forms import local_now

__all__ = ["staff_client", "staff_world"]  # fixtures used by name

ROOT = Path(__file__).resolve().parents[2]
#: Not reached from a staff form: the command line's import/record and the exports say
#: their errors on the command line or in the API's English ``detail``; the lot-status map
#: is appended by the checkpoint's signer, never by a form.
#: Sampling plans, lab enrolments and samples have no staff form (NO_FORM): labs sign their
#: own, the admin and the regulator use the API or the command line (docs/adr/0020).
NOT_FORMS = (
    "traceability/cli/",
    "traceability/exports/",
    "traceability/projection/_status_map",
    "traceability/events/_sampling",
    "traceability/projection/_sampling",
)
HTML = {"Accept": "text/html"}


def _expected_texts() -> dict[str, str]:
    """An example ``expected`` per raise site (``{}`` parts filled in) -> where it is."""
    found: dict[str, str] = {}
    files = sorted((ROOT / "traceability").rglob("*.py"))
    files.append(ROOT / "verifier_app" / "staff" / "_forms.py")
    for path in files:
        where = str(path.relative_to(ROOT))
        if where.startswith(NOT_FORMS):
            continue
        for call in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id in ("ValidationError", "UnknownError", "FormError")
                and len(call.args) >= 2
            ):
                continue
            arg = call.args[1]
            if isinstance(arg, ast.Constant):
                text = str(arg.value)
            elif isinstance(arg, ast.JoinedStr):
                text = "".join(
                    str(v.value) if isinstance(v, ast.Constant) else "X1" for v in arg.values
                )
            else:
                continue  # passes on an expected raised elsewhere (collected there)
            found[text] = f"{where}:{call.lineno}"
    return found


EXPECTED = _expected_texts()


def test_the_collection_finds_the_domain_and_form_errors() -> None:
    assert "1-20 characters of GS1 character set 82" in EXPECTED
    assert "a lot from the list" in EXPECTED
    assert len(EXPECTED) > 30


@pytest.mark.parametrize("expected", sorted(EXPECTED))
def test_every_expected_a_form_can_meet_has_a_kind(expected: str) -> None:
    assert kind_of(expected, "x") is not None, f"{EXPECTED[expected]}: no kind for {expected!r}"


@pytest.mark.parametrize("kind", KINDS, ids=[k.key for k in KINDS])
def test_every_kind_is_worded_in_zh_ug_and_en_with_only_its_values(kind: object) -> None:
    assert set(FIELD_ERROR_WORDING) == set(LANGUAGES)
    key = kind.key  # type: ignore[attr-defined]
    allowed = set(kind.pattern.groupindex) | {"got"}  # type: ignore[attr-defined]
    for language in LANGUAGES:
        sentence = FIELD_ERROR_WORDING[language].get(key)
        assert sentence, f"no {language} sentence for {key}"
        names = {n for _, n, _, _ in string.Formatter().parse(sentence) if n is not None}
        assert names <= allowed, f"{language} {key} names {names - allowed}"


def test_no_sentence_is_left_without_a_kind() -> None:
    keys = {k.key for k in KINDS}
    for language in LANGUAGES:
        assert set(FIELD_ERROR_WORDING[language]) == keys, language


def test_a_new_expected_without_a_kind_is_shown_in_english() -> None:
    error = ValidationError("quantity", "a brand new rule", 7)
    assert field_error_text(error, "zh") == "quantity: expected a brand new rule, got 7"


def test_values_are_escaped_and_isolated() -> None:
    error = ValidationError("note", "at most 200 characters", "<script>")
    said = field_error_text(error, "ug")
    assert "<bdi>200</bdi>" in said
    error = ValidationError("value", "a value of at least <b>1</b>", "0")
    assert "<b>" not in field_error_text(error, "en")


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("zh", "批次号不能包含空格 — 例如 SB26-H01"),
        ("ug", "تۈركۈم نومۇرىدا بوشلۇق بولسا بولمايدۇ — مەسىلەن <bdi>SB26-H01</bdi>"),
        ("en", "A lot code cannot contain a space — use e.g. SB26-H01"),
    ],
)
def test_a_lot_code_with_a_space_is_refused_in_the_pages_language_saying_what_to_type(
    staff_client: TestClient, staff_world: StaffWorld, language: str, said: str
) -> None:
    csrf = staff_world.sign_in(staff_client, "packing_station")
    values = {
        "product": STRAWBERRY,
        "lot_code": "H 7",
        "plot": "YK-P1",
        "variety": "Hongyan",
        "quantity": "80",
        "time": local_now(),
    }
    response = staff_client.post(
        f"/staff/record/harvest?lang={language}", data={"csrf": csrf} | values, headers=HTML
    )
    assert response.status_code == 422
    assert said in response.text
    assert "GS1 character set" not in response.text


def test_a_form_error_of_the_form_itself_is_worded_too(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    csrf = staff_world.sign_in(staff_client, "packing_station")
    values = {"lot": "not-a-lot", "site": "PS1", "celsius": "5", "time": "yesterday"}
    response = staff_client.post(
        "/staff/record/cooling?lang=zh", data={"csrf": csrf} | values, headers=HTML
    )
    assert response.status_code == 422
    assert "请填写日期和时间 — 例如 2026-06-01 08:30" in response.text
    assert "expected" not in response.text
