"""What one scheduled check uses on AWS, as measured apart from the emulator: Lambda seconds, table calls, item sizes.

Pure: no AWS calls. `benchmarks/lambda_cpu.py` replays a check's Lambda events in a fresh process against the
emulator served over HTTP (so the emulator's own CPU is never counted), with 1 and with 34 regions, and fits the
figures here; `make bench` fails when the code's table calls differ from `TableCalls`. The defaults are that
benchmark's figures of `MEASURED_AT` on this project's 2-CPU build machine; a Graviton vCPU is assumed as fast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MEASURED_AT = "2026-11-26"
FULL_VCPU_MB = 1769  # Lambda gives a function one full vCPU at 1,769 MB and CPU in proportion below that
IDLE_ENVIRONMENT_SECONDS = 5 * 60  # runs further apart are counted as cold starts (AWS keeps idle environments
# an undocumented while: minutes to an hour, as measured by others), the conservative reading


@dataclass(frozen=True)
class PerRegion:
    """A figure that grows with the regions a run checks: `base + per_region * regions`."""

    base: float
    per_region: float = 0.0

    def at(self, regions: int) -> float:
        """The figure for a run over `regions` regions (never below 0)."""
        return max(0.0, self.base + self.per_region * regions)

    @classmethod
    def fit(cls, one: float, many: float, regions: int) -> PerRegion:
        """The line through a run over 1 region (`one`) and a run over `regions` regions (`many`)."""
        per_region = (many - one) / (regions - 1)
        return cls(base=round(one - per_region, 4), per_region=round(per_region, 5))


@dataclass(frozen=True)
class LambdaProfile:
    """One function's work per invocation, in seconds measured on one full CPU.

    INIT (importing the handler, and Plan's clients: workflow/prepare.py) is billed since August 2025 and runs
    with unthrottled CPU; the invocation's CPU runs at `memory_mb / FULL_VCPU_MB` of a vCPU below 1,769 MB, so
    it lasts that much longer; `wait` is the wall time spent waiting for AWS's answers (80 ms per regional
    call in the benchmark), billed at any size.
    """

    name: str
    memory_mb: int
    init: PerRegion
    cold_cpu: PerRegion  # the first invocation of a new environment: boto3 clients and models made
    warm_cpu: PerRegion
    wait: PerRegion

    def billed_seconds(self, regions: int, *, cold: bool) -> float:
        """Lambda's billed duration of one invocation over `regions` regions (INIT included when `cold`)."""
        cpu = (self.cold_cpu if cold else self.warm_cpu).at(regions)
        throttled = cpu * max(1.0, FULL_VCPU_MB / self.memory_mb)
        return (self.init.at(regions) if cold else 0.0) + throttled + self.wait.at(regions)

    def expected_seconds(self, regions: int, cold_share: float) -> float:
        """Billed seconds of an invocation, `cold_share` of them cold starts."""
        cold, warm = self.billed_seconds(regions, cold=True), self.billed_seconds(regions, cold=False)
        return cold_share * cold + (1 - cold_share) * warm

    def gb_seconds(self, regions: int, cold_share: float) -> float:
        """GB-seconds Lambda bills for one invocation."""
        return self.expected_seconds(regions, cold_share) * self.memory_mb / 1024


# benchmarks/results/latest.json "lambda_profiles" of MEASURED_AT (34 and 1 regions, the template's MemorySize):
# Plan as the watcher invokes it, recording a quiet check itself; Finalize as the reconcile workflow runs it
PLAN = LambdaProfile(
    name="Plan",
    memory_mb=384,
    init=PerRegion(base=1.1621, per_region=0.05794),
    cold_cpu=PerRegion(base=0.1985, per_region=0.13345),
    warm_cpu=PerRegion(base=0.0664, per_region=0.03164),
    wait=PerRegion(base=0.784, per_region=0.05503),
)
FINALIZE = LambdaProfile(
    name="Finalize",
    memory_mb=512,
    init=PerRegion(base=0.73),
    cold_cpu=PerRegion(base=0.152),
    warm_cpu=PerRegion(base=0.03, per_region=0.0016),
    wait=PerRegion(base=0.066, per_region=0.0146),
)
# not replayed apart from the emulator: its wall time there for one region's capacity change (an upper bound)
RECONCILE_REGION = LambdaProfile(
    name="ReconcileRegion",
    memory_mb=512,
    init=PerRegion(base=0.87),
    cold_cpu=PerRegion(base=0.35),
    warm_cpu=PerRegion(base=0.35),
    wait=PerRegion(base=0.0),
)


@dataclass(frozen=True)
class TableCalls:
    """The config table's calls of one quiet scheduled check (one Plan invocation), counted in the replay.

    Planning: get the config, put the lease, read the status (the status, checks and quota items, strongly
    consistent). Recording (workflow/finalize_step.py, in the same invocation): read the status once more and
    write the small checks item on it (storage/status.py: never the status item, billed by its size), delete
    the lease, and get the config again (was it edited meanwhile?). The quota item is written at most hourly.
    """

    config_gets: int = 2
    status_gets: int = 2
    check_gets: int = 2
    quota_gets: int = 2
    lease_writes: int = 2
    status_writes: int = 0
    check_writes: int = 1
    quota_writes_per_hour: int = 1


@dataclass(frozen=True)
class ItemSizes:
    """Sizes in bytes (DynamoDB's rules, `item_bytes`) of the config and status items."""

    config: PerRegion = PerRegion(base=130, per_region=12.3)  # the benchmark's: every region listed
    quota: PerRegion = PerRegion(base=29, per_region=114.3)  # one region's headroom
    status: PerRegion = PerRegion(base=859, per_region=2607)  # with the provisioning run of every region

    def read_units(self, name: str, regions: int) -> int:
        """Read request units of one strongly consistent GetItem (4 KB each)."""
        return max(1, math.ceil(self._bytes(name, regions) / 4096))

    def write_units(self, name: str, regions: int) -> int:
        """Write request units of one write of the item (1 KB each; an update bills the larger of before/after)."""
        return max(1, math.ceil(self._bytes(name, regions) / 1024))

    def _bytes(self, name: str, regions: int) -> float:
        line: PerRegion = getattr(self, name)
        return line.at(regions)


def item_bytes(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it (attribute names + values), from its DynamoDB JSON."""
    return sum(len(name.encode()) + _value_bytes(value) for name, value in item.items())


def _value_bytes(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = inner.lstrip("-").replace(".", "").strip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_bytes(element) for element in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + _value_bytes(element) for name, element in inner.items())
    if kind in ("SS", "NS", "BS"):
        return sum(_value_bytes({kind[0]: element}) for element in inner)
    raise ValueError(f"unknown DynamoDB type {kind!r}")
