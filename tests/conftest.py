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


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every matplotlib figure a test opened.

    The Agg backend is chosen in-process, never through MPLBACKEND: the environment variable
    would leak into the kernels that papermill and nbval start and silently drop every chart.
    """
    import matplotlib

    matplotlib.use("Agg")
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
