"""What every reconciler step shares for one region: clients, names, tags and the action log."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from p2p_core import names
from p2p_core.aws.clients import ClientFactory
from p2p_core.models.deployment import Deployment
from p2p_core.models.results import RefreshProgress
from p2p_core.reconciler.propagation import PropagationAware
from p2p_core.wanted import managed_tags


class _OnFirstUse:
    """A client made when first used: a run that never reads SSM (Plan, a no-op region) never pays for it."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._made: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._made is None:
            self._made = self._make()
        return getattr(self._made, name)


@dataclass
class RegionContext:
    """Clients and naming for one stack in one region; `actions` collects what was changed.

    EC2 and Auto Scaling calls that name a resource this context created are retried while AWS
    propagates it (`propagation`): `created` holds those ids. `refresh` is the group's instance
    refresh as this run left it (reconciler/refresh.py).
    """

    region: str
    stack: str
    ec2: Any
    autoscaling: Any
    logs: Any
    ssm: Any
    events: Any = None
    drift_rule: str | None = None  # the drift-event rule's name (None: the deployment has no drift routing)
    actions: list[str] = field(default_factory=list)
    created: set[str] = field(default_factory=set)
    run_id: str = ""
    refresh: RefreshProgress | None = None

    @classmethod
    def build(cls, clients: ClientFactory, deployment: Deployment, region: str, run_id: str = "") -> RegionContext:
        """Clients for `region` from the factory; `run_id` scopes the idempotency tokens to this run."""
        created: set[str] = set()
        return cls(
            region=region,
            stack=deployment.stack_name,
            ec2=PropagationAware(clients.client("ec2", region), created),
            autoscaling=PropagationAware(clients.client("autoscaling", region), created),
            logs=_OnFirstUse(lambda: clients.client("logs", region)),  # a quiet check reads no log group
            ssm=_OnFirstUse(lambda: clients.client("ssm", region)),
            events=_OnFirstUse(lambda: clients.client("events", region)),  # nor the drift rule
            drift_rule=deployment.drift_rule_name if deployment.drift_routing() else None,
            created=created,
            run_id=run_id,
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
        return managed_tags(self.stack, self.region, name)

    def tags(self, name: str | None = None) -> list[dict[str, str]]:
        """The tags as an EC2-style Key/Value list."""
        return [{"Key": k, "Value": v} for k, v in self.tag_map(name).items()]

    def tag_spec(self, resource_type: str, name: str | None = None) -> list[dict[str, Any]]:
        """TagSpecifications that tag a resource as it is created."""
        return [{"ResourceType": resource_type, "Tags": self.tags(name)}]

    def filters(self) -> list[dict[str, Any]]:
        """Describe filters that find only this stack's managed resources in this region."""
        wanted = self.tag_map()
        return [{"Name": f"tag:{k}", "Values": [v]} for k, v in wanted.items() if k != "Name"]

    def token(self, *intent: object) -> str:
        """The ClientToken of one intended create: the same for a retry of it in this run, else new.

        `intent` names what is made from what (kind, parent ids, AMI, template version, content
        digest). AWS answers a reused token with the first request's result, even for a resource
        deleted since, or IdempotentParameterMismatch if the parameters differ: so a token is never
        shared by two resources (a region decommissioned and added back, edits A -> B -> A, a
        resource deleted by hand), while a Lambda retry within the run reuses it.
        """
        text = "/".join(str(part) for part in (self.stack, self.region, self.run_id, *intent))
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def did(self, action: str) -> None:
        """Record a change in operator words."""
        self.actions.append(action)


def tag_dict(tags: list[dict[str, Any]] | None) -> dict[str, str]:
    """Key/Value tag list (EC2, ASG) as a dict."""
    return {t["Key"]: t["Value"] for t in tags or []}
