"""Auto Scaling instance refreshes, which moto 5.2.5 lacks: AWS's API, rules and a model of the batches.

AWS replaces a group's instances in batches (`StartInstanceRefresh`), reports progress
(`DescribeInstanceRefreshes`) and stops on request (`CancelInstanceRefresh`). The emulator answers
the three with AWS's request and response shapes and errors:

- at start it notes the instances to replace: every live instance, or with `SkipMatching` those not
  on the desired launch template version (DesiredConfiguration, else the group's own; each
  instance's version is recorded at launch, `launches`);
- batches (`refresh_batches`: `MinHealthyPercentage` decides their size) follow the pace
  (`refresh_pace`): one every `seconds` after the start, carried out when the region's groups or
  refreshes are next described (a look); 0 (the default) does every batch at the first look; None
  leaves them to `advance_refreshes()` (tests step through a refresh);
- `Cancelling` (the default WaitForTransitioningInstances) becomes `Cancelled` at the next look;
  without waiting it is `Cancelled` at once.

AWS's rules it enforces: one active refresh per group (`InstanceRefreshInProgress`), cancelling
needs one (`ActiveInstanceRefreshNotFound`), and while a refresh with a desired configuration is
active the group's launch template cannot be changed (UpdateAutoScalingGroup's ValidationError).
Only the `Rolling` strategy onto the group's own launch template is modelled; a desired configuration
may name it directly or inside a MixedInstancesPolicy, which the group takes when the refresh succeeds.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from moto.autoscaling.models import FakeAutoScalingGroup, autoscaling_backends
from moto.core.common_types import TYPE_RESPONSE
from moto.core.models import DEFAULT_ACCOUNT_ID

from p2p_emulator.shims import wire
from p2p_emulator.shims.launches import launched_version, version_number
from p2p_emulator.shims.refresh_batches import EmulatedRefresh, active, refreshes, run_batch

IN_PROGRESS = "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh."
LOCKED = (
    "An active instance refresh with a desired configuration exists. All configuration options derived from the "
    "desired configuration are not available for update while the instance refresh is active."
)
CANCELLED = "The instance refresh was cancelled."
_LAUNCH_SOURCES = ("LaunchTemplate", "MixedInstancesPolicy", "LaunchConfigurationName")

_pace: float | None = 0.0
_lock = threading.RLock()


def refresh_pace(seconds: float | None) -> None:
    """Seconds between batches of every refresh from now on (0: all at the first look; None: advance_refreshes)."""
    global _pace
    if seconds is not None and seconds < 0:
        raise ValueError(f"seconds must be >= 0 or None, got {seconds}")
    with _lock:
        _pace = seconds


def advance_refreshes(region: str, batches: int = 1, account: str = DEFAULT_ACCOUNT_ID) -> None:
    """Carry out the next `batches` batches of every active refresh in `region` now."""
    with _lock:
        for group in list(autoscaling_backends[account][region].autoscaling_groups.values()):
            refresh = active(group)
            for _ in range(batches):
                if refresh is None or refresh.status not in ("Pending", "InProgress"):
                    break
                run_batch(group, refresh)


def install() -> None:
    """Answer the refresh actions; guard the group's launch template while a refresh runs."""
    wire.rule(before=_refresh_actions)


# ---------------------------------------------------------------- the API


def _refresh_actions(request: wire.Request) -> TYPE_RESPONSE | None:
    if request.service != "autoscaling":
        return None
    action = request.action
    if action in ("DescribeAutoScalingGroups", "DescribeInstanceRefreshes"):
        _look(request)
    handler = _HANDLERS.get(action)
    return handler(request) if handler else None


def _param(request: wire.Request, name: str, default: Any = None) -> Any:
    return request.response._get_param(name, default)


def _group(request: wire.Request) -> FakeAutoScalingGroup | None:
    groups: dict[str, FakeAutoScalingGroup] = autoscaling_backends[request.account][request.region].autoscaling_groups
    return groups.get(_param(request, "AutoScalingGroupName") or "")


def _not_found(request: wire.Request) -> TYPE_RESPONSE:
    name = _param(request, "AutoScalingGroupName")
    return request.error(
        "ValidationError", f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found", 400
    )


def _start(request: wire.Request) -> TYPE_RESPONSE:
    group = _group(request)
    if group is None:
        return _not_found(request)
    strategy = _param(request, "Strategy") or "Rolling"
    preferences = dict(_param(request, "Preferences") or {})
    minimum = int(preferences.get("MinHealthyPercentage", 90))
    if strategy != "Rolling":
        return request.error("ValidationError", f"The emulator models the Rolling strategy only, not {strategy}", 400)
    if not 0 <= minimum <= 100:
        return request.error("ValidationError", "MinHealthyPercentage must be between 0 and 100", 400)
    desired = _param(request, "DesiredConfiguration") or None
    mixed = (desired or {}).get("MixedInstancesPolicy") or {}
    template = (
        (desired or {}).get("LaunchTemplate")
        or (mixed.get("LaunchTemplate") or {}).get("LaunchTemplateSpecification")
        or {}
    )
    with _lock:
        if active(group) is not None:
            return request.error("InstanceRefreshInProgress", IN_PROGRESS, 400)
        own = group.ec2_launch_template.id if group.ec2_launch_template else None
        if template and template.get("LaunchTemplateId") not in (None, own):
            return request.error("ValidationError", "The emulator refreshes onto the group's own launch template", 400)
        version = version_number(group, template.get("Version") or group.launch_template_version)
        skip = str(preferences.get("SkipMatching", False)).lower() == "true"
        live = [s for s in group.instance_states if s.lifecycle_state in ("Pending", "InService")]
        to_update = [s.instance.id for s in live if not (skip and launched_version(s) == version)]
        answered_preferences = {"MinHealthyPercentage": minimum, "SkipMatching": skip}
        refresh = EmulatedRefresh(
            refresh_id=str(uuid.uuid4()),
            group=group.name,
            version=version,
            min_healthy=minimum,
            preferences=answered_preferences,
            desired_configuration=_desired_configuration(template, mixed),
            to_update=to_update,
            total=len(to_update),
        )
        group.p2p_refreshes = [refresh, *refreshes(group)]  # type: ignore[attr-defined]
    return request.answer({"InstanceRefreshId": refresh.refresh_id})


def _desired_configuration(template: dict[str, Any], mixed: dict[str, Any]) -> dict[str, Any] | None:
    """The DesiredConfiguration as DescribeInstanceRefreshes answers it: a template, or a whole policy."""
    if mixed:
        return {"MixedInstancesPolicy": mixed}
    return {"LaunchTemplate": {**template, "Version": template.get("Version")}} if template else None


def _describe(request: wire.Request) -> TYPE_RESPONSE:
    group = _group(request)
    ids = set(_param(request, "InstanceRefreshIds") or [])
    limit = min(int(_param(request, "MaxRecords") or 50), 100)
    found = [r.answer() for r in (refreshes(group) if group else []) if not ids or r.refresh_id in ids]
    return request.answer({"InstanceRefreshes": found[:limit]})


def _cancel(request: wire.Request) -> TYPE_RESPONSE:
    group = _group(request)
    if group is None:
        return _not_found(request)
    wait = str(_param(request, "WaitForTransitioningInstances", True)).lower() != "false"
    with _lock:
        refresh = active(group)
        if refresh is None or refresh.status == "Cancelling":
            message = f"No in progress or pending Instance Refresh found for Auto Scaling group {group.name}"
            return request.error("ActiveInstanceRefreshNotFound", message, 400)
        if wait:
            refresh.status = "Cancelling"
        else:
            refresh.end("Cancelled", CANCELLED)
    return request.answer({"InstanceRefreshId": refresh.refresh_id})


def _update(request: wire.Request) -> TYPE_RESPONSE | None:
    group = _group(request)
    changes_source = any(_param(request, name) for name in _LAUNCH_SOURCES)
    running = active(group) if group is not None and changes_source else None
    if running is not None and running.desired_configuration:
        return request.error("ValidationError", LOCKED, 400)
    return None


_HANDLERS = {
    "StartInstanceRefresh": _start,
    "DescribeInstanceRefreshes": _describe,
    "CancelInstanceRefresh": _cancel,
    "UpdateAutoScalingGroup": _update,
}


def _look(request: wire.Request) -> None:
    """AWS worked on the region's refreshes since the last look: carry out the batches now due."""
    with _lock:
        for group in list(autoscaling_backends[request.account][request.region].autoscaling_groups.values()):
            refresh = active(group)
            if refresh is None:
                continue
            if refresh.status == "Cancelling":
                refresh.end("Cancelled", CANCELLED)
                continue
            refresh.status = "InProgress"
            while refresh.status == "InProgress" and refresh.batches < refresh.due(_pace):
                run_batch(group, refresh)
