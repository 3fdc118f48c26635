"""What `p2pctl cost` and the demo read from AWS before pricing: enabled regions, `-` regions' instances, Spot prices.

Each read says where its answer came from, or why there is none: an endpoint that does not answer
(no credentials, no network) is tried once, and every later read is skipped with the same reason.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from p2p_core.checks.enabled import enabled_regions
from p2p_core.config import ConfigItem
from p2p_core.cost.bill import Running
from p2p_core.cost.fleet import SPOT_PRICES_AS_OF
from p2p_core.models.deployment import Deployment
from p2pctl.cost_estimate import FleetFacts, spot_buying
from p2pctl.fleet import managed_asg
from p2pctl.spot_prices import LIVE_SOURCE, spot_prices, why

_THREADS = 16


def read_facts(clients: Any, home_region: str, stack_name: str, config: ConfigItem, now: datetime) -> FleetFacts:
    """Enabled regions (DescribeRegions), then, in those, `-` regions' groups and current Spot prices."""
    stamp = f"at {now:%Y-%m-%d %H:%M} UTC"
    selected = config.selected_regions()
    try:
        enabled = frozenset(enabled_regions(clients, Deployment(home_region=home_region)))
    except BotoCoreError as exc:  # nothing answers: every other read would fail the same way
        reason = f"not reachable: {why(exc)}"
        return FleetFacts(
            enabled_source=f"DescribeRegions {reason}: every selected region priced",
            running=Running({}, f"DescribeAutoScalingGroups {reason}"),
            spot_source=f"table as of {SPOT_PRICES_AS_OF} ({LIVE_SOURCE} {reason})",
        )
    except ClientError as exc:
        enabled, enabled_source = None, f"DescribeRegions refused ({why(exc)}): every selected region priced"
    else:
        enabled_source = f"DescribeRegions {stamp}"
    priced = [region for region in selected if enabled is None or region in enabled]
    leave_alone = [region for region in priced if config.desired_capacity.resolve(region) is None]
    live, spot_source = spot_prices(clients, priced, spot_buying(config).types, now)
    return FleetFacts(enabled, enabled_source, running_now(clients, stack_name, leave_alone, stamp), live, spot_source)


def running_now(clients: Any, stack_name: str, regions: list[str], stamp: str) -> Running:
    """The instances the stack's group runs in each of `regions` (none without a group); a region not read is absent."""
    if not regions:
        return Running({}, "no '-' region")

    def count(region: str) -> int | str:
        try:
            group = managed_asg(clients.client("autoscaling", region), stack_name)
        except (ClientError, BotoCoreError) as exc:
            return why(exc)
        return len(group["Instances"]) if group else 0

    with ThreadPoolExecutor(max_workers=min(_THREADS, len(regions))) as pool:
        answers = dict(zip(regions, pool.map(count, regions), strict=True))
    found = {region: n for region, n in answers.items() if isinstance(n, int)}
    failed = [f"{region}: {answer}" for region, answer in answers.items() if not isinstance(answer, int)]
    return Running(
        found, f"DescribeAutoScalingGroups {stamp}" + (f"; not read in {', '.join(failed)}" if failed else "")
    )
