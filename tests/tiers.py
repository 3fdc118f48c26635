"""The fast tier (`make check`): the same property tests with fewer generated examples each.

`make test` runs every test at its full example count; `make check` sets P2P_TIER=check for the edit-test loop.
"""

from __future__ import annotations

import os

FAST = os.environ.get("P2P_TIER") == "check"


def examples(full: int) -> int:
    """Hypothesis examples for a property test: `full` in `make test`, a tenth (at least 20) in `make check`."""
    return max(20, full // 10) if FAST else full
