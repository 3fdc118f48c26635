"""Remove every managed resource of the stack from every region (what `p2pctl teardown` does after its run).

Each region is swept until nothing of the stack is left: its tagged resources (`observe.discover`),
its instances in or out of a group (`leftovers`), and the network they sit in. AWS terminates
instances asynchronously and the VPC cannot go before them, so a region whose only leftovers are
the stack's own terminating instances is swept again after a pause, within `wait_seconds` (the
clock and the pause are injected, so tests never sleep). What is still there after that is named,
with why (terminating, or blocked by what the stack did not make and the command that removes it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError

from p2p_core.aws.clients import ClientFactory
from p2p_core.config import ConfigItem
from p2p_core.models.deployment import Deployment
from p2p_core.models.plan import RegionPlan
from p2p_core.reconciler.context import RegionContext
from p2p_core.reconciler.errors import NOT_ENABLED_CODES, describe_failure
from p2p_core.reconciler.leftovers import TERMINATING, Leftover, foreign_in_vpcs, managed_leftovers, own_instances
from p2p_core.reconciler.observe import discover
from p2p_core.reconciler.region import reconcile_region

THREADS = 34
WAIT_SECONDS = 300.0  # instances usually terminate within a minute or two
PAUSE_SECONDS = 10.0

Outcome = Literal["clean", "removed", "remaining", "failed", "skipped"]


@dataclass(frozen=True)
class RegionSweep:
    """How one region was left: nothing there, removed, something remaining (and why), failed or not enabled."""

    region: str
    outcome: Outcome
    remaining: list[Leftover] = field(default_factory=list)
    why: str = ""

    def words(self) -> str:
        """What is left in operator words: the resources, then why."""
        left = "; ".join(item.words() for item in self.remaining)
        return f"{self.region}: {left}" + (f" ({self.why})" if self.why else "")


@dataclass(frozen=True)
class Waiting:
    """How long a sweep waits for terminating instances: injected so tests never sleep."""

    seconds: float = WAIT_SECONDS
    pause: float = PAUSE_SECONDS
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def left_in_region(ctx: RegionContext) -> list[Leftover]:
    """Everything of the stack still in the region, and what the stack did not make in its VPCs."""
    found = discover(ctx)
    return managed_leftovers(found, own_instances(ctx)) + foreign_in_vpcs(ctx, found)


def only_terminating(left: list[Leftover]) -> bool:
    """True when the only thing holding the rest is the stack's own instances, all terminating."""
    instances = [item for item in left if item.kind == "instance"]
    return bool(instances) and all(item.ours for item in left) and all(item.state == TERMINATING for item in instances)


def sweep_region(
    clients: ClientFactory, deployment: Deployment, region: str, waiting: Waiting | None = None
) -> RegionSweep:
    """Decommission what the stack left in `region` until nothing remains, or say what remains and why."""
    waiting = waiting or Waiting()
    ctx = RegionContext.build(clients, deployment, region)
    began, passes = waiting.clock(), 0
    try:
        while True:
            left = left_in_region(ctx)
            if not any(item.ours for item in left):
                outcome: Outcome = "removed" if passes else "clean"
                return RegionSweep(region, outcome if not left else "remaining", left, _blocked(left))
            if passes and not only_terminating(left):
                return RegionSweep(region, "remaining", left, _blocked(left) or _last_wait(ctx))
            if passes and waiting.clock() - began >= waiting.seconds:
                return RegionSweep(region, "remaining", left, "still terminating: run teardown again in a minute")
            if passes:
                waiting.sleep(waiting.pause)
            plan = RegionPlan(region=region, decommission=True, reasons=["teardown"])
            result = reconcile_region(clients, deployment, ConfigItem(), plan, user_data="")
            ctx.actions += result.actions
            if result.status == "failed":
                return RegionSweep(region, "failed", left, f"{result.error_code}: {result.error_message}")
            passes += 1
    except (ClientError, BotoCoreError) as exc:
        code, message = describe_failure(exc)
        if code in NOT_ENABLED_CODES:  # a region the account cannot use holds nothing of ours
            return RegionSweep(region, "skipped")
        return RegionSweep(region, "failed", why=f"{code}: {message}")


def _blocked(left: list[Leftover]) -> str:
    foreign = [item for item in left if not item.ours]
    return "resources the stack did not make keep its VPC: remove them, then run teardown again" if foreign else ""


def _last_wait(ctx: RegionContext) -> str:
    waits = [action for action in ctx.actions if action.startswith("waiting:")]
    return waits[-1].removeprefix("waiting: ") if waits else "not deleted"


def sweep_regions(
    clients: ClientFactory,
    deployment: Deployment,
    regions: list[str],
    on_region: Callable[[RegionSweep], None] | None = None,
    waiting: Waiting | None = None,
) -> list[RegionSweep]:
    """`sweep_region` for every region, in parallel."""

    def one(region: str) -> RegionSweep:
        result = sweep_region(clients, deployment, region, waiting)
        if on_region is not None:
            on_region(result)
        return result

    if not regions:
        return []
    with ThreadPoolExecutor(max_workers=min(THREADS, len(regions))) as pool:
        return list(pool.map(one, regions))
