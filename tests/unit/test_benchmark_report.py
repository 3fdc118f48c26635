"""The benchmark table lives in docs/benchmarks.md between its markers, and it is the raw results' table."""

from __future__ import annotations

import json

import pytest

from benchmarks.report import PAGE, RESULTS, ROWS, table, with_table

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|")]


def test_the_table_in_docs_is_the_one_the_recorded_results_render() -> None:
    documented = PAGE.read_text().split(START, 1)[1].split(END, 1)[0]
    assert _rows(documented) == _rows(table(json.loads(RESULTS.read_text())))
    assert len(_rows(documented)) == len(ROWS) + 2  # header and rule, then one row per measure


def test_the_table_is_written_between_the_markers_and_nowhere_else() -> None:
    page = f"# Benchmarks\n\nintro\n\n{START}\nold table\n{END}\n\nwhat the figures mean\n"
    written = with_table(page, "| new |\n")
    assert written == f"# Benchmarks\n\nintro\n\n{START}\n| new |\n{END}\n\nwhat the figures mean\n"


def test_a_page_without_the_markers_is_refused_naming_them() -> None:
    with pytest.raises(ValueError, match="bench:start"):
        with_table("# Benchmarks\n", "| new |\n")


def test_a_row_not_measured_yet_says_so() -> None:
    rendered = table({"measured_at": "2026-12-06 10:00 UTC", "machine": "2 CPUs", "noop_transitions": 3})
    assert "| no-op run, 34 regions: state transitions | 3 | ≤ 3 |" in rendered
    assert "| no-op run: mutating API calls | not measured | 0 |" in rendered
