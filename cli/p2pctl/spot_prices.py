"""Current Spot prices for `p2pctl cost`: DescribeSpotPriceHistory per region, else the dated table.

One call per region (all the group's types at once, Linux, the latest price per zone; a type's price
in the region is its cheapest zone's). The first region is read alone: if nothing answers (no
credentials, no network) the estimate uses the table in p2p_core.cost.fleet and says why; otherwise the
other regions are read in parallel, and a region that refuses alone (one not enabled, say) is priced
from the table while the others keep their current prices.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from p2p_core.cost.fleet import SPOT_PRICES_AS_OF

LIVE_SOURCE = "DescribeSpotPriceHistory"
_THREADS = 16


def spot_prices(
    clients: Any, regions: list[str], instance_types: tuple[str, ...], now: datetime
) -> tuple[dict[str, dict[str, float]] | None, str]:
    """(region -> type -> current Spot $/hour, or None for the table; where the prices came from)."""
    table = f"table as of {SPOT_PRICES_AS_OF}"
    if not regions:
        return None, table
    found: dict[str, dict[str, float]] = {}
    try:
        found[regions[0]] = _region_prices(clients, regions[0], instance_types, now)
    except BotoCoreError as exc:  # no endpoint, no credentials: no region would answer
        return None, f"{table} ({LIVE_SOURCE} not reachable: {why(exc)})"
    except ClientError as exc:  # this region refused (not enabled, say): the others may answer
        refused = why(exc)
    else:
        refused = ""
    with ThreadPoolExecutor(max_workers=min(_THREADS, max(1, len(regions) - 1))) as pool:
        rest = regions[1:]
        for region, prices in zip(rest, pool.map(lambda r: _safe(clients, r, instance_types, now), rest), strict=True):
            if prices is not None:
                found[region] = prices
    if not found:
        return None, f"{table} ({LIVE_SOURCE} refused: {refused})"
    missing = [r for r in regions if r not in found]
    source = f"{LIVE_SOURCE} at {now:%Y-%m-%d %H:%M} UTC"
    return found, source + (f"; {table} for {', '.join(missing)}" if missing else "")


def _safe(clients: Any, region: str, instance_types: tuple[str, ...], now: datetime) -> dict[str, float] | None:
    try:
        return _region_prices(clients, region, instance_types, now)
    except (ClientError, BotoCoreError):
        return None


def _region_prices(clients: Any, region: str, instance_types: tuple[str, ...], now: datetime) -> dict[str, float]:
    answer = clients.client("ec2", region).describe_spot_price_history(
        InstanceTypes=list(instance_types), ProductDescriptions=["Linux/UNIX"], StartTime=now
    )
    latest: dict[tuple[str, str], tuple[datetime, float]] = {}
    for entry in answer.get("SpotPriceHistory", []):
        key = (str(entry["InstanceType"]), str(entry.get("AvailabilityZone", "")))
        seen = (entry["Timestamp"], float(entry["SpotPrice"]))
        if key not in latest or seen[0] > latest[key][0]:
            latest[key] = seen
    prices: dict[str, float] = {}
    for (kind, _), (_, price) in latest.items():
        prices[kind] = min(price, prices.get(kind, price))
    return prices


def why(exc: Exception) -> str:
    """AWS's error code, or the kind of failure when AWS did not answer."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "error"))
    return type(exc).__name__
