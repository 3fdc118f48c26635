"""`make test` timed: wall and CPU seconds, the test count and the coverage it reports, as benchmark rows.

Run by `make bench-suite` on a quiet machine; the numbers are tracked in benchmarks/results/latest.json and
the table in docs/benchmarks.md, never asserted by a test (the machine decides them).
"""

from __future__ import annotations

import re
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from benchmarks.report import record
from benchmarks.world import ROOT

SUITE_KEYS = ("make_test_count", "make_test_seconds", "make_test_cpu_seconds", "make_test_coverage_percent")


def parse(output: str) -> dict[str, int]:
    """Tests run (passed, skipped, failed, errors) and the coverage total from pytest's summary line (the last line
    with a count and a time: the static checks run beside pytest, so other output may come after it)."""
    summaries = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed|errors?)\b.* in [\d.]+s", line)]
    summary = summaries[-1] if summaries else ""
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|skipped|failed|errors?)", summary)}
    coverage = re.search(r"^TOTAL\s+\d+\s+\d+\s+(\d+)%", output, re.MULTILINE)
    if not counts:
        raise ValueError(f"no pytest summary line in the output of `make test`: {output[-300:]!r}")
    return {"tests": sum(counts.values()), "coverage": int(coverage.group(1)) if coverage else -1}


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def measure() -> dict[str, Any]:
    """Run `make test` once; its output passes through; the numbers come back."""
    cpu, began = _children_cpu(), time.monotonic()
    done = subprocess.run(["make", "test"], cwd=ROOT, capture_output=True, text=True, check=False)
    seconds, cpu = time.monotonic() - began, _children_cpu() - cpu
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        raise SystemExit(f"make test failed (exit {done.returncode}): no benchmark row recorded")
    found = parse(done.stdout)
    return {
        "make_test_count": found["tests"],
        "make_test_seconds": round(seconds),
        "make_test_cpu_seconds": round(cpu),
        "make_test_coverage_percent": found["coverage"],
        "suite_measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def main() -> None:
    print(record(measure()))


if __name__ == "__main__":
    main()
