from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _own_data_dir(settings: Any, tmp_path: Path) -> None:
    """Each test writes its ACH files in its own folder (child processes get it through child_env)."""
    settings.DATA_DIR = tmp_path / "data"
