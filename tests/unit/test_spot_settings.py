"""`instance.market`, `types`, `on_demand_base`, `spot_allocation`: validation and the wanted MixedInstancesPolicy."""

from __future__ import annotations

from typing import Any

import pytest

from p2p_core.config import parse_config
from p2p_core.config.validation import ConfigError
from p2p_core.cost.fleet import US_EAST_1_HOURLY, US_EAST_1_SPOT_HOURLY, FleetCost, FleetLine
from p2p_core.cost.spot import spot_fleet_cost
from p2p_core.infrastructure import infrastructure_hash
from p2p_core.market import DEFAULT_TYPES, purchase_drifts, region_buying
from p2p_core.resources.template_content import template_digest

TEMPLATE = {"LaunchTemplateId": "lt-1", "Version": "3"}


def test_an_item_setting_none_of_them_keeps_a_plain_group_and_its_hashes() -> None:
    plain = parse_config({"instance": {"type": "t3.micro"}})
    assert plain.instance.buying() is None
    explicit_defaults = parse_config(
        {"instance": {"market": "on-demand", "on_demand_base": 0, "spot_allocation": "price-capacity-optimized"}}
    )
    assert explicit_defaults.instance.buying() is None
    assert infrastructure_hash(explicit_defaults) == infrastructure_hash(parse_config({}))
    assert explicit_defaults.content_digest() == parse_config({}).content_digest()
    assert template_digest({}, explicit_defaults.instance) == template_digest({}, parse_config({}).instance)


def test_the_stored_item_keeps_only_what_was_typed() -> None:
    assert parse_config({"instance": {"market": "spot"}}).to_item() == {"instance": {"market": "spot"}}


def test_spot_without_types_uses_the_same_size_burstable_types_of_the_architecture() -> None:
    x86 = parse_config({"instance": {"market": "spot"}}).instance.buying()
    assert x86 is not None and x86.types == ("t3.micro", "t3a.micro", "t2.micro")
    arm = parse_config({"instance": {"market": "spot", "type": "t4g.micro", "architecture": "arm64"}}).instance
    assert arm.buying() is not None and arm.buying().types == ("t4g.micro", "t4g.small")  # type: ignore[union-attr]
    unknown = parse_config({"instance": {"market": "spot", "type": "c7i.large"}}).instance.buying()
    assert unknown is not None and unknown.types == ("c7i.large",)  # no table entry: the type alone


def test_a_spot_group_is_a_mixed_instances_policy_with_an_on_demand_base() -> None:
    config = parse_config({"instance": {"market": "spot", "types": ["t3a.micro"], "on_demand_base": 2}})
    buying = config.instance.buying()
    assert buying is not None
    assert buying.policy(TEMPLATE) == {
        "LaunchTemplate": {
            "LaunchTemplateSpecification": TEMPLATE,
            "Overrides": [{"InstanceType": "t3.micro"}, {"InstanceType": "t3a.micro"}],
        },
        "InstancesDistribution": {
            "OnDemandBaseCapacity": 2,
            "OnDemandPercentageAboveBaseCapacity": 0,
            "SpotAllocationStrategy": "price-capacity-optimized",
        },
    }


def test_explicit_types_on_demand_buy_on_demand_over_several_types() -> None:
    buying = parse_config({"instance": {"types": ["t3a.micro"]}}).instance.buying()
    assert buying is not None and not buying.spot
    assert buying.policy(TEMPLATE)["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"] == 100


INVALID = [
    ({"market": "cheap"}, "instance.market", "input should be 'on-demand' or 'spot' (got 'cheap')"),
    ({"types": "t3a.micro"}, "instance.types", "input should be a valid list"),
    ({"types": ["t3a.micro", "T3"]}, "instance.types.1", "not an instance type like 't3a.micro', got 'T3'"),
    ({"types": ["t3a.micro", "t3a.micro"]}, "instance.types.1", "'t3a.micro' is listed twice"),
    ({"types": [f"t3.x{i}" for i in range(40)]}, "instance.types", "at most 39 extra types"),
    ({"on_demand_base": -1}, "instance.on_demand_base", "greater than or equal to 0 (got -1)"),
    ({"spot_allocation": "diversified"}, "instance.spot_allocation", "(got 'diversified')"),
]


@pytest.mark.parametrize(("instance", "field", "message"), INVALID, ids=lambda v: str(v)[:40])
def test_bad_purchase_settings_name_the_field_and_the_value(instance: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"instance": instance})
    found = {e.field: e.message for e in caught.value.errors}
    assert field in found and message in found[field], found


@pytest.mark.parametrize(
    "allocation", ["lowest-price", "capacity-optimized", "capacity-optimized-prioritized", "price-capacity-optimized"]
)
def test_every_aws_spot_allocation_strategy_is_accepted(allocation: str) -> None:
    buying = parse_config({"instance": {"market": "spot", "spot_allocation": allocation}}).instance.buying()
    assert (
        buying is not None and buying.policy(TEMPLATE)["InstancesDistribution"]["SpotAllocationStrategy"] == allocation
    )


def test_purchase_drifts_name_each_difference_in_operator_words() -> None:
    want = parse_config({"instance": {"market": "spot"}}).instance.buying()
    distribution = {
        "OnDemandBaseCapacity": 0,
        "OnDemandPercentageAboveBaseCapacity": 100,
        "SpotAllocationStrategy": "lowest-price",
    }
    assert purchase_drifts(want, ["t3.micro"], distribution, False) == [
        "Auto Scaling group: instance types t3.micro, want t3.micro, t3a.micro, t2.micro",
        "Auto Scaling group: OnDemandPercentageAboveBaseCapacity 100, want 0 (instance.market)",
        "Auto Scaling group: SpotAllocationStrategy lowest-price, want price-capacity-optimized "
        "(instance.spot_allocation)",
        "Auto Scaling group: Capacity Rebalancing off, want on",
    ]
    assert purchase_drifts(want, None, {}, False) == [
        "Auto Scaling group: no MixedInstancesPolicy, want Spot over t3.micro, t3a.micro, t2.micro "
        "(0 on-demand base, price-capacity-optimized)"
    ]
    assert purchase_drifts(None, None, {}, False) == []  # a plain group as before
    assert purchase_drifts(None, ["t3.micro"], {}, True) == [
        "Auto Scaling group: MixedInstancesPolicy over t3.micro, want a plain launch template",
        "Auto Scaling group: Capacity Rebalancing on, want off",
    ]


def test_a_region_without_some_types_buys_over_the_rest_in_order() -> None:
    want = parse_config({"instance": {"market": "spot"}}).instance.buying()
    mine = region_buying(want, ["t3a.micro"])
    assert mine is not None and mine.types == ("t3.micro", "t2.micro")


def test_every_type_spot_may_use_by_default_has_an_on_demand_and_a_spot_price() -> None:
    used = set(DEFAULT_TYPES) | {t for extra in DEFAULT_TYPES.values() for t in extra}
    assert used <= set(US_EAST_1_HOURLY)
    assert set(US_EAST_1_SPOT_HOURLY) == set(US_EAST_1_HOURLY)
    assert all(US_EAST_1_SPOT_HOURLY[t] < US_EAST_1_HOURLY[t] for t in US_EAST_1_SPOT_HOURLY)


def test_spot_cost_prices_the_base_on_demand_and_the_rest_at_the_spot_price() -> None:
    line = FleetLine(
        region="us-east-1",
        instances=4,
        hourly_price=0.0104,
        instance_cost=4 * 0.0104 * 24,
        ebs_cost=0.1,
        ipv4_cost=0.0,
        egress_cost=0.0,
    )
    on_demand = FleetCost("t3.micro", 24.0, 8, "gp3", False, 0.0, (line,))
    spot = spot_fleet_cost(on_demand, ("t3.micro", "t3a.micro"), 1, "price-capacity-optimized")
    (priced,) = spot.lines
    assert (priced.on_demand, priced.spot, priced.spot_hourly_price) == (1, 3, 0.0034)  # the cheaper type, table
    assert spot.total == pytest.approx((0.0104 + 3 * 0.0034) * 24 + 0.1)
    live = spot_fleet_cost(on_demand, ("t3.micro",), 0, "lowest-price", live={"us-east-1": {"t3.micro": 0.002}})
    assert live.total == pytest.approx(4 * 0.002 * 24 + 0.1) and live.spot_instances == 4
