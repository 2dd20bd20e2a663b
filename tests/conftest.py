"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def conformance() -> Path:
    """The third-party conformance vectors beside the project."""
    path = SHARED / "conformance"
    if not path.is_dir():
        pytest.fail(f"conformance vectors not found at {path}: clone the project beside shared/")
    return path
