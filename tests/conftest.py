"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis's per-example deadline measures the machine, not the code: on a loaded 2-core CI
# box a 200 ms deadline fails correct properties. Speed is the benchmarks' business.
settings.register_profile("agritrace", deadline=None)
settings.load_profile("agritrace")

REPO = Path(__file__).resolve().parents[1]
# Third-party vectors and standards data, copied from the project's shared/ folder with their
# sources and licences (tests/vectors/README.md), so that a clone alone passes its tests.
VECTORS = REPO / "tests" / "vectors"
SHARED = VECTORS


@pytest.fixture(scope="session")
def conformance() -> Path:
    """The third-party conformance vectors kept in the repository (tests/vectors/conformance)."""
    path = SHARED / "conformance"
    if not path.is_dir():
        pytest.fail(f"conformance vectors not found at {path}: the repository lost tests/vectors")
    return path
