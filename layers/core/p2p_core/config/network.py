"""The config's `network` section: each region's VPC and security group, validated as AWS would take them."""

from __future__ import annotations

import ipaddress
import math
import re
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from p2p_core.config.validation import problem, problems, show_value

SMALLEST_SUBNET_PREFIX = 28  # AWS subnets stop at /28
RESERVED_PER_SUBNET = 5  # AWS keeps the first four addresses and the last of every subnet
_PORTS = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")
PROTOCOLS = ("tcp", "udp")  # the order of open_ports' two ranges, as upstream's ["TCP-range", "UDP-range"]
DEFAULT_OPEN_PORTS = ("1024-65535", "1024-65535")
_SSH_KEY = re.compile(r"^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-\S+) [A-Za-z0-9+/=]+( .*)?$")


def subnet_prefix(vpc: ipaddress.IPv4Network, az_number: int) -> int:
    """The prefix of the region's subnets: the VPC split in blocks, at least one spare for a larger az_number."""
    return min(SMALLEST_SUBNET_PREFIX, vpc.prefixlen + max(1, math.ceil(math.log2(max(az_number, 1)))))


class NetworkSettings(BaseModel):
    """Per-region VPC and security group."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    cidr_block: str = Field(
        "10.20.30.0/24", description="each region's VPC block (IPv4), split into az_number subnets and a spare block"
    )
    az_number: int = Field(3, ge=1, le=6, description="up to this many availability zones of a region, one subnet each")
    open_ports: list[str | None] = Field(
        default_factory=lambda: list[str | None](DEFAULT_OPEN_PORTS),
        description="[TCP range, UDP range] open to the internet (0.0.0.0/0, and ::/0 with ipv6); null = none. "
        "Read from older items: [] = [null, null], [R] = [R, R]",
    )
    allow_ssh: list[str] = Field(default_factory=list, description="CIDRs (IPv4 or IPv6) allowed to reach 22/tcp")
    public_keys: list[str] = Field(
        default_factory=list, description="people's public SSH keys, installed in ~ubuntu/.ssh/authorized_keys"
    )
    ipv6: bool = Field(True, description="dual stack: an Amazon IPv6 block on the VPC, a /64 per subnet, ::/0 rules")
    public_ipv4: bool = Field(True, description="false: agents get no public IPv4 address (IPv6 only; needs ipv6)")

    @field_validator("cidr_block")
    @classmethod
    def _vpc_cidr(cls, value: str) -> str:
        try:
            net = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            raise problem(f"not an IPv4 network {show_value(value)} ({exc})") from None
        if not 16 <= net.prefixlen <= 28:
            raise problem(f"VPC prefix must be /16 to /28, got {show_value(value)}")
        return value

    @field_validator("open_ports", mode="before")
    @classmethod
    def _ports(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        if len(value) > len(PROTOCOLS):
            raise problem(
                f"takes [TCP range, UDP range] (each a port, a range like '1024-65535', or null), got {len(value)} "
                f"items {show_value(value)}; open one range per protocol, e.g. ['4001', '4001']"
            )
        found: list[tuple[str, str]] = []
        out: list[str | None] = []
        for i, item in enumerate(value):
            if item is None:
                out.append(None)
                continue
            text = _port_text(item)
            match = _PORTS.match(text) if text is not None else None
            low, high = (int(match.group(1)), int(match.group(2) or match.group(1))) if match else (1, 0)
            if not match or not 0 <= low <= high <= 65535:
                found.append((str(i), f"not a port or range like '443' or '1024-65535', got {show_value(item)}"))
            out.append(text)
        if found:
            raise problems(found)
        # older items listed ranges opened for TCP and UDP alike: [] is none, [R] is R for both
        return [None, None] if not out else out * 2 if len(out) == 1 else out

    @model_validator(mode="after")
    def _ipv4_or_ipv6(self) -> NetworkSettings:
        if not (self.public_ipv4 or self.ipv6):
            why = "network.public_ipv4 false needs network.ipv6 true: agents would have no public address"
            raise problems([("public_ipv4", why)])
        return self

    @field_validator("allow_ssh")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        found: list[tuple[str, str]] = []
        for i, item in enumerate(value):
            try:
                ipaddress.ip_network(item, strict=True)
            except ValueError:
                found.append((str(i), f"not a CIDR like '203.0.113.0/24', got {show_value(item)}"))
        if found:
            raise problems(found)
        return value

    @field_validator("public_keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        found = [
            (str(i), f"not an OpenSSH public key, got {show_value(k)}")
            for i, k in enumerate(value)
            if not _SSH_KEY.match(k)
        ]
        if found:
            raise problems(found)
        return value

    def port_ranges(self) -> dict[str, tuple[int, int]]:
        """open_ports as {protocol: (from, to)}, without the protocols left closed (null)."""
        pairs = {}
        for protocol, item in zip(PROTOCOLS, self.open_ports, strict=True):
            if item is not None:
                low, _, high = item.partition("-")
                pairs[protocol] = (int(low), int(high or low))
        return pairs

    def subnets(self) -> tuple[int, int]:
        """How many subnets the region gets at most, and their prefix (the reconciler's split, `wanted.free_blocks`)."""
        vpc = ipaddress.IPv4Network(self.cidr_block)
        prefix = subnet_prefix(vpc, self.az_number)
        return min(self.az_number, 1 << (prefix - vpc.prefixlen)), prefix

    def instance_room(self) -> int:
        """How many instances the region's subnets hold: one address each, AWS's reserved ones left out."""
        count, prefix = self.subnets()
        return count * ((1 << (32 - prefix)) - RESERVED_PER_SUBNET)

    def room_text(self) -> str:
        """The network's room as an error line says it."""
        count, prefix = self.subnets()
        return (
            f"network.cidr_block {self.cidr_block} with network.az_number {self.az_number} makes {count} /{prefix} "
            f"subnet(s): {self.instance_room()} instance addresses ({RESERVED_PER_SUBNET} per subnet are AWS's)"
        )

    def warnings(self) -> list[str]:
        """Settings that are valid but risky, in operator words (printed by plan and config validate)."""
        return [
            f"network.allow_ssh: {cidr} opens SSH (22/tcp) to the whole internet; name your own addresses instead"
            for cidr in self.allow_ssh
            if ipaddress.ip_network(cidr).prefixlen == 0
        ]


def _port_text(item: Any) -> str | None:
    """A port item as text: '443', '1024-65535' (numbers as DynamoDB or JSON give them), else None."""
    if isinstance(item, bool):
        return None
    if isinstance(item, int | Decimal) or (isinstance(item, float) and item.is_integer()):
        try:
            whole = int(item)
        except (ValueError, OverflowError):  # Decimal NaN/Infinity
            return None
        return str(whole) if whole == item else None
    return item if isinstance(item, str) else None
