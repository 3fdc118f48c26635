"""`make bench-suite` reads `make test`'s output: the static checks run beside pytest (make -j2), so pytest's
summary line need not be the last one."""

from __future__ import annotations

import pytest

from benchmarks.suite import parse

TAIL = "TOTAL                                                  13120    574    96%\n"


def test_the_summary_is_found_among_the_lines_the_other_checks_print_after_it() -> None:
    output = TAIL + "1762 passed, 2 skipped, 7 warnings in 671.97s (0:11:11)\nmake[1]: Leaving directory '/x'\n"
    assert parse(output) == {"tests": 1764, "coverage": 96}


def test_failures_count_and_no_summary_is_an_error() -> None:
    assert parse("3 failed, 10 passed in 1.00s\n")["tests"] == 13
    with pytest.raises(ValueError, match="no pytest summary line"):
        parse(TAIL + "All checks passed!\n")
