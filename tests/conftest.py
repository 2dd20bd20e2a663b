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
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def conformance() -> Path:
    """The third-party conformance vectors beside the project."""
    path = SHARED / "conformance"
    if not path.is_dir():
        pytest.fail(f"conformance vectors not found at {path}: clone the project beside shared/")
    return path
