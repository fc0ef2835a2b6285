"""Real data from $ARCOLLECT_CORPUS (../shared/data in CI); skipped with the reason when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def corpus() -> Path:
    root = os.environ.get("ARCOLLECT_CORPUS")
    if not root:
        pytest.skip("ARCOLLECT_CORPUS is not set: the real-data corpus tests need ../shared/data")
    path = Path(root)
    if not path.is_dir():
        pytest.skip(f"ARCOLLECT_CORPUS={root} is not a directory")
    return path
