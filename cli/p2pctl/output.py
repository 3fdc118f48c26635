"""How commands print: rich for people, plain JSON for `--json` and pipes."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


def print_json(data: Any) -> None:
    """One JSON document on stdout, no colour, stable key order."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
