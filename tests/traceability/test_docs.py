"""docs/traceability.md's state table is the code's table."""

from __future__ import annotations

from tests.conftest import REPO
from traceability import TABLE, Action


def test_documented_state_table_matches_the_code() -> None:
    text = (REPO / "docs" / "traceability.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in {a.value for a in Action}:
            rows[Action(cells[0])] = cells
    assert set(rows) == set(Action)
    for action, (_, rule, allowed, leads_to) in rows.items():
        row = TABLE[action]
        assert rule == row.rule
        assert allowed == ", ".join(sorted(row.allowed))
        assert leads_to.split(" ")[0] == (row.to.value if row.to else "(unchanged)")
