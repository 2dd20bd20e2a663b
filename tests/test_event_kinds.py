"""Every event kind is complete: model, handler, EPCIS, FSMA, API route, form, wording, docs.

The kinds come from the domain's registry (``EVENT_TYPES``); each of the other places is
read from its own registry or code (the projection's handler tables, the classes the EPCIS
and FSMA exporters test for, the event API's routes, the staff forms), and the table in
docs/traceability.md states the rest ("not an EPCIS event", "not an FSMA CTE", "no form").
Adding a kind without any one of them fails here, naming the kind and what is missing.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from traceability import MrlTable, Profile
from traceability.events._events import EVENT_TYPES
from traceability.projection._complaints import COMPLAINT_HANDLERS
from traceability.projection._intake import INTAKE_HANDLERS
from traceability.projection._issue import ISSUE_HANDLERS
from traceability.projection._making import MAKING_HANDLERS
from traceability.projection._movement import MOVEMENT_HANDLERS, SIGNER_HANDLERS
from traceability.projection._sampling import KEY_HANDLERS, SAMPLING_HANDLERS
from traceability.projection._status_map import STATUS_MAP_HANDLERS
from verifier_app._i18n import MESSAGES
from verifier_app.staff._events_api import router as events_router
from verifier_app.staff._forms import FORMS, NO_FORM
from verifier_app.staff._wording import STAFF_WORDING

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "traceability.md"
KINDS = sorted(EVENT_TYPES)


def _short(kind: str) -> str:
    return kind.removeprefix("trace.")


def _docs_rows() -> dict[str, list[str]]:
    """The event-kind table of docs/traceability.md: kind -> its cells."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Event kinds", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`(trace\.[a-z_]+)`", cells[0]) if line.startswith("|") else None
        if match:
            rows[match.group(1)] = cells[1:]
    return rows


def _classes_tested(module: str) -> set[str]:
    """Names of the classes an exporter tests events against (``isinstance(e, A | B)``)."""
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance":
            names |= {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
    return names


DOC_ROWS = _docs_rows()
HANDLED = (
    set(MAKING_HANDLERS)
    | set(MOVEMENT_HANDLERS)
    | set(SIGNER_HANDLERS)
    | set(ISSUE_HANDLERS)
    | set(STATUS_MAP_HANDLERS)
    | set(COMPLAINT_HANDLERS)
    | set(KEY_HANDLERS)
    | set(SAMPLING_HANDLERS)
    | set(INTAKE_HANDLERS)
)
EPCIS = _classes_tested("traceability/exports/_epcis.py")
FSMA = _classes_tested("traceability/exports/_fsma.py")
ROUTES = {getattr(r, "path", "") for r in events_router.routes}


@pytest.mark.parametrize("kind", KINDS)
def test_every_event_kind_has_all_its_parts(kind: str) -> None:
    model, short = EVENT_TYPES[kind], _short(kind)
    row = DOC_ROWS.get(kind)
    assert row is not None, f"{kind}: no row in the event-kind table of {DOCS.name}"
    epcis, fsma, route, form = row
    assert model in HANDLED, f"{kind}: no projection handler for {model.__name__}"
    # Exported, or stated not to be: and the table must not contradict the exporter.
    assert (model.__name__ in EPCIS) != epcis.startswith("not an EPCIS event"), (
        f"{kind}: EPCIS export {'maps' if model.__name__ in EPCIS else 'lacks'} "
        f"{model.__name__}, the docs say {epcis!r}"
    )
    assert (model.__name__ in FSMA) != fsma.startswith("not an FSMA CTE"), (
        f"{kind}: FSMA export {'writes' if model.__name__ in FSMA else 'lacks'} "
        f"{model.__name__} rows, the docs say {fsma!r}"
    )
    assert f"/api/v1/events/{short}" in ROUTES, f"{kind}: no route /api/v1/events/{short}"
    assert route == f"`/api/v1/events/{short}`", f"{kind}: the docs name route {route!r}"
    assert (short in FORMS) != (short in NO_FORM), (
        f"{kind}: expected a staff form or a NO_FORM entry (exactly one)"
    )
    if short in FORMS:
        assert FORMS[short].model is model, f"{kind}: its form makes {FORMS[short].model}"
        assert form == f"`/staff/record/{short}`", f"{kind}: the docs say {form!r}"
        for language, staff_wording in STAFF_WORDING.items():
            # What a staff page looks words up in: the shared table with the staff one over it.
            wording = {**MESSAGES[language], **staff_wording}
            assert FORMS[short].title in wording, f"{kind}: no {language} form title"
            for field in FORMS[short].fields:
                assert field.label in wording, f"{kind}: no {language} label {field.label!r}"
    else:
        assert form.startswith("no form"), f"{kind}: NO_FORM lists it, the docs say {form!r}"


def test_no_part_names_an_unknown_kind() -> None:
    shorts = {_short(k) for k in KINDS}
    assert set(DOC_ROWS) <= set(EVENT_TYPES), "docs rows for unknown kinds"
    assert set(FORMS) | set(NO_FORM) <= shorts, "forms for unknown kinds"
    routes = {r.rsplit("/", 1)[1] for r in ROUTES}
    assert routes <= shorts, f"event routes for unknown kinds: {sorted(routes - shorts)}"
    # Rule tables are statements too, applied by the projection, but no events: no route,
    # form or export.
    extra = HANDLED - set(EVENT_TYPES.values())
    assert extra == {Profile, MrlTable}, f"handlers for models that are no event kind: {extra}"
