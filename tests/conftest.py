"""Test tiers: every test under tests/unit is `unit`; `make check` runs the unit tier and the `smoke` tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from tests.tiers import FAST

UNIT = Path(__file__).parent / "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if UNIT in item.path.parents:
            item.add_marker(pytest.mark.unit)


if FAST:  # property tests without their own example count: Hypothesis's default (100), cut too
    settings.register_profile("check", max_examples=20)
    settings.load_profile("check")
