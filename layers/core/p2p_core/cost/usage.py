"""What one scheduled check uses on AWS, as measured apart from the emulator: Lambda seconds, table calls, item sizes.

Pure: no AWS calls. `benchmarks/lambda_cpu.py` replays a check's Lambda events in a fresh process against the
emulator served over HTTP (so the emulator's own CPU is never counted), with 1 and with 34 regions, and fits the
figures; `benchmarks/tls.py` measures the CPU of HTTPS connections and calls; `make bench` fails when the code's
table calls differ from `TableCalls`. The measured figures are data, not code: `make bench` writes them to
`measured_usage.json` beside this module (its schema: benchmarks/measured.py) and the defaults here are read from
it: figures of `MEASURED_AT` on this project's 2-CPU build machine; a Graviton vCPU is assumed as fast.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

MEASURED_FILE = "measured_usage.json"  # written by `make bench` (benchmarks/measured.py), shipped with the layer
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

    @classmethod
    def read(cls, figure: dict[str, Any]) -> PerRegion:
        """A figure as the measured file holds it: `{"base": ..., "per_region": ...}`."""
        return cls(base=float(figure["base"]), per_region=float(figure.get("per_region", 0.0)))


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


def read_measured(text: str | None = None) -> dict[str, Any]:
    """The benchmark's figures: `text` (the file's JSON), or the measured file shipped beside this module."""
    if text is None:
        text = resources.files("p2p_core.cost").joinpath(MEASURED_FILE).read_text(encoding="utf-8")
    figures: dict[str, Any] = json.loads(text)
    return figures


def measured_profile(figures: dict[str, Any], name: str, memory_mb: int) -> LambdaProfile:
    """Function `name`'s profile from the measured figures, at the template's `memory_mb`."""
    measured = figures["lambda"]["profiles"][name]
    lines = {key: PerRegion.read(measured[key]) for key in ("init", "cold_cpu", "warm_cpu", "wait")}
    return LambdaProfile(name=name, memory_mb=memory_mb, **lines)


_MEASURED = read_measured()
MEASURED_AT: str = _MEASURED["lambda"]["measured_at"]
# the template's MemorySize (tests/unit/test_cost.py checks they agree); the seconds are measured. Plan as the
# check invokes it, recording a quiet check itself; Finalize as the reconcile workflow runs it; ReconcileRegion
# not replayed apart from the emulator: its wall time there for one region's capacity change (an upper bound)
PLAN = measured_profile(_MEASURED, "Plan", 384)
FINALIZE = measured_profile(_MEASURED, "Finalize", 512)
RECONCILE_REGION = measured_profile(_MEASURED, "ReconcileRegion", 512)
_BYTES = {name: PerRegion.read(line) for name, line in _MEASURED["item_bytes"].items()}
# every region's last full verification (storage/verified.py); until the benchmark measures it, the size of a
# verification as written: the region's name, its time, a 32-character fingerprint, the digest and the phase
_BYTES.setdefault("verified", PerRegion(base=40, per_region=150))


@dataclass(frozen=True)
class TableCalls:
    """The config table's calls of one quiet scheduled check (one Plan invocation), counted in the replay.

    Planning: get the config, put the lease, read the status (the status, checks, quota and verified items, strongly
    consistent). Recording (workflow/finalize_step.py, in the same invocation): from the status Plan read under
    its lease (not read again: the status item is billed by its size), write the small checks item
    (storage/status.py: never the status item), delete the lease, and get the config again (was it edited
    meanwhile?). The quota item is written at most hourly.
    """

    config_gets: int = 2
    status_gets: int = 1
    check_gets: int = 1
    quota_gets: int = 1
    verified_gets: int = 2  # Plan's verifications; Finalize's look for regions drift events named during the run
    lease_writes: int = 2
    status_writes: int = 0
    check_writes: int = 1
    quota_writes_per_hour: int = 1


# a reconcile run's table calls, Plan's and Finalize's: Finalize, a Lambda of its own, reads the status once more
RECONCILE_TABLE = TableCalls(status_gets=2, check_gets=2, quota_gets=2)


@dataclass(frozen=True)
class ItemSizes:
    """Sizes in bytes (DynamoDB's rules, `item_bytes`) of the config and status items."""

    config: PerRegion = _BYTES["config"]  # the benchmark's: every region listed
    quota: PerRegion = _BYTES["quota"]  # one region's headroom
    status: PerRegion = _BYTES["status"]  # with every region's provisioning run
    verified: PerRegion = _BYTES["verified"]  # every region's last full verification

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
