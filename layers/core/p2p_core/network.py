"""The config's `network` section: each region's VPC and security group, validated as AWS would take them."""

from __future__ import annotations

import ipaddress
import math
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from p2p_core.validation import problem, problems, show_value

SMALLEST_SUBNET_PREFIX = 28  # AWS subnets stop at /28
RESERVED_PER_SUBNET = 5  # AWS keeps the first four addresses and the last of every subnet
_PORTS = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")
_SSH_KEY = re.compile(r"^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-\S+) [A-Za-z0-9+/=]+( .*)?$")


def subnet_prefix(vpc: ipaddress.IPv4Network, az_number: int) -> int:
    """The prefix of the region's subnets: the VPC split in blocks, at least one spare for a larger az_number."""
    return min(SMALLEST_SUBNET_PREFIX, vpc.prefixlen + max(1, math.ceil(math.log2(max(az_number, 1)))))


class NetworkSettings(BaseModel):
    """Per-region VPC and security group."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    cidr_block: str = "10.20.30.0/24"
    az_number: int = Field(3, ge=1, le=6)
    open_ports: list[str] = Field(default_factory=lambda: ["1024-65535"])
    allow_ssh: list[str] = Field(default_factory=list)
    public_keys: list[str] = Field(default_factory=list)

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
        found: list[tuple[str, str]] = []
        out: list[str] = []
        for i, item in enumerate(value):
            whole = isinstance(item, int) or (isinstance(item, float) and item.is_integer())  # not inf/NaN/443.5
            text = str(int(item)) if whole and not isinstance(item, bool) else item
            match = _PORTS.match(text) if isinstance(text, str) else None
            low, high = (int(match.group(1)), int(match.group(2) or match.group(1))) if match else (1, 0)
            if not match or not 0 <= low <= high <= 65535:
                found.append((str(i), f"not a port or range like '443' or '1024-65535', got {show_value(item)}"))
            out.append(str(text))
        if found:
            raise problems(found)
        return out

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

    def port_ranges(self) -> list[tuple[int, int]]:
        """open_ports as (from, to) pairs."""
        pairs = []
        for item in self.open_ports:
            low, _, high = item.partition("-")
            pairs.append((int(low), int(high or low)))
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
