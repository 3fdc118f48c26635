"""Drift events: which AWS events say that a managed region was changed, and where they go.

A hand-made change is an AWS API call, which CloudTrail records and EventBridge delivers to the region's default
bus ("AWS API Call via CloudTrail", when a trail records write management events). Each managed region but the
home one has a rule (`p2p_core.resources.events_rule`) sending what `drift_pattern` matches to the home region's
default bus; there the template's `DriftRule`, with the same pattern, starts the scheduled check with
`{"source": "drift-event", "region": ...}`, which coalesces a burst into one run (statemachine/scheduled_check).

Left out: calls by the control plane's own writers (the ReconcileRegion function's role, the agents' role, which
creates log streams) and by the Auto Scaling service-linked role (launching and ending the group's instances), so
the control plane never starts runs for its own work. Read-only calls are not delivered by EventBridge at all.
Auto Scaling's launch failures of the fleet's group and EC2's Spot interruption and rebalance warnings reach
EventBridge without a trail.

Other workloads of the account: Auto Scaling and CloudWatch Logs calls count only when they name the fleet's group
or log group (every Lambda function's cold start creates a log stream, a cluster autoscaler sets its groups'
capacity all day: each would start a check of the region). Auto Scaling calls naming an instance only
(`INSTANCE_CALLS`) and its tag calls count whatever they name. EC2 calls name the fleet's resources by id only, ids
that change as the fleet is rebuilt, so any EC2 write not by the control plane counts.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from p2p_core import names

DRIFT_EVENT_SOURCE = "drift-event"  # the run's `source` when an event started it
API_CALL = "AWS API Call via CloudTrail"
LAUNCH_FAILED = "EC2 Instance Launch Unsuccessful"
SPOT_WARNINGS = ("EC2 Spot Instance Interruption Warning", "EC2 Instance Rebalance Recommendation")
WATCHED_SERVICES = ("ec2", "autoscaling", "logs")
# Auto Scaling writes that may change the fleet without naming its group (an instance's id, tags by resource id)
INSTANCE_CALLS = (
    "CreateOrUpdateTags",
    "DeleteTags",
    "SetInstanceHealth",
    "TerminateInstanceInAutoScalingGroup",
)
AUTO_SCALING_SERVICE_ROLE = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


class DriftRouting(BaseModel):
    """Where a region's drift events go (the home region's default bus, through the template's role) and whose
    calls are the control plane's own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home_region: str
    forward_role_arn: str
    own_roles: tuple[str, ...]
    rule_name: str  # every region's rule: p2p-<stack id>-drift (template.yaml), within EventBridge's 64 characters

    @property
    def account(self) -> str:
        return self.forward_role_arn.split(":")[4]

    @property
    def partition(self) -> str:
        return self.forward_role_arn.split(":")[1]

    @property
    def home_bus_arn(self) -> str:
        """The home region's default event bus: every region's rule delivers there."""
        return f"arn:{self.partition}:events:{self.home_region}:{self.account}:event-bus/default"

    def ignored_callers(self) -> list[str]:
        """The role ARNs whose calls are the control plane's (or Auto Scaling's) own work, sorted."""
        service_role = f"arn:{self.partition}:iam::{self.account}:{AUTO_SCALING_SERVICE_ROLE}"
        return sorted({*self.own_roles, service_role})


def drift_pattern(stack: str, routing: DriftRouting) -> dict[str, Any]:
    """The event pattern of every region's drift rule (and of the home region's rule in template.yaml): who made
    the call (anyone but the control plane; AWS's own events name no caller) and what it was about, each written
    once: within EventBridge's 2,048 characters for any stack name (tests/unit/test_drift_events.py)."""
    group, log_group = names.agents_name(stack), names.agents_log_group(stack)

    def write(service: str, **detail: Any) -> dict[str, Any]:
        return {"detail-type": [API_CALL], "detail": {"eventSource": [f"{service}.amazonaws.com"], **detail}}

    return {
        "source": [f"aws.{service}" for service in WATCHED_SERVICES],
        "detail": {
            "readOnly": [False, {"exists": False}],
            "$or": [
                {"userIdentity": {"type": [{"exists": False}]}},  # an AWS service's own event: no caller
                {"userIdentity": {"type": [{"anything-but": ["AssumedRole", "AWSService"]}]}},
                {
                    "userIdentity": {
                        "type": ["AssumedRole"],
                        "sessionContext": {"sessionIssuer": {"arn": [{"anything-but": routing.ignored_callers()}]}},
                    }
                },
            ],
        },
        "$or": [
            write("ec2"),
            write("autoscaling", requestParameters={"autoScalingGroupName": [group]}),
            write("autoscaling", eventName=list(INSTANCE_CALLS)),
            write("logs", requestParameters={"logGroupName": [log_group]}),
            {"detail-type": [LAUNCH_FAILED], "detail": {"AutoScalingGroupName": [group]}},
            {"detail-type": list(SPOT_WARNINGS)},
        ],
    }


def normalized(pattern: Any) -> Any:
    """A pattern with every list sorted (as text), so two spellings of one pattern compare equal."""
    if isinstance(pattern, dict):
        return {key: normalized(value) for key, value in pattern.items()}
    if isinstance(pattern, list):
        return sorted((normalized(v) for v in pattern), key=repr)
    return pattern
