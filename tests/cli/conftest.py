"""One `p2pctl local` per test module (it takes seconds to start); each test sets up the item it needs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli.local_cli import Local, running_local


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Local]:
    """`p2pctl local` running for this module's tests."""
    yield from running_local(tmp_path_factory.mktemp("local") / "local.log")
