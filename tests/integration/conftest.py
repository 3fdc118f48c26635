"""Fixtures shared by the integration tests."""

from pathlib import Path

import pytest

from p2pctl.emulator import shims
from tests.integration.workflow_world import world

__all__ = ["world"]


@pytest.fixture(autouse=True, scope="session")
def small_image_catalogue(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Emulated regions know two Ubuntu images instead of loading moto's per-region catalogues (~1.3 s each)."""
    shims.use_small_image_catalogue(Path(tmp_path_factory.mktemp("images")))
