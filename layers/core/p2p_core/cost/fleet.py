"""Estimated AWS cost of the fleet, from shipped, dated price tables (the control plane: control_plane.py).

Per instance: compute, the root volume, its public IPv4 address and data transfer out at an assumed
volume per day; each in its own line, so an estimate shows what it bills and from which table.

Pure: no AWS calls. Prices are AWS's public on-demand list prices (Linux, no free tier, no savings
plans), in USD, as of `PRICES_AS_OF`. Instance and EBS prices are the published us-east-1 price times
a per-region multiplier read off the published prices of t3.micro; real per-region prices differ by a
few percent per type, so every regional figure here is an approximation for planning, not a bill.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from p2p_core.config.validation import show_value

PRICES_AS_OF = "2026-11-01"
PRICES_SOURCE = (
    "AWS public on-demand prices, Linux, USD: aws.amazon.com/ec2/pricing/on-demand, aws.amazon.com/ebs/pricing, "
    "aws.amazon.com/step-functions/pricing, aws.amazon.com/lambda/pricing, aws.amazon.com/dynamodb/pricing/on-demand, "
    "aws.amazon.com/eventbridge/pricing, aws.amazon.com/cloudwatch/pricing"
)
HOURS_PER_MONTH = 730.0  # AWS's own convention for monthly estimates (and for EBS GB-month proration)

# On-demand $/hour in us-east-1.
US_EAST_1_HOURLY: Mapping[str, float] = {
    "t4g.nano": 0.0042,
    "t4g.micro": 0.0084,
    "t4g.small": 0.0168,
    "t4g.medium": 0.0336,
    "t3.nano": 0.0052,
    "t3.micro": 0.0104,
    "t3.small": 0.0208,
    "t3.medium": 0.0416,
    "t3.large": 0.0832,
    "t3a.nano": 0.0047,
    "t3a.micro": 0.0094,
    "t3a.small": 0.0188,
    "t3a.medium": 0.0376,
    "t3a.large": 0.0752,
    "t2.nano": 0.0058,
    "t2.micro": 0.0116,
    "t2.small": 0.023,
    "t2.medium": 0.0464,
    "t2.large": 0.0928,
    "t4g.large": 0.0672,
    "c7g.medium": 0.0363,
    "m7g.medium": 0.0408,
}

# Spot $/hour in us-east-1: a typical recent price (Spot prices move with supply and demand), read off
# the Spot price history as of SPOT_PRICES_AS_OF; used when DescribeSpotPriceHistory cannot be read.
SPOT_PRICES_AS_OF = "2026-11-01"
US_EAST_1_SPOT_HOURLY: Mapping[str, float] = {
    "t4g.nano": 0.0015, "t4g.micro": 0.0029, "t4g.small": 0.0058, "t4g.medium": 0.0117, "t4g.large": 0.0233,
    "t3.nano": 0.0019, "t3.micro": 0.0037, "t3.small": 0.0073, "t3.medium": 0.0146, "t3.large": 0.0291,
    "t3a.nano": 0.0017, "t3a.micro": 0.0034, "t3a.small": 0.0068, "t3a.medium": 0.0135, "t3a.large": 0.0270,
    "t2.nano": 0.0017, "t2.micro": 0.0035, "t2.small": 0.0069, "t2.medium": 0.0139, "t2.large": 0.0278,
    "c7g.medium": 0.0145, "m7g.medium": 0.0163,
}  # fmt: skip

# Regional price / us-east-1 price, from t3.micro; applied to every instance type and to EBS.
REGION_MULTIPLIER: Mapping[str, float] = {
    "us-east-1": 1.00, "us-east-2": 1.00, "us-west-2": 1.00, "us-west-1": 1.19,
    "ca-central-1": 1.11, "ca-west-1": 1.11, "mx-central-1": 1.10, "sa-east-1": 1.62,
    "eu-west-1": 1.10, "eu-west-2": 1.13, "eu-west-3": 1.13, "eu-central-1": 1.15, "eu-central-2": 1.27,
    "eu-north-1": 1.04, "eu-south-1": 1.17, "eu-south-2": 1.10,
    "il-central-1": 1.16, "me-south-1": 1.22, "me-central-1": 1.22, "af-south-1": 1.31,
    "ap-south-1": 1.08, "ap-south-2": 1.08, "ap-east-1": 1.38, "ap-east-2": 1.30,
    "ap-northeast-1": 1.31, "ap-northeast-2": 1.25, "ap-northeast-3": 1.31,
    "ap-southeast-1": 1.27, "ap-southeast-2": 1.27, "ap-southeast-3": 1.27, "ap-southeast-4": 1.27,
    "ap-southeast-5": 1.20, "ap-southeast-6": 1.30, "ap-southeast-7": 1.20,
}  # fmt: skip

# EBS $/GB-month in us-east-1 (storage only: provisioned IOPS and throughput are not modelled).
US_EAST_1_EBS_GB_MONTH: Mapping[str, float] = {
    "gp3": 0.08,
    "gp2": 0.10,
    "io1": 0.125,
    "io2": 0.125,
    "st1": 0.045,
    "sc1": 0.015,
    "standard": 0.05,
}


# Every in-use public IPv4 address, $/hour, the same in every region: AWS charges it since this date
PUBLIC_IPV4_HOURLY = 0.005
PUBLIC_IPV4_SINCE = "2024-02-01"

# Data transfer out of EC2 to the internet, $/GB, list price of the first 10 TB/month tier (the 100 GB a
# month free across the account is ignored), as of EGRESS_AS_OF: aws.amazon.com/ec2/pricing/on-demand
# ("Data Transfer"). Regions opened since 2023 are priced like their nearest older neighbour.
EGRESS_AS_OF = "2026-11-01"
EGRESS_PER_GB: Mapping[str, float] = {
    "us-east-1": 0.09, "us-east-2": 0.09, "us-west-1": 0.09, "us-west-2": 0.09,
    "ca-central-1": 0.09, "ca-west-1": 0.09, "mx-central-1": 0.09, "sa-east-1": 0.15,
    "eu-west-1": 0.09, "eu-west-2": 0.09, "eu-west-3": 0.09, "eu-central-1": 0.09, "eu-central-2": 0.09,
    "eu-north-1": 0.09, "eu-south-1": 0.09, "eu-south-2": 0.09,
    "il-central-1": 0.11, "me-south-1": 0.117, "me-central-1": 0.11, "af-south-1": 0.154,
    "ap-south-1": 0.1093, "ap-south-2": 0.1093, "ap-east-1": 0.12, "ap-east-2": 0.12,
    "ap-northeast-1": 0.114, "ap-northeast-2": 0.126, "ap-northeast-3": 0.114,
    "ap-southeast-1": 0.12, "ap-southeast-2": 0.114, "ap-southeast-3": 0.132, "ap-southeast-4": 0.114,
    "ap-southeast-5": 0.12, "ap-southeast-6": 0.114, "ap-southeast-7": 0.12,
}  # fmt: skip
DEFAULT_EGRESS_GB_PER_DAY = 1.0  # per instance: `p2pctl cost --egress-gb-per-day` sets the operator's own


class CostError(ValueError):
    """An input the cost model cannot price; the message names the field and the value."""

    def __init__(self, field: str, value: object, message: str) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class FleetLine:
    """One region's share of the fleet bill over the period: each item billed per instance."""

    region: str
    instances: int
    hourly_price: float
    instance_cost: float
    ebs_cost: float
    ipv4_cost: float
    egress_cost: float

    @property
    def beside_compute(self) -> float:
        """Volumes, public IPv4 addresses and data transfer out, USD: the same on-demand or on Spot."""
        return self.ebs_cost + self.ipv4_cost + self.egress_cost

    @property
    def total(self) -> float:
        """Everything billed for the region's instances, USD."""
        return self.instance_cost + self.beside_compute


@dataclass(frozen=True)
class FleetCost:
    """The fleet's bill over `hours`, per region and in total."""

    instance_type: str
    hours: float
    volume_gb: int
    volume_type: str
    public_ipv4: bool
    egress_gb_per_day: float
    lines: tuple[FleetLine, ...]

    @property
    def instances(self) -> int:
        """Instances across all regions."""
        return sum(line.instances for line in self.lines)

    @property
    def instance_cost(self) -> float:
        """Compute, USD."""
        return sum(line.instance_cost for line in self.lines)

    @property
    def ebs_cost(self) -> float:
        """Volumes, USD."""
        return sum(line.ebs_cost for line in self.lines)

    @property
    def ipv4_cost(self) -> float:
        """Public IPv4 addresses, USD."""
        return sum(line.ipv4_cost for line in self.lines)

    @property
    def egress_cost(self) -> float:
        """Data transfer out to the internet, USD."""
        return sum(line.egress_cost for line in self.lines)

    @property
    def total(self) -> float:
        """Everything billed, USD."""
        return sum(line.total for line in self.lines)


def priced(field: str, name: str, table: Mapping[str, float]) -> float:
    """`table[name]`, or a CostError naming the field, the value and the names that have a price."""
    if name not in table:
        raise CostError(field, name, f"no price for {show_value(name)} (known: {', '.join(sorted(table))})")
    return table[name]


def not_negative(field: str, value: float) -> None:
    if value < 0:
        raise CostError(field, value, f"must be at least 0, got {show_value(value)}")


def hourly_price(instance_type: str, region: str) -> float:
    """On-demand $/hour of one instance, rounded to AWS's four published decimals."""
    base = priced("instance.type", instance_type, US_EAST_1_HOURLY)
    return round(base * priced("regions", region, REGION_MULTIPLIER), 4)


def ebs_gb_month_price(volume_type: str, region: str) -> float:
    """EBS $/GB-month of one volume type in one region."""
    base = priced("instance.volume_type", volume_type, US_EAST_1_EBS_GB_MONTH)
    return round(base * priced("regions", region, REGION_MULTIPLIER), 4)


def egress_gb_price(region: str) -> float:
    """Data transfer out to the internet, $/GB, in one region (list price, first 10 TB/month tier)."""
    return priced("regions", region, EGRESS_PER_GB)


def fleet_cost(
    instance_type: str,
    capacity_by_region: Mapping[str, int],
    hours: float,
    volume_gb: int,
    volume_type: str,
    *,
    public_ipv4: bool,
    egress_gb_per_day: float,
) -> FleetCost:
    """What `capacity_by_region` instances cost over `hours`: each with one `volume_gb` volume, a public IPv4
    address (unless `public_ipv4` is false) and `egress_gb_per_day` GB sent to the internet."""
    not_negative("hours", hours)
    not_negative("instance.volume_size", volume_gb)
    not_negative("egress_gb_per_day", egress_gb_per_day)
    lines = []
    for region, instances in sorted(capacity_by_region.items()):
        not_negative(f"desired_capacity.{region}", instances)
        price = hourly_price(instance_type, region)
        gb_month = ebs_gb_month_price(volume_type, region)
        lines.append(
            FleetLine(
                region=region,
                instances=instances,
                hourly_price=price,
                instance_cost=instances * price * hours,
                ebs_cost=instances * volume_gb * gb_month * hours / HOURS_PER_MONTH,
                ipv4_cost=instances * PUBLIC_IPV4_HOURLY * hours if public_ipv4 else 0.0,
                egress_cost=instances * egress_gb_per_day * hours / 24 * egress_gb_price(region),
            )
        )
    return FleetCost(instance_type, hours, volume_gb, volume_type, public_ipv4, egress_gb_per_day, tuple(lines))
