"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# ../shared relative to the repository root (this file is tests/conftest.py).
EXTERNAL = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "external"


@pytest.fixture(scope="session")
def external_fixtures() -> Path:
    """The read-only external reference files (../shared/fixtures/external).

    Skipped on a developer machine without them; a failure in CI (CI is set), where they must
    be present.
    """
    if not EXTERNAL.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"external fixtures not found at {EXTERNAL}")
        pytest.skip(f"external fixtures not found at {EXTERNAL}")
    return EXTERNAL
