"""The fleet bill item by item: compute, root volume, public IPv4 address, data transfer out; regions priced.

Each item has a test that fails when the item is dropped from the total (or from the printed items),
and the region rules: a region the account has not enabled is never priced, a `-` region is priced
at the instances it runs now.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from p2p_core.config import parse_config
from p2p_core.cost.bill import FROM_CONFIG, NOT_ENABLED, NOT_READ, Running, bill_items, region_counts
from p2p_core.cost.fleet import US_EAST_1_SPOT_HOURLY, CostError, FleetCost, egress_gb_price, fleet_cost
from p2p_core.cost.spot import SpotFleetCost, spot_fleet_cost
from p2pctl.cost_estimate import FleetFacts, estimate
from p2pctl.spot_prices import spot_prices

NOW = datetime(2026, 12, 1, tzinfo=UTC)
DAY = 24.0


def bill(
    capacity: dict[str, int],
    *,
    instance_type: str = "t4g.micro",
    volume_gb: int = 8,
    volume_type: str = "gp3",
    public_ipv4: bool = True,
    egress: float = 1.0,
) -> FleetCost:
    return fleet_cost(
        instance_type, capacity, DAY, volume_gb, volume_type, public_ipv4=public_ipv4, egress_gb_per_day=egress
    )


def on_spot(fleet: FleetCost) -> SpotFleetCost:
    return spot_fleet_cost(fleet, (fleet.instance_type,), 0, "lowest-price")


# ------------------------------------------------------------------------------------------- items


def test_the_items_add_up_to_the_total_on_demand_and_on_spot() -> None:
    fleet = bill({"us-east-1": 3, "sa-east-1": 2})
    spot = on_spot(fleet)
    items = bill_items(fleet, spot)
    assert [item.name.split(" (")[0] for item in items] == [
        "compute",
        "root volume",
        "public IPv4 address",
        "data transfer out",
    ]
    assert all(item.on_demand > 0 and item.spot > 0 for item in items)  # none of them free by accident
    assert sum(item.on_demand for item in items) == pytest.approx(fleet.total)
    assert sum(item.spot for item in items) == pytest.approx(spot.total)


def test_each_item_names_its_source_and_the_date_of_its_price() -> None:
    for item in bill_items(bill({"eu-central-1": 1}), on_spot(bill({"eu-central-1": 1}))):
        assert re.search(r"\d{4}-\d\d-\d\d", item.source), item


def test_the_public_ipv4_address_is_billed_per_instance_hour() -> None:
    with_address, without = bill({"us-east-1": 3}), bill({"us-east-1": 3}, public_ipv4=False)
    assert with_address.total - without.total == pytest.approx(with_address.ipv4_cost)
    # the figures: 60 % on top of a t4g.micro on demand, more than the instance itself on Spot
    assert with_address.ipv4_cost / with_address.instance_cost == pytest.approx(0.6, abs=0.01)
    assert with_address.ipv4_cost > 3 * US_EAST_1_SPOT_HOURLY["t4g.micro"] * DAY
    spot = on_spot(with_address)
    assert spot.total - on_spot(without).total == pytest.approx(with_address.ipv4_cost)  # on Spot too


def test_ipv6_only_agents_pay_no_ipv4_address_and_the_estimate_says_why() -> None:
    fleet = bill({"us-east-1": 3}, public_ipv4=False)
    ipv4 = next(item for item in bill_items(fleet, on_spot(fleet)) if item.name == "public IPv4 address")
    assert (ipv4.on_demand, ipv4.spot) == (0, 0)
    assert "network.public_ipv4 is false" in ipv4.source


def test_data_transfer_out_scales_with_the_assumed_volume_and_the_regions_price() -> None:
    one, two, none = (bill({"us-east-1": 2}, egress=gb) for gb in (1.0, 2.0, 0.0))
    assert one.egress_cost > 0 and none.egress_cost == 0
    assert two.egress_cost == pytest.approx(2 * one.egress_cost)
    assert one.total - none.total == pytest.approx(one.egress_cost)
    assert egress_gb_price("sa-east-1") > egress_gb_price("us-east-1")  # priced per region
    assert bill({"sa-east-1": 2}).egress_cost > one.egress_cost
    with pytest.raises(CostError, match=r"^egress_gb_per_day: must be at least 0, got -1"):
        bill({"us-east-1": 1}, egress=-1)


def test_the_root_volume_is_billed_by_size_and_type() -> None:
    small, large = bill({"eu-west-1": 2}, volume_gb=8), bill({"eu-west-1": 2}, volume_gb=16)
    assert large.ebs_cost == pytest.approx(2 * small.ebs_cost) and small.ebs_cost > 0
    assert large.total - small.total == pytest.approx(small.ebs_cost)
    assert bill({"eu-west-1": 2}, volume_type="gp2").ebs_cost > small.ebs_cost


def test_spot_changes_only_compute() -> None:
    fleet = bill({"ap-southeast-1": 4})
    spot = on_spot(fleet)
    assert spot.instance_cost < fleet.instance_cost
    assert spot.total - spot.instance_cost == pytest.approx(fleet.total - fleet.instance_cost)


# ------------------------------------------------------------------------------------------- regions

CONFIG = parse_config({"regions": ["eu-central-1", "ap-east-1", "us-east-1"], "desired_capacity": 2})


def test_a_region_the_account_has_not_enabled_is_never_priced() -> None:
    enabled = frozenset({"eu-central-1", "us-east-1"})
    counts, left_out = region_counts(CONFIG.selected_regions(), CONFIG.desired_capacity, enabled, NOT_READ)
    assert [(c.region, c.instances, c.source) for c in counts] == [
        ("eu-central-1", 2, FROM_CONFIG),
        ("us-east-1", 2, FROM_CONFIG),
    ]
    assert left_out == {"ap-east-1": NOT_ENABLED}
    report = estimate(CONFIG, NOW, FleetFacts(enabled=enabled))
    assert [line.region for line in report.fleet.lines] == ["eu-central-1", "us-east-1"]
    assert [line.region for line in report.spot.lines] == ["eu-central-1", "us-east-1"]
    assert report.as_dict()["not_priced"] == {"ap-east-1": NOT_ENABLED}


def test_when_the_enabled_regions_are_unknown_every_selected_region_is_priced() -> None:
    counts, left_out = region_counts(CONFIG.selected_regions(), CONFIG.desired_capacity, None, NOT_READ)
    assert sorted(c.region for c in counts) == ["ap-east-1", "eu-central-1", "us-east-1"] and left_out == {}


def test_a_leave_alone_region_is_priced_at_the_instances_it_runs_now() -> None:
    config = parse_config(
        {"regions": ["eu-west-1", "us-east-1"], "desired_capacity": {"all": 1, "aws": {"us-east-1": "-"}}}
    )
    running = Running({"us-east-1": 5}, "DescribeAutoScalingGroups at 2026-12-01 00:00 UTC")
    counts, _ = region_counts(config.selected_regions(), config.desired_capacity, None, running)
    assert [(c.region, c.instances) for c in counts] == [("eu-west-1", 1), ("us-east-1", 5)]
    assert counts[1].source == "'-': running now (DescribeAutoScalingGroups at 2026-12-01 00:00 UTC)"
    report = estimate(config, NOW, FleetFacts(running=running))
    assert report.as_dict()["fleet"]["regions"]["us-east-1"]["instances"] == 5


def test_a_leave_alone_region_not_read_is_priced_at_zero_and_says_why() -> None:
    config = parse_config({"regions": ["us-east-1"], "desired_capacity": "-"})
    unreachable = Running({}, "DescribeAutoScalingGroups not reachable: EndpointConnectionError")
    (count,), _ = region_counts(config.selected_regions(), config.desired_capacity, None, unreachable)
    assert count.instances == 0
    why = "DescribeAutoScalingGroups not reachable: EndpointConnectionError"
    assert count.source == f"'-': priced at 0, running instances not read ({why})"


def test_the_estimate_carries_every_item_in_its_json() -> None:
    report = estimate(CONFIG, NOW, egress_gb_per_day=3.0)
    shown = report.as_dict()
    assert [i["item"] for i in shown["items_per_day"]] == [i.name for i in report.items()]
    assert sum(i["on_demand_usd"] for i in shown["items_per_day"]) == pytest.approx(
        shown["fleet"]["per_day_usd"], abs=1e-3
    )
    assert sum(i["spot_usd"] for i in shown["items_per_day"]) == pytest.approx(shown["spot"]["per_day_usd"], abs=1e-3)
    assert shown["egress_gb_per_day"] == 3.0
    assert "data transfer out (3 GB/day)" in [i["item"] for i in shown["items_per_day"]]


# ------------------------------------------------------------------------------------------- Spot prices read


class _Ec2:
    """DescribeSpotPriceHistory as a region answers it: a price, or AWS's refusal for a region not enabled."""

    def __init__(self, region: str, refused: set[str]) -> None:
        self.region, self.refused = region, refused

    def describe_spot_price_history(self, **_: object) -> dict[str, object]:
        if self.region in self.refused:
            raise ClientError({"Error": {"Code": "AuthFailure", "Message": "not enabled"}}, "DescribeSpotPriceHistory")
        entry = {
            "InstanceType": "t3.micro",
            "AvailabilityZone": f"{self.region}a",
            "Timestamp": NOW,
            "SpotPrice": "0.003",
        }
        return {"SpotPriceHistory": [entry]}


class _Clients:
    def __init__(self, refused: set[str]) -> None:
        self.refused = refused

    def client(self, service: str, region: str) -> _Ec2:
        return _Ec2(region, self.refused)


def test_one_region_refusing_spot_prices_does_not_send_every_region_to_the_table() -> None:
    regions = ["ap-east-1", "eu-central-1", "us-east-1"]  # the refusing one read first
    live, source = spot_prices(_Clients({"ap-east-1"}), regions, ("t3.micro",), NOW)
    assert live == {"eu-central-1": {"t3.micro": 0.003}, "us-east-1": {"t3.micro": 0.003}}
    assert source == "DescribeSpotPriceHistory at 2026-12-01 00:00 UTC; table as of 2026-11-01 for ap-east-1"
    live, source = spot_prices(_Clients(set(regions)), regions, ("t3.micro",), NOW)
    assert live is None and source == "table as of 2026-11-01 (DescribeSpotPriceHistory refused: AuthFailure)"


def test_ipv6_only_agents_are_estimated_without_the_public_ipv4_charge() -> None:
    dual = estimate(parse_config({"regions": ["us-east-1"], "desired_capacity": 2}), NOW)
    ipv6_only = estimate(
        parse_config({"regions": ["us-east-1"], "desired_capacity": 2, "network": {"public_ipv4": False}}), NOW
    )
    assert dual.per_day.ipv4_cost == pytest.approx(2 * 24 * 0.005)
    assert ipv6_only.per_day.ipv4_cost == 0.0
