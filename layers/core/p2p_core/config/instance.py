"""`instance`: the launch template's settings, with EC2's limits on the root volume checked up front.

The root volume must be a type an instance can boot from (not `st1`/`sc1`), of a size the type allows,
and `io1`/`io2` need provisioned IOPS (`instance.iops`, also allowed for `gp3`) within EC2's range and
its IOPS-per-GiB ratio. Whether the instance type runs `instance.architecture` and is offered in a
region is known only to EC2: Plan checks that (p2p_core.checks.instance_types).

`instance.market`, `types`, `on_demand_base` and `spot_allocation` say how the group buys its
instances (p2p_core.market); an item that sets none of them keeps a plain launch-template group.

`instance.refresh` says how running instances reach a new launch template version (an Auto Scaling
instance refresh, p2p_core.reconciler.refresh). It shapes no resource, so it is not part of the
infrastructure hash: changing it never makes a new template version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from p2p_core.config.validation import problem, problems, show_value
from p2p_core.market import DEFAULT_SPOT_ALLOCATION, MAX_TYPES, Buying, Market, SpotAllocation, default_types

_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9-]+$")
BOOTABLE_VOLUME_TYPES = ("gp3", "gp2", "io1", "io2", "standard")
NOT_BOOTABLE_VOLUME_TYPES = ("st1", "sc1")  # throughput HDDs: EC2 refuses them as a root volume
SMALLEST_ROOT_VOLUME = 8  # GiB: the Ubuntu images' root snapshot


@dataclass(frozen=True)
class VolumeLimits:
    """What EC2 accepts for one volume type (EC2 API reference, LaunchTemplateEbsBlockDeviceRequest)."""

    max_size: int  # GiB
    iops: tuple[int, int] | None = None  # (min, max) provisioned IOPS; None: IOPS cannot be set
    iops_per_gib: int = 0  # the largest IOPS per GiB of volume size
    iops_required: bool = False


VOLUME_LIMITS: dict[str, VolumeLimits] = {
    "gp3": VolumeLimits(max_size=65_536, iops=(3_000, 80_000), iops_per_gib=500),
    "gp2": VolumeLimits(max_size=16_384),
    "io1": VolumeLimits(max_size=16_384, iops=(100, 64_000), iops_per_gib=50, iops_required=True),
    "io2": VolumeLimits(max_size=65_536, iops=(100, 256_000), iops_per_gib=1_000, iops_required=True),
    "standard": VolumeLimits(max_size=1_024),
}


class RefreshSettings(BaseModel):
    """`instance.refresh`: roll running instances onto a new launch template version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="replace instances running an older template version")
    min_healthy_percentage: int = Field(
        90,
        ge=0,
        le=100,
        description="share of the desired capacity kept in service while instances are replaced (100: one at a time)",
    )


# EC2's architecture names as Ubuntu (AMIs, .deb packages) spells them
UBUNTU_ARCH = {"x86_64": "amd64", "arm64": "arm64"}
# the python3 (/usr/bin/python3) each accepted `instance.os` ships: the agent runner runs under every one
OS_PYTHON = {"ubuntu-24.04": "3.12", "ubuntu-22.04": "3.10"}


class InstanceSettings(BaseModel):
    """Launch template settings."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    type: str = Field(
        "t3.micro", description="the EC2 instance type; Plan checks it runs `architecture` in each region"
    )
    os: Literal["ubuntu-24.04", "ubuntu-22.04"] = Field("ubuntu-24.04", description="the Ubuntu release agents boot")
    architecture: Literal["x86_64", "arm64"] = Field("x86_64", description="the AMI's and the instance type's")
    volume_size: int = Field(8, ge=SMALLEST_ROOT_VOLUME, le=65_536, description="root volume, GiB")
    volume_type: Literal["gp3", "gp2", "io1", "io2", "standard"] = Field(
        "gp3", description="the root volume's type; its size limits: 16384 GiB gp2/io1, 1024 standard"
    )
    iops: int | None = Field(None, description="provisioned IOPS of the root volume: required for io1/io2, gp3 only")
    refresh: RefreshSettings = Field(default_factory=RefreshSettings)
    market: Market = Field("on-demand", description="spot: a MixedInstancesPolicy over `types` with an on-demand base")
    types: list[str] | None = Field(
        None,
        description=f"at most {MAX_TYPES - 1} extra instance types of `architecture` the group may launch; set, even "
        "on-demand, they make a MixedInstancesPolicy (spot default: the same size in the other burstable families)",
    )
    on_demand_base: int = Field(
        0, ge=0, description="instances per region always on-demand (OnDemandBaseCapacity); above it, `market` decides"
    )
    spot_allocation: SpotAllocation = Field(
        DEFAULT_SPOT_ALLOCATION,
        description="how Auto Scaling picks Spot pools (SpotAllocationStrategy; -prioritized: in the types' order)",
    )

    @field_validator("type")
    @classmethod
    def _instance_type(cls, value: str) -> str:
        if not _INSTANCE_TYPE.match(value):
            raise problem(f"not an instance type like 't3.micro', got {show_value(value)}")
        return value

    @field_validator("types")
    @classmethod
    def _instance_types(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        found = [
            (str(i), f"not an instance type like 't3a.micro', got {show_value(kind)}")
            for i, kind in enumerate(value)
            if not _INSTANCE_TYPE.match(kind)
        ]
        found += [(str(i), f"{show_value(kind)} is listed twice") for i, kind in enumerate(value) if kind in value[:i]]
        if len(value) >= MAX_TYPES:
            found.append(("", f"at most {MAX_TYPES - 1} extra types (AWS takes {MAX_TYPES}), got {len(value)}"))
        if found:
            raise problems(found)
        return value

    def buying(self) -> Buying | None:
        """The group's purchase settings; None when the item sets neither `market: spot` nor `types` (a plain group)."""
        if self.market != "spot" and self.types is None:
            return None
        extra = default_types(self.type) if self.types is None else tuple(self.types)
        kinds = tuple(dict.fromkeys((self.type, *extra)))
        return Buying(kinds, self.market == "spot", self.on_demand_base, self.spot_allocation)

    @field_validator("os", mode="before")
    @classmethod
    def _os_spelling(cls, value: Any) -> Any:
        # the seed writes "ubuntu 24.04"; store one spelling
        return value.strip().lower().replace(" ", "-") if isinstance(value, str) else value

    @field_validator("volume_type", mode="before")
    @classmethod
    def _bootable(cls, value: Any) -> Any:
        if value in NOT_BOOTABLE_VOLUME_TYPES:
            raise problem(
                f"{value} cannot be a root volume: EC2 boots only from {', '.join(BOOTABLE_VOLUME_TYPES)} "
                f"(got {show_value(value)})"
            )
        return value

    @model_validator(mode="after")
    def _volume_fits_its_type(self) -> InstanceSettings:
        found = volume_problems(self.volume_type, self.volume_size, self.iops)
        if found:
            raise problems(found)
        return self

    @model_serializer(mode="wrap")
    def _without_later_defaults(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # fields added later are left out while unset or default, so configs written before they
        # existed keep their hashes and content digests (an upgrade restarts nothing)
        data: dict[str, Any] = handler(self)
        if self.iops is None:
            data.pop("iops", None)
        if self.refresh == RefreshSettings():
            data.pop("refresh", None)
        later = {"market": "on-demand", "types": None, "on_demand_base": 0, "spot_allocation": DEFAULT_SPOT_ALLOCATION}
        for name, default in later.items():
            if data.get(name, default) == default:
                data.pop(name, None)
        return data


def volume_problems(volume_type: str, size: int, iops: int | None) -> list[tuple[str, str]]:
    """(field, message) for each EC2 limit the root volume breaks."""
    limits = VOLUME_LIMITS[volume_type]
    found: list[tuple[str, str]] = []
    if size > limits.max_size:
        found.append(("volume_size", f"{volume_type} volumes are at most {limits.max_size} GiB, got {size}"))
    if limits.iops is None:
        if iops is not None:
            settable = ", ".join(t for t, lim in VOLUME_LIMITS.items() if lim.iops)
            found.append(("iops", f"IOPS can be set for {settable} only, not {volume_type} (got {iops})"))
        return found
    low, high = limits.iops
    if iops is None:
        if limits.iops_required:
            found.append(("iops", f"{volume_type} needs provisioned IOPS: set instance.iops ({low}-{high})"))
        return found
    ceiling = min(high, max(low, limits.iops_per_gib * size))
    if not low <= iops <= ceiling:
        found.append(
            (
                "iops",
                f"{volume_type} takes {low}-{ceiling} IOPS at {size} GiB ({limits.iops_per_gib} per GiB, "
                f"at most {high}), got {iops}",
            )
        )
    return found
