"""What every managed resource of a region shares, from the config alone: its tags, what it is built from, the internet.

Pure. What each resource type should be is in its own module (`p2p_core.resources`): the planner
verifies and the reconciler builds from the same functions there, so "what Plan checks" and "what
ReconcileRegion makes" cannot drift apart.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from p2p_core import INFRA_TAG, MANAGED_TAG, NOT_OFFERED_TAG, REGION_TAG, STACK_TAG, ZONES_TAG, names
from p2p_core.bootstrap.userdata import render_user_data
from p2p_core.config import ConfigItem
from p2p_core.config.network import NetworkSettings
from p2p_core.drift_events import DriftRouting
from p2p_core.models.deployment import Deployment

ANYWHERE = "0.0.0.0/0"
ANYWHERE_V6 = "::/0"


class BuildInputs(BaseModel):
    """What a region is built from beside the config: the stack's name, the user data, the instance profile."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stack: str
    user_data: str
    instance_profile_arn: str | None = None
    drift: DriftRouting | None = None  # where the region's drift events go; None: no drift rule is managed


def build_inputs(config: ConfigItem, deployment: Deployment) -> BuildInputs:
    """What this deployment builds regions from for `config` (the user data is rendered here)."""
    return BuildInputs(
        stack=deployment.stack_name,
        user_data=render_user_data(config, deployment),
        instance_profile_arn=deployment.instance_profile_arn,
        drift=deployment.drift_routing(),
    )


def managed_tags(stack: str, region: str, name: str | None = None) -> dict[str, str]:
    """The tags every managed resource carries (`name` defaults to the agents' name)."""
    return {STACK_TAG: stack, REGION_TAG: region, MANAGED_TAG: "true", "Name": name or names.agents_name(stack)}


def group_tags(
    stack: str, region: str, infrastructure_hash: str, zones: list[str], not_offered: list[str] | None = None
) -> dict[str, str]:
    """The Auto Scaling group's tags: the managed ones, the settings it was built from and its zones.

    A group buying over several instance types (`not_offered` not None) also records the types its
    region does not offer, so verification knows which overrides were dropped on purpose.
    """
    tags = {**managed_tags(stack, region), INFRA_TAG: infrastructure_hash, ZONES_TAG: " ".join(sorted(zones))}
    if not_offered is not None:
        tags[NOT_OFFERED_TAG] = " ".join(not_offered)
    return tags


def internet(network: NetworkSettings) -> tuple[str, ...]:
    """The internet as the region's routes and rules name it: 0.0.0.0/0, and ::/0 with `ipv6`."""
    return (ANYWHERE, ANYWHERE_V6) if network.ipv6 else (ANYWHERE,)
