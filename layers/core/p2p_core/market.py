"""How the fleet buys its instances: on-demand (the default) or Spot over several instance types.

`instance.market: spot` (or an explicit `instance.types`) turns the Auto Scaling group into a
MixedInstancesPolicy: the launch template plus one override per instance type, the first
`instance.on_demand_base` instances on-demand and the rest Spot (`OnDemandPercentageAboveBaseCapacity`
0; 100 with `market: on-demand`), Spot pools chosen by `instance.spot_allocation`, and Capacity
Rebalancing on for Spot, so Auto Scaling launches a replacement when AWS signals an interruption risk.

An item that sets none of these keeps the plain launch-template group it always had: `buying`
returns None and nothing about the group changes when the control plane is upgraded.

Default extra types (used with `market: spot` when `instance.types` is not set): the same size
(vCPUs and memory) in the other burstable families of the same architecture, so Spot has several
pools to choose from and the agents get the same machine. A type outside this table gets no extra
types: set `instance.types` for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from p2p_core import NOT_OFFERED_TAG

Market = Literal["on-demand", "spot"]
SpotAllocation = Literal[
    "lowest-price", "capacity-optimized", "capacity-optimized-prioritized", "price-capacity-optimized"
]
DEFAULT_SPOT_ALLOCATION: SpotAllocation = "price-capacity-optimized"
MAX_TYPES = 40  # AWS: at most 40 overrides (instance types) in a MixedInstancesPolicy

# same vCPUs and memory, other burstable families of the same architecture (x86_64: Intel t3, AMD t3a, t2)
_SAME_SIZE_X86 = {
    size: (f"t3.{size}", f"t3a.{size}", f"t2.{size}") for size in ("nano", "micro", "small", "medium", "large")
}
DEFAULT_TYPES: dict[str, tuple[str, ...]] = {
    **{kind: tuple(t for t in family if t != kind) for family in _SAME_SIZE_X86.values() for kind in family},
    # arm64 has one burstable family (Graviton t4g): the next size up is the only similar pool
    "t4g.nano": ("t4g.micro",),
    "t4g.micro": ("t4g.small",),
    "t4g.small": ("t4g.medium",),
    "t4g.medium": ("t4g.large",),
}


@dataclass(frozen=True)
class Buying:
    """The group's purchase settings: instance types in priority order, the on-demand base, Spot or not."""

    types: tuple[str, ...]
    spot: bool
    on_demand_base: int
    spot_allocation: str

    def policy(self, template: dict[str, str]) -> dict[str, Any]:
        """The MixedInstancesPolicy for launch template `template` ({LaunchTemplateId, Version})."""
        return {
            "LaunchTemplate": {
                "LaunchTemplateSpecification": dict(template),
                "Overrides": [{"InstanceType": kind} for kind in self.types],
            },
            "InstancesDistribution": {
                "OnDemandBaseCapacity": self.on_demand_base,
                "OnDemandPercentageAboveBaseCapacity": 0 if self.spot else 100,
                "SpotAllocationStrategy": self.spot_allocation,
            },
        }

    def only(self, offered: list[str]) -> Buying:
        """The same settings over the types in `offered` (a region offering fewer), order kept."""
        kinds = tuple(t for t in self.types if t in offered)
        return Buying(kinds, self.spot, self.on_demand_base, self.spot_allocation)

    def words(self) -> str:
        """'Spot over t3.micro, t3a.micro (1 on-demand base, price-capacity-optimized)' or 'on-demand over ...'."""
        kinds = ", ".join(self.types)
        if not self.spot:
            return f"on-demand over {kinds}"
        return f"Spot over {kinds} ({self.on_demand_base} on-demand base, {self.spot_allocation})"


def default_types(instance_type: str) -> tuple[str, ...]:
    """The extra types Spot uses for `instance_type` when `instance.types` is not set (the table above)."""
    return DEFAULT_TYPES.get(instance_type, ())


def policy_settings(raw: dict[str, Any] | None) -> tuple[tuple[str, ...], dict[str, Any]] | None:
    """A group's MixedInstancesPolicy as (override types in order, the distribution fields we set); None: none."""
    if not raw:
        return None
    overrides = (raw.get("LaunchTemplate") or {}).get("Overrides") or []
    distribution = raw.get("InstancesDistribution") or {}
    keys = ("OnDemandBaseCapacity", "OnDemandPercentageAboveBaseCapacity", "SpotAllocationStrategy")
    return tuple(str(o.get("InstanceType")) for o in overrides), {k: distribution.get(k) for k in keys}


def distribution_of(buying: Buying) -> dict[str, Any]:
    """The InstancesDistribution fields the reconciler sets (what verification compares)."""
    return dict(buying.policy({})["InstancesDistribution"])


_DISTRIBUTION_FIELDS = {
    "OnDemandBaseCapacity": "instance.on_demand_base",
    "OnDemandPercentageAboveBaseCapacity": "instance.market",
    "SpotAllocationStrategy": "instance.spot_allocation",
}


def purchase_drifts(
    want: Buying | None, types: list[str] | None, distribution: dict[str, Any], capacity_rebalance: bool
) -> list[str]:
    """How a group's purchase settings (policy types, distribution, Capacity Rebalancing) differ from `want`."""
    head = "Auto Scaling group:"
    if want is None:
        plain = f"{head} MixedInstancesPolicy over {', '.join(types or [])}, want a plain launch template"
        drifts = [] if types is None else [plain]
        return drifts + ([f"{head} Capacity Rebalancing on, want off"] if capacity_rebalance else [])
    if types is None:
        return [f"{head} no MixedInstancesPolicy, want {want.words()}"]
    drifts = []
    if tuple(types) != want.types:
        drifts.append(f"{head} instance types {', '.join(types) or 'none'}, want {', '.join(want.types)}")
    for key, wanted in distribution_of(want).items():
        if distribution.get(key) != wanted:
            drifts.append(f"{head} {key} {distribution.get(key)}, want {wanted} ({_DISTRIBUTION_FIELDS[key]})")
    if capacity_rebalance != want.spot:
        have, wanted_state = ("on" if capacity_rebalance else "off"), ("on" if want.spot else "off")
        drifts.append(f"{head} Capacity Rebalancing {have}, want {wanted_state}")
    return drifts


def region_buying(buying: Buying | None, not_offered: list[str] | None) -> Buying | None:
    """The purchase settings of one region: the configured ones without the types it does not offer."""
    if buying is None or not not_offered:
        return buying
    return buying.only([t for t in buying.types if t not in not_offered])


def recorded_not_offered(group_tags: dict[str, str]) -> list[str]:
    """The configured instance types a group was built without, as its region does not offer them (its tag)."""
    return (group_tags.get(NOT_OFFERED_TAG) or "").split()
