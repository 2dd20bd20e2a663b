"""Shared paths for the label tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).parents[2]
SHARED = REPO_ROOT.parent / "shared"
CONFORMANCE = SHARED / "conformance" / "gs1"


def load_json(relative: str) -> Any:
    """Read a conformance file under ``shared/conformance/gs1``."""
    return json.loads((CONFORMANCE / relative).read_text(encoding="utf-8"))
