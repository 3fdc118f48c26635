"""What every reconciler step shares for one region: clients, names, tags and the action log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from p2p_core import MANAGED_TAG, REGION_TAG, STACK_TAG, names
from p2p_core.aws.clients import ClientFactory
from p2p_core.deployment import Deployment

INFRA_TAG = "p2p:infrastructure"


@dataclass
class RegionContext:
    """Clients and naming for one stack in one region; `actions` collects what was changed."""

    region: str
    stack: str
    ec2: Any
    autoscaling: Any
    logs: Any
    ssm: Any
    actions: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, clients: ClientFactory, deployment: Deployment, region: str) -> RegionContext:
        """Clients for `region` from the factory."""
        return cls(
            region=region,
            stack=deployment.stack_name,
            ec2=clients.client("ec2", region),
            autoscaling=clients.client("autoscaling", region),
            logs=clients.client("logs", region),
            ssm=clients.client("ssm", region),
        )

    @property
    def name(self) -> str:
        """Name of the region's Auto Scaling group, and the `Name` tag of its resources."""
        return names.agents_name(self.stack)

    @property
    def launch_template_name(self) -> str:
        """The region's launch template."""
        return names.launch_template_name(self.stack)

    @property
    def security_group_name(self) -> str:
        """The agents' security group."""
        return names.security_group_name(self.stack)

    @property
    def log_group(self) -> str:
        """The agents' CloudWatch log group."""
        return names.agents_log_group(self.stack)

    def tag_map(self, name: str | None = None) -> dict[str, str]:
        """The tags every managed resource carries."""
        tags = {STACK_TAG: self.stack, REGION_TAG: self.region, MANAGED_TAG: "true", "Name": name or self.name}
        return tags

    def tags(self, name: str | None = None) -> list[dict[str, str]]:
        """The tags as an EC2-style Key/Value list."""
        return [{"Key": k, "Value": v} for k, v in self.tag_map(name).items()]

    def tag_spec(self, resource_type: str, name: str | None = None) -> list[dict[str, Any]]:
        """TagSpecifications that tag a resource as it is created."""
        return [{"ResourceType": resource_type, "Tags": self.tags(name)}]

    def filters(self) -> list[dict[str, Any]]:
        """Describe filters that find only this stack's managed resources in this region."""
        wanted = {STACK_TAG: self.stack, REGION_TAG: self.region, MANAGED_TAG: "true"}
        return [{"Name": f"tag:{k}", "Values": [v]} for k, v in wanted.items()]

    def did(self, action: str) -> None:
        """Record a change in operator words."""
        self.actions.append(action)


def tag_dict(tags: list[dict[str, Any]] | None) -> dict[str, str]:
    """Key/Value tag list (EC2, ASG) as a dict."""
    return {t["Key"]: t["Value"] for t in tags or []}
