"""Verification, not trust (SPEC §4): each hand-made drift of a region, named in operator words; changes AWS
cannot make in place refused naming the field. Pure: a region as the reconciler leaves it, changed one way."""

from __future__ import annotations

from typing import Any

import pytest

from p2p_core import INFRA_TAG, ZONES_TAG
from p2p_core.config import ConfigItem, parse_config
from p2p_core.infrastructure import infrastructure_hash
from p2p_core.models.observed import (
    CapacityTarget,
    ObservedInternetGateway,
    ObservedNetwork,
    ObservedRegion,
    ObservedRoute,
    ObservedSubnet,
    ObservedTemplateVersion,
    ObservedVpc,
    SecurityRule,
)
from p2p_core.resources.template_content import template_data, template_differences, template_settings
from p2p_core.resources.vpc import CIDR_CHANGED
from p2p_core.resources.zones import NO_ROOM_FOR_SUBNETS
from p2p_core.verify import refusal, region_drifts

from .planner_world import BUILD, GROUP, IGW, VPC, healthy_region

REGION = "eu-central-1"
CONFIG = parse_config({})
RUNNING = CapacityTarget(min_size=0, max_size=30, desired_capacity=1)


def healthy(config: ConfigItem = CONFIG) -> ObservedRegion:
    return healthy_region(config, REGION, RUNNING)


def drifts(seen: ObservedRegion, config: ConfigItem = CONFIG) -> list[str]:
    return region_drifts(config, seen, BUILD, infrastructure_hash(config))


def with_network(seen: ObservedRegion, **changes: Any) -> ObservedRegion:
    return seen.model_copy(update={"network": seen.network.model_copy(update=changes)})


def with_group(seen: ObservedRegion, **changes: Any) -> ObservedRegion:
    assert seen.asg is not None
    return seen.model_copy(update={"asg": seen.asg.model_copy(update=changes)})


def with_route_table(seen: ObservedRegion, **changes: Any) -> ObservedRegion:
    table = seen.network.route_tables[0].model_copy(update=changes)
    return with_network(seen, route_tables=[table])


def with_security_group(seen: ObservedRegion, **changes: Any) -> ObservedRegion:
    group = seen.network.security_groups[0].model_copy(update=changes)
    return with_network(seen, security_groups=[group])


def test_a_region_as_the_reconciler_left_it_has_no_drift() -> None:
    assert drifts(healthy()) == []
    assert refusal(CONFIG, healthy(), infrastructure_hash(CONFIG)) is None


def test_a_spot_region_as_the_reconciler_left_it_has_no_drift_and_a_changed_policy_is_named() -> None:
    spot = parse_config({"instance": {"market": "spot", "on_demand_base": 1}})
    assert drifts(healthy(spot), spot) == []
    by_hand = with_group(healthy(spot), policy_types=["t3.micro"], capacity_rebalance=False)
    assert drifts(by_hand, spot) == [
        "Auto Scaling group: instance types t3.micro, want t3.micro, t3a.micro, t2.micro",
        "Auto Scaling group: Capacity Rebalancing off, want on",
    ]
    assert drifts(with_group(healthy(spot), policy_types=None), spot) == [
        "Auto Scaling group: no MixedInstancesPolicy, want Spot over t3.micro, t3a.micro, t2.micro "
        "(1 on-demand base, price-capacity-optimized)"
    ]


def test_types_the_group_records_as_not_offered_are_not_drift() -> None:
    spot = parse_config({"instance": {"market": "spot"}})
    seen = healthy(spot)
    assert seen.asg is not None
    dropped = with_group(
        seen, policy_types=["t3.micro", "t2.micro"], tags={**seen.asg.tags, "p2p:types-not-offered": "t3a.micro"}
    )
    assert drifts(dropped, spot) == []


def test_a_region_that_does_not_exist_yet_has_no_drift_to_name() -> None:
    assert drifts(ObservedRegion(region=REGION)) == []


# --- subnets -----------------------------------------------------------------------------------------


def test_a_deleted_subnet_is_named_with_its_zone() -> None:
    seen = healthy()
    kept = [s for s in seen.network.subnets if s.zone != "eu-central-1b"]
    assert drifts(with_network(seen, subnets=kept)) == ["subnet subnet-eu-central-1b in eu-central-1b is gone"]


def test_a_deleted_subnet_the_group_no_longer_spans_is_still_missed_in_its_zone() -> None:
    seen = healthy()
    kept = [s for s in seen.network.subnets if s.zone != "eu-central-1b"]
    seen = with_group(with_network(seen, subnets=kept), subnet_ids=[s.subnet_id for s in kept])
    assert drifts(seen) == ["subnet in eu-central-1b is gone"]


def test_a_subnet_that_stopped_assigning_public_ips_is_named() -> None:
    seen = healthy()
    subnets = [s.model_copy(update={"public": s.zone != "eu-central-1a"}) for s in seen.network.subnets]
    assert drifts(with_network(seen, subnets=subnets)) == [
        "subnet subnet-eu-central-1a in eu-central-1a: does not assign public IPs"
    ]


def test_a_subnet_outside_the_fleets_zones_is_named_as_unused() -> None:
    seen = healthy()
    extra = ObservedSubnet(
        subnet_id="subnet-x", vpc_id=VPC, zone="eu-central-1c", cidr_block="10.20.30.192/26", public=True
    )
    seen = with_network(seen, subnets=[*seen.network.subnets, extra])
    assert drifts(seen) == ["subnet subnet-x in eu-central-1c: not used by the fleet"]


def test_a_group_moved_off_a_subnet_by_hand_is_named() -> None:
    seen = healthy()
    assert seen.asg is not None
    seen = with_group(seen, subnet_ids=seen.asg.subnet_ids[:2])
    assert drifts(seen) == ["Auto Scaling group: does not span subnet-eu-central-1c (eu-central-1c)"]


# --- security group ----------------------------------------------------------------------------------


def test_ssh_opened_to_the_world_by_hand_is_named() -> None:
    seen = healthy()
    ssh = SecurityRule(protocol="tcp", from_port=22, to_port=22, peer="0.0.0.0/0")
    seen = with_security_group(seen, ingress=[*seen.network.security_groups[0].ingress, ssh])
    assert drifts(seen) == ["security group: extra ingress 22/tcp from 0.0.0.0/0"]


def test_a_rule_revoked_by_hand_is_named_as_missing() -> None:
    seen = healthy()
    kept = [r for r in seen.network.security_groups[0].ingress if r.protocol != "udp"]
    assert drifts(with_security_group(seen, ingress=kept)) == [
        "security group: missing ingress 1024-65535/udp from 0.0.0.0/0",
        "security group: missing ingress 1024-65535/udp from ::/0",
    ]


def test_the_traffic_between_members_is_verified() -> None:
    seen = healthy()
    kept = [r for r in seen.network.security_groups[0].ingress if r.peer != GROUP]
    assert drifts(with_security_group(seen, ingress=kept)) == [
        "security group: missing ingress all traffic from the group itself"
    ]


def test_an_old_member_only_rule_set_is_named_rule_by_rule() -> None:
    # what the control plane opened before open_ports meant "to the internet"
    old = [SecurityRule(protocol=p, from_port=1024, to_port=65535, peer=GROUP) for p in ("tcp", "udp")]
    assert drifts(with_security_group(healthy(), ingress=old)) == [
        "security group: missing ingress all traffic from the group itself",
        "security group: missing ingress 1024-65535/tcp from 0.0.0.0/0",
        "security group: missing ingress 1024-65535/tcp from ::/0",
        "security group: missing ingress 1024-65535/udp from 0.0.0.0/0",
        "security group: missing ingress 1024-65535/udp from ::/0",
        "security group: extra ingress 1024-65535/tcp from the group itself",
        "security group: extra ingress 1024-65535/udp from the group itself",
    ]


def test_egress_is_verified_too() -> None:
    seen = with_security_group(healthy(), egress=[])
    assert drifts(seen) == [
        "security group: missing egress all traffic to 0.0.0.0/0",
        "security group: missing egress all traffic to ::/0",
    ]


def test_ssh_from_allow_ssh_is_wanted_and_nothing_else() -> None:
    config = parse_config({"network": {"allow_ssh": ["203.0.113.0/24"]}})
    assert drifts(healthy(config), config) == []
    assert drifts(healthy(), config) == [
        "settings changed since the region was built (instance, network, logs or agent)",
        "security group: missing ingress 22/tcp from 203.0.113.0/24",
    ]


def test_a_deleted_security_group_is_named() -> None:
    assert drifts(with_network(healthy(), security_groups=[])) == ["security group: gone"]


# --- route table and internet gateway ----------------------------------------------------------------


def test_a_deleted_default_route_is_named() -> None:
    seen = healthy()
    local = [r for r in seen.network.route_tables[0].routes if r.target == "local"]
    assert drifts(with_route_table(seen, routes=local)) == [
        "route table: no default route to the internet gateway",
        "route table: no IPv6 default route (::/0) to the internet gateway",
    ]


def test_a_detached_gateway_shows_as_a_blackhole_default_route() -> None:
    seen = healthy()
    routes = [
        r.model_copy(update={"state": "blackhole"}) if r.target == IGW else r
        for r in seen.network.route_tables[0].routes
    ]
    assert drifts(with_route_table(seen, routes=routes)) == [
        "internet gateway igw-1: not attached to the VPC (the default route is a blackhole)"
    ]


def test_a_gateway_read_detached_is_named_when_the_gateways_were_described() -> None:
    seen = with_network(healthy(), internet_gateways=[ObservedInternetGateway(gateway_id=IGW)])
    assert drifts(seen) == ["internet gateway igw-1: not attached to the VPC"]
    assert drifts(with_network(healthy(), internet_gateways=[])) == ["internet gateway: gone"]


def test_a_route_added_by_hand_is_named() -> None:
    seen = healthy()
    peering = ObservedRoute(destination="10.0.0.0/8", target="pcx-1")
    seen = with_route_table(seen, routes=[*seen.network.route_tables[0].routes, peering])
    assert drifts(seen) == ["route table: extra route 10.0.0.0/8 to pcx-1"]


def test_a_removed_association_is_named() -> None:
    seen = healthy()
    table = seen.network.route_tables[0]
    seen = with_route_table(seen, subnet_ids=table.subnet_ids[1:])
    assert drifts(seen) == ["route table: subnet subnet-eu-central-1a (eu-central-1a) is not associated"]


def test_a_deleted_route_table_is_named() -> None:
    seen = with_network(healthy(), route_tables=[])
    assert drifts(seen) == ["route table: gone"]


def test_a_region_whose_network_is_gone_names_the_vpc() -> None:
    seen = healthy().model_copy(update={"network": ObservedNetwork()})
    assert drifts(seen) == ["VPC: gone"]


# --- log group -------------------------------------------------------------------------------------


def test_log_retention_changed_by_hand_is_named() -> None:
    seen = healthy()
    assert seen.log_group is not None
    seen = seen.model_copy(update={"log_group": seen.log_group.model_copy(update={"retention_days": 30})})
    assert drifts(seen) == ["log group retention 30 days, want 7"]


def test_a_deleted_log_group_is_named_and_ignored_when_logs_are_off() -> None:
    seen = healthy().model_copy(update={"log_group": None})
    assert drifts(seen) == ["log group /p2p/p2p/agents: gone"]
    off = parse_config({"logs": {"enabled": False}})
    assert drifts(healthy(off), off) == []


# --- Auto Scaling group ------------------------------------------------------------------------------


def test_a_deleted_group_is_named() -> None:
    assert drifts(healthy().model_copy(update={"asg": None})) == ["Auto Scaling group: gone"]


def test_tags_of_the_group_are_verified() -> None:
    seen = healthy()
    assert seen.asg is not None
    tags = {k: v for k, v in seen.asg.tags.items() if k != ZONES_TAG} | {"Name": "mine"}
    assert drifts(with_group(seen, tags=tags)) == [
        f"Auto Scaling group: tag {ZONES_TAG} missing",
        "Auto Scaling group: tag Name is 'mine', want p2p-agents",
    ]


def test_changed_settings_are_named_even_when_nothing_else_shows_them() -> None:
    config = parse_config({"network": {"az_number": 2}})
    seen = healthy(config)
    assert seen.asg is not None
    seen = with_group(seen, tags={**seen.asg.tags, INFRA_TAG: "older"})
    assert drifts(seen, config) == ["settings changed since the region was built (instance, network, logs or agent)"]


# --- launch template ---------------------------------------------------------------------------------


def hand_made_default(seen: ObservedRegion, data: dict[str, Any], description: str = "") -> ObservedRegion:
    template = seen.launch_template
    assert template is not None
    ours = template.versions[0].model_copy(update={"default": False})
    mine = ObservedTemplateVersion(number=2, description=description, default=True, data=data)
    return seen.model_copy(
        update={"launch_template": template.model_copy(update={"default_version": 2, "versions": [ours, mine]})}
    )


def test_a_new_default_version_made_by_hand_is_named_with_what_differs() -> None:
    seen = healthy()
    assert seen.launch_template is not None
    data = {**seen.launch_template.versions[0].data, "InstanceType": "t3.large"}
    assert drifts(hand_made_default(seen, data)) == [
        "Auto Scaling group: launches version 1, not the default 2",
        "launch template default version 2: not made by p2p",
        "launch template default version 2: InstanceType 't3.large', want 't3.micro'",
    ]


def test_a_copied_description_does_not_hide_content_changed_by_hand() -> None:
    seen = healthy()
    assert seen.launch_template is not None
    ours = seen.launch_template.versions[0]
    seen = hand_made_default(seen, {**ours.data, "KeyName": "someone"}, ours.description)
    seen = with_group(seen, template_version="2")
    assert drifts(seen) == ["launch template default version 2: KeyName set by hand"]


def test_a_deleted_launch_template_is_named() -> None:
    assert drifts(healthy().model_copy(update={"launch_template": None})) == ["launch template: gone"]


def test_template_content_ignores_the_ami_the_root_device_name_and_fields_ec2_adds() -> None:
    settings = template_settings(CONFIG, BUILD, REGION, GROUP)
    data = template_data(settings, "ami-any", "/dev/xvda")
    data["MetadataOptions"] = {**data["MetadataOptions"], "HttpProtocolIpv6": "disabled"}
    data["TagSpecifications"] = [*data["TagSpecifications"], {"ResourceType": "launch-template", "Tags": []}]
    data["SecurityGroupIds"] = list(reversed(data["SecurityGroupIds"]))
    assert template_differences(data, settings) == []
    assert template_differences({**data, "UserData": "eA=="}, settings) == ["UserData differs"]
    volume = {**data["BlockDeviceMappings"][0]["Ebs"], "VolumeSize": 100}
    changed = {**data, "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": volume}]}
    assert template_differences(changed, settings) == ["BlockDeviceMappings differs"]


# --- changes AWS cannot make in place ----------------------------------------------------------------


def test_a_new_cidr_block_on_an_existing_vpc_is_refused_naming_the_field_and_both_blocks() -> None:
    config = parse_config({"network": {"cidr_block": "10.99.0.0/24"}})
    refused = refusal(config, healthy(), infrastructure_hash(config))
    assert refused is not None and refused.code == CIDR_CHANGED
    assert "network.cidr_block '10.99.0.0/24'" in refused.message and "'10.20.30.0/24'" in refused.message
    assert "vpc-1 in eu-central-1" in refused.message


def test_a_new_cidr_block_is_no_refusal_where_no_vpc_exists_yet() -> None:
    config = parse_config({"network": {"cidr_block": "10.99.0.0/24"}})
    assert refusal(config, ObservedRegion(region=REGION), infrastructure_hash(config)) is None
    read_by_describe = with_network(healthy(), vpcs=[ObservedVpc(vpc_id=VPC, cidr_block="10.20.30.0/24")])
    assert refusal(config, read_by_describe, infrastructure_hash(config)) is not None


@pytest.mark.parametrize(("az_number", "refused"), [(4, False), (5, False), (6, True)])
def test_more_zones_than_the_vpc_has_room_for_are_refused_naming_az_number(az_number: int, refused: bool) -> None:
    config = parse_config({"network": {"az_number": az_number}})
    found = refusal(config, healthy(), infrastructure_hash(config))
    assert (found is not None) == refused
    if found is not None:
        assert found.code == NO_ROOM_FOR_SUBNETS
        assert found.message.startswith("network.az_number 6 needs 3 more subnet(s) in eu-central-1")
        assert "set network.az_number to at most 5" in found.message


def test_a_region_built_for_its_settings_is_never_refused_for_room() -> None:
    config = parse_config({"network": {"az_number": 6}})
    seen = healthy(config)  # a region offering 3 zones only: built, with fewer than az_number subnets
    assert seen.asg is not None
    three = [s for s in seen.network.subnets][:3]
    seen = with_group(
        with_network(seen, subnets=three), tags={**seen.asg.tags, ZONES_TAG: " ".join(s.zone for s in three)}
    )
    assert refusal(config, seen, infrastructure_hash(config)) is None
