"""network (SPEC §3, §4): open_ports open to the internet over IPv4 and IPv6, all traffic between members, SSH
only from allow_ssh; old items' open_ports read as docs/configuration.md says; dual stack and public_ipv4 verified in
operator words. Pure: the config model, `p2p_core.wanted` and `p2p_core.verify` over a region as built."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from p2p_core.config import ConfigItem, parse_config
from p2p_core.config.validation import ConfigError
from p2p_core.infrastructure import infrastructure_hash
from p2p_core.models.observed import ObservedRegion, ObservedRoute, SecurityRule
from p2p_core.resources.security_group import wanted_egress, wanted_ingress
from p2p_core.resources.template_content import template_settings
from p2p_core.verify import region_drifts

from .planner_world import BUILD, GROUP, IGW, VPC_IPV6, healthy_region
from .test_verify import RUNNING, with_route_table

REGION = "eu-central-1"


def network(**fields: Any) -> Any:
    return parse_config({"network": fields}).network


def rule(protocol: str, low: int, high: int, peer: str) -> SecurityRule:
    return SecurityRule(protocol=protocol, from_port=low, to_port=high, peer=peer)


def drifts(seen: ObservedRegion, config: ConfigItem) -> list[str]:
    return region_drifts(config, seen, BUILD, infrastructure_hash(config))


# --- open_ports: [TCP range, UDP range], and how older items are read ----------------------------------


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        (["1024-65535"], ["1024-65535", "1024-65535"]),  # the old default: one range, TCP and UDP alike
        (["4001"], ["4001", "4001"]),
        ([4001], ["4001", "4001"]),
        ([Decimal(4001)], ["4001", "4001"]),  # a number as DynamoDB hands it over
        ([], [None, None]),  # nothing open, as before
        (["4001", "6881-6889"], ["4001", "6881-6889"]),  # two items: always [TCP, UDP]
        (["4001", None], ["4001", None]),
        ([None, "9000"], [None, "9000"]),
    ],
)
def test_open_ports_are_read_as_the_readme_documents(stored: list[Any], read: list[str | None]) -> None:
    assert network(open_ports=stored).open_ports == read


def test_more_than_two_ranges_are_refused_naming_the_field_and_the_fix() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"network": {"open_ports": ["4001", "8080", "30000-30100"]}})
    [error] = err.value.errors
    assert error.field == "network.open_ports"
    assert "[TCP range, UDP range]" in error.message and "3 items" in error.message


def test_a_bad_range_is_named_once_even_in_the_one_range_shape() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"network": {"open_ports": ["70000"]}})
    assert [(e.field, e.message) for e in err.value.errors] == [
        ("network.open_ports.0", "not a port or range like '443' or '1024-65535', got '70000'")
    ]


def test_public_ipv4_off_needs_ipv6_naming_both_fields() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"network": {"public_ipv4": False, "ipv6": False}})
    [error] = err.value.errors
    assert error.field == "network.public_ipv4"
    assert "network.ipv6 true" in error.message


def test_ssh_from_anywhere_is_accepted_with_a_warning() -> None:
    settings = network(allow_ssh=["0.0.0.0/0", "::/0", "2001:db8::/32", "203.0.113.0/24"])
    assert settings.warnings() == [
        "network.allow_ssh: 0.0.0.0/0 opens SSH (22/tcp) to the whole internet; name your own addresses instead",
        "network.allow_ssh: ::/0 opens SSH (22/tcp) to the whole internet; name your own addresses instead",
    ]
    assert network(allow_ssh=["203.0.113.0/24"]).warnings() == []


# --- the rules -------------------------------------------------------------------------------------------


def test_default_rules_open_both_ranges_to_the_internet_over_both_stacks_and_everything_between_members() -> None:
    assert wanted_ingress(GROUP, network()) == {
        SecurityRule(protocol="-1", peer=GROUP),
        *(rule(p, 1024, 65535, peer) for p in ("tcp", "udp") for peer in ("0.0.0.0/0", "::/0")),
    }
    assert wanted_egress(network()) == {SecurityRule(protocol="-1", peer=p) for p in ("0.0.0.0/0", "::/0")}


def test_a_null_range_closes_that_protocol_and_ipv6_off_keeps_only_ipv4() -> None:
    settings = network(open_ports=["4001", None], ipv6=False, allow_ssh=["2001:db8::/32"])
    assert wanted_ingress(GROUP, settings) == {
        SecurityRule(protocol="-1", peer=GROUP),
        rule("tcp", 4001, 4001, "0.0.0.0/0"),
        rule("tcp", 22, 22, "2001:db8::/32"),
    }
    assert wanted_egress(settings) == {SecurityRule(protocol="-1", peer="0.0.0.0/0")}


# --- dual stack and public IPv4, verified --------------------------------------------------------------


def test_a_region_built_dual_stack_matches_and_one_built_before_names_every_missing_piece() -> None:
    dual = parse_config({})
    assert drifts(healthy_region(dual, REGION, RUNNING), dual) == []
    ipv4_only = parse_config({"network": {"ipv6": False}})
    seen = healthy_region(ipv4_only, REGION, RUNNING)
    found = drifts(seen, dual)
    assert found[0] == "settings changed since the region was built (instance, network, logs or agent)"
    assert "VPC: no IPv6 block (network.ipv6)" in found
    assert "subnet subnet-eu-central-1a in eu-central-1a: no IPv6 block" in found
    assert "subnet subnet-eu-central-1b in eu-central-1b: does not assign IPv6 addresses" in found
    assert "route table: no IPv6 default route (::/0) to the internet gateway" in found
    assert "security group: missing egress all traffic to ::/0" in found
    assert "security group: missing ingress 1024-65535/udp from ::/0" in found


def test_ipv6_off_names_each_piece_left_dual_stack() -> None:
    off = parse_config({"network": {"ipv6": False}})
    found = drifts(healthy_region(parse_config({}), REGION, RUNNING), off)
    assert f"VPC: IPv6 block {VPC_IPV6}, want none (network.ipv6 false)" in found
    assert "subnet subnet-eu-central-1a in eu-central-1a: IPv6 block 2a05:d014:1:2300::/64, want none" in found
    assert "subnet subnet-eu-central-1c in eu-central-1c: assigns IPv6 addresses, want none" in found
    assert "route table: extra route ::/0 to igw-1" in found
    assert "security group: extra ingress 1024-65535/tcp from ::/0" in found


def test_an_ipv6_default_route_pointed_elsewhere_by_hand_is_named() -> None:
    config = parse_config({})
    seen = healthy_region(config, REGION, RUNNING)
    routes = [
        r.model_copy(update={"target": "eigw-9"}) if r.destination == "::/0" else r
        for r in seen.network.route_tables[0].routes
    ]
    assert drifts(with_route_table(seen, routes=routes), config) == [
        "route table: IPv6 default route goes to eigw-9, not the internet gateway"
    ]


def test_the_vpc_block_is_read_from_the_route_tables_local_route() -> None:
    config = parse_config({})
    seen = healthy_region(config, REGION, RUNNING)
    routes = [r for r in seen.network.route_tables[0].routes if r.destination != VPC_IPV6]
    assert drifts(with_route_table(seen, routes=routes), config) == ["VPC: no IPv6 block (network.ipv6)"]
    assert ObservedRoute(destination="::/0", target=IGW) in routes


def test_public_ipv4_off_wants_subnets_without_public_addresses_and_an_ipv6_interface() -> None:
    config = parse_config({"network": {"public_ipv4": False}})
    assert drifts(healthy_region(config, REGION, RUNNING), config) == []
    found = drifts(healthy_region(parse_config({}), REGION, RUNNING), config)
    assert (
        "subnet subnet-eu-central-1a in eu-central-1a: assigns public IPv4 addresses, want none "
        "(network.public_ipv4 false)" in found
    )
    assert any(d.endswith("NetworkInterfaces missing") for d in found)
    settings = template_settings(config, BUILD, REGION, GROUP)
    assert "SecurityGroupIds" not in settings
    assert settings["NetworkInterfaces"] == [
        {
            "DeviceIndex": 0,
            "AssociatePublicIpAddress": False,
            "Ipv6AddressCount": 1,
            "Groups": [GROUP],
            "DeleteOnTermination": True,
        }
    ]


def test_the_default_template_is_what_it_was_before_dual_stack() -> None:
    # dual stack with public IPv4 changes no launch template: running fleets are not rolled by the upgrade
    settings = template_settings(parse_config({}), BUILD, REGION, GROUP)
    assert settings["SecurityGroupIds"] == [GROUP] and "NetworkInterfaces" not in settings
