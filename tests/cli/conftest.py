"""`p2pctl local` takes ~11 s of CPU to start: one per set of switches per xdist worker, shared by the modules.

Each test sets up the config item it needs (`Local.reset`); `local` returns the shared emulator to a known
state before each module (`Local.fresh`). A module whose tests need switches of their own keeps its own
`local` fixture (its docstring says why).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest

from tests.cli.local_cli import SHARED_SWITCHES, Local, running_local

# an account at its limits: small quotas and Lambda concurrency in eu-west-3, no capacity in ca-central-1, and
# instance refreshes that stay in progress (an hour a batch) while a test looks at them; they would change what
# the other modules' runs do, so these modules have an emulator of their own
LIMITED_SWITCHES = (
    *SHARED_SWITCHES,
    *("--quota", "eu-west-3=8", "--spot-quota", "eu-west-3=4", "--lambda-concurrency", "10"),
    *("--fail-launches", "ca-central-1=InsufficientInstanceCapacity", "--refresh-seconds", "3600"),
)


class LocalPool:
    """The `p2pctl local` processes of this worker, one per set of switches, stopped (exit 0 checked) at its end."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory, stack: ExitStack) -> None:
        self._tmp = tmp_path_factory
        self._stack = stack
        self._running: dict[tuple[str, ...], Local] = {}

    def get(self, *switches: str) -> Local:
        if switches not in self._running:
            log = self._tmp.mktemp("local") / "local.log"
            self._running[switches] = self._stack.enter_context(contextmanager(running_local)(log, *switches))
        return self._running[switches]


@pytest.fixture(scope="session")
def local_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPool]:
    with ExitStack() as stack:
        yield LocalPool(tmp_path_factory, stack)


@pytest.fixture(scope="module")
def local(local_pool: LocalPool) -> Local:
    """The worker's shared `p2pctl local` (ap-east-1 not enabled), returned to a known state for this module."""
    shared = local_pool.get(*SHARED_SWITCHES)
    shared.fresh()
    return shared


@pytest.fixture(scope="module")
def limited_local(local_pool: LocalPool) -> Local:
    """The worker's `p2pctl local` of an account at its limits (LIMITED_SWITCHES), in a known state for this module."""
    limited = local_pool.get(*LIMITED_SWITCHES)
    limited.fresh()
    return limited
