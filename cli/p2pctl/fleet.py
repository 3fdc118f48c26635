"""Read back what the control plane made in a region: its Auto Scaling group and scheduled actions.

Any AWS client works (real AWS or `p2pctl local`); the demo, the benchmarks and the tests use these.
"""

from __future__ import annotations

from typing import Any

from p2p_core import STACK_TAG


def managed_asg(autoscaling: Any, stack_name: str) -> dict[str, Any] | None:
    """The stack's Auto Scaling group in the client's region, or None."""
    filters = [{"Name": f"tag:{STACK_TAG}", "Values": [stack_name]}]
    found: list[dict[str, Any]] = autoscaling.describe_auto_scaling_groups(Filters=filters)["AutoScalingGroups"]
    return found[0] if found else None


def scheduled_actions(autoscaling: Any, stack_name: str) -> dict[str, dict[str, Any]]:
    """The group's scheduled actions by name (`p2p-start`, `p2p-stop`); empty without a group."""
    group = managed_asg(autoscaling, stack_name)
    if group is None:
        return {}
    found = autoscaling.describe_scheduled_actions(AutoScalingGroupName=group["AutoScalingGroupName"])
    return {a["ScheduledActionName"]: a for a in found["ScheduledUpdateGroupActions"]}
