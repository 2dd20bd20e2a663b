"""Every rule the domain can refuse under is registered, carries its parameters, and is worded.

The rule names are collected from the code itself (every ``LifecycleError(...)`` in
``traceability/``, the lifecycle table's rows), so a new refusal without a registry entry,
or without a sentence in each staff language, fails here.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from traceability import TABLE, LifecycleError
from traceability.rules._refusals import REFUSALS, rule_name
from verifier_app._i18n import Language
from verifier_app.staff._refusals import refusal_text
from verifier_app.staff._wording import REFUSAL_TERMS, REFUSAL_WORDING

ROOT = Path(__file__).resolve().parents[2] / "traceability"


def _text(node: ast.expr | None, assigned: dict[str, ast.expr]) -> list[str]:
    """The rule names (or cases) an argument can take: literals, f-strings' heads, names."""
    if node is None:
        return []
    if isinstance(node, ast.Constant):
        return [] if node.value is None else [str(node.value)]
    if isinstance(node, ast.JoinedStr):
        head = node.values[0]
        assert isinstance(head, ast.Constant), ast.unparse(node)
        return [str(head.value)]
    if isinstance(node, ast.IfExp):
        return _text(node.body, assigned) + _text(node.orelse, assigned)
    if isinstance(node, ast.Name) and node.id in assigned:
        return _text(assigned[node.id], assigned)
    if isinstance(node, ast.Attribute) and ast.unparse(node) == "row.rule":
        return [row.rule for row in TABLE.values()]  # the lifecycle table's rows
    raise AssertionError(f"cannot tell which rule {ast.unparse(node)!r} names")


def _raised() -> dict[str, set[str]]:
    """Wording key -> the parameter names each ``LifecycleError(...)`` site passes for it."""
    found: dict[str, set[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef):
                continue
            assigned = {
                t.id: n.value
                for n in ast.walk(func)
                if isinstance(n, ast.Assign)
                for t in n.targets
                if isinstance(t, ast.Name)
            }
            for call in ast.walk(func):
                if not (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Name)
                    and call.func.id == "LifecycleError"
                ):
                    continue
                where = f"{path.name}:{call.lineno}"
                assert len(call.args) >= 3, f"{where}: a refusal without params"
                params = call.args[2]
                if isinstance(params, ast.Name):
                    params = assigned[params.id]
                assert isinstance(params, ast.Dict), f"{where}: params must be a literal dict"
                names = {str(k.value) for k in params.keys if isinstance(k, ast.Constant)}
                case = next((k.value for k in call.keywords if k.arg == "case"), None)
                cases = _text(case, assigned) or [""]
                if case is not None and isinstance(case, ast.IfExp):
                    cases += [""] if None in _consts(case) else []
                for rule in _text(call.args[0], assigned):
                    for c in cases:
                        key = rule_name(rule) + (f"/{c}" if c else "")
                        found.setdefault(key, set()).update(names)
    return found


def _consts(node: ast.IfExp) -> list[object]:
    return [n.value for n in (node.body, node.orelse) if isinstance(n, ast.Constant)]


RAISED = _raised()


def test_every_rule_the_domain_raises_is_registered_and_none_is_stale() -> None:
    assert set(RAISED) == set(REFUSALS)


@pytest.mark.parametrize("key", sorted(RAISED))
def test_each_refusal_carries_the_registered_parameters(key: str) -> None:
    assert RAISED[key] == set(REFUSALS[key]), key


@pytest.mark.parametrize("language", ["zh", "ug", "en"])
def test_every_registered_rule_has_a_sentence_in_every_language(language: Language) -> None:
    wording = REFUSAL_WORDING[language]
    assert set(wording) == set(REFUSALS), language
    for key, sentence in wording.items():
        used = {name for _, name, _, _ in string.Formatter().parse(sentence) if name}
        assert used <= set(REFUSALS[key]), (language, key, used - set(REFUSALS[key]))
        assert "{" not in sentence.format(**dict.fromkeys(used, "x"))


def test_refusal_wording_is_its_own_table() -> None:
    # Rule names never collide with the page wording's keys (a separate table per audience).
    from verifier_app.staff._wording import STAFF_WORDING

    for language, words in REFUSAL_WORDING.items():
        assert not set(words) & set(STAFF_WORDING[language])
        assert set(REFUSAL_TERMS[language]) == {"action", "status", "who", "stage", "hold_rule"}


def test_a_refusal_is_said_with_its_parameters_isolated_and_translated() -> None:
    error = LifecycleError(
        "release-requires-passed-tests",
        "cannot release lot (01)06912345678902(10)J1: input SB26-H07 (98.0% of the mass) ...",
        {
            "action": "release",
            "lot": "J1",
            "input": "SB26-H07",
            "share": "98%",
            "missing": "chlorpyrifos",
            "more": 0,
        },
    )
    zh = str(refusal_text(error, "zh"))
    assert zh.startswith(
        "不能放行：原料批次 <bdi>SB26-H07</bdi>（占 <bdi>98%</bdi>）没有农残检测合格记录"
    )
    assert '<code class="rule">release-requires-passed-tests</code>' in zh
    ug = str(refusal_text(error, "ug"))
    assert ug.startswith("قويۇپ بېرىش مۇمكىن ئەمەس: خام ئەشيا تۈركۈمى <bdi>SB26-H07</bdi>")
    assert str(refusal_text(error, "en")).startswith(
        "cannot release: input lot <bdi>SB26-H07</bdi> (<bdi>98%</bdi> of the mass)"
    )
    # The English message (CLI, API detail) is unchanged.
    assert str(error).startswith("release-requires-passed-tests: cannot release lot (01)")


def test_script_in_a_parameter_is_inert() -> None:
    error = LifecycleError("lot-codes-unique", "lot exists", {"lot": "<script>alert(1)</script>"})
    said = str(refusal_text(error, "en"))
    assert "<script>" not in said
    assert re.search(r"<bdi>&lt;script&gt;", said)


def test_a_hold_refusal_names_the_hold_in_words_and_its_entry() -> None:
    from traceability.rules._holds import HOLD_RULES

    for language in ("zh", "ug", "en"):
        assert set(REFUSAL_TERMS[language]["hold_rule"]) == set(HOLD_RULES), language
    error = LifecycleError(
        "hold-lift-authority",
        "lot ... is held under regulator-hold (entry 12); only regulator may lift it",
        {"lot": "H1", "hold_rule": "regulator-hold", "hold_entry": 12, "who": "regulator"},
    )
    said = str(refusal_text(error, "zh"))
    assert said.startswith(
        "不能解除：批次 <bdi>H1</bdi> 按「监管部门暂停」被暂停"
        "（账本第 <bdi>12</bdi> 条），只有监管部门可以解除"
    )
