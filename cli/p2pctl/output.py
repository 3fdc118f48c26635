"""How commands speak to the operator: rich for people, plain JSON for `--json` and pipes, yes/no questions."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


def print_json(data: Any) -> None:
    """One JSON document on stdout, no colour, stable key order."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def say(text: str) -> None:
    """One line as is (AWS and config text is never rich markup)."""
    console.print(text, highlight=False, markup=False)


def capped(items: list[str], limit: int = 3) -> str:
    """At most `limit` items joined; the rest counted (all of them are in --json)."""
    shown = "; ".join(items[:limit]) or "-"
    return shown + (f"; … and {len(items) - limit} more (--json lists all)" if len(items) > limit else "")


def confirmed(question: str) -> bool:
    """Ask yes/no on the terminal; no answer is no."""
    try:
        return typer.confirm(question, default=False)
    except typer.Abort:  # no answer (Ctrl-C, or no terminal): nothing happens
        return False
