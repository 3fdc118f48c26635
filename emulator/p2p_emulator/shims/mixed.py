"""Mixed instances groups as AWS keeps them: UpdateAutoScalingGroup changes only what it names.

moto 5.2.5 sets a group's MixedInstancesPolicy to whatever an UpdateAutoScalingGroup carries, so an
update of the capacity alone (no policy named) drops the policy and the group falls back to its bare
launch template; AWS leaves a setting the request does not name as it was. moto also ignores
`CapacityRebalance` in UpdateAutoScalingGroup (it reads it only at create). The emulator keeps the
policy of an update that names no launch source, and applies `CapacityRebalance` when named.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.autoscaling.models import FakeAutoScalingGroup, autoscaling_backends
from moto.core.common_types import TYPE_RESPONSE

from p2p_emulator.shims import wire

_LAUNCH_SOURCES = ("LaunchTemplate", "MixedInstancesPolicy", "LaunchConfigurationName")
_KEPT = "_p2p_kept_mixed_instances_policy"


def install() -> None:
    """Keep the policy across updates that do not name it; apply CapacityRebalance on update."""
    wire.rule(before=_remember_policy, after=_restore_policy)


def _group(request: wire.Request) -> FakeAutoScalingGroup | None:
    groups: dict[str, FakeAutoScalingGroup] = autoscaling_backends[request.account][request.region].autoscaling_groups
    return groups.get(request.response._get_param("AutoScalingGroupName") or "")


def _is_update(request: wire.Request) -> bool:
    return request.service == "autoscaling" and request.action == "UpdateAutoScalingGroup"


def _remember_policy(request: wire.Request) -> TYPE_RESPONSE | None:
    if not _is_update(request):
        return None
    group = _group(request)
    names_source = any(request.response._get_param(name) for name in _LAUNCH_SOURCES)
    if group is not None and group.mixed_instances_policy and not names_source:
        setattr(request.response, _KEPT, copy.deepcopy(group.mixed_instances_policy))
    return None


def _restore_policy(request: wire.Request, response: TYPE_RESPONSE) -> None:
    if not _is_update(request) or int(response[0]) >= 300:
        return
    group = _group(request)
    if group is None:
        return
    kept: dict[str, Any] | None = getattr(request.response, _KEPT, None)
    if kept is not None:
        group.mixed_instances_policy = kept
    rebalance = request.response._get_param("CapacityRebalance")
    if rebalance is not None:
        group.capacity_rebalance = str(rebalance).lower() == "true"
