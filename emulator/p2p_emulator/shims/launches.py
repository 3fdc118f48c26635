"""Auto Scaling launches as AWS runs them: they can fail after the group accepted the capacity.

On AWS, UpdateAutoScalingGroup succeeds and the group then launches instances in the background;
a launch that fails (no capacity in the zone, vCPU limit, unsupported type or architecture, a bad
volume) leaves the group below its desired capacity and says why only in its scaling activities,
and the group keeps trying. moto launches synchronously, never fails, and answers
DescribeScalingActivities with nothing. The emulator:

- records a scaling activity for every launch (`Successful`, or `Failed` with AWS's reason), and puts
  EC2 Auto Scaling's `EC2 Instance Launch Unsuccessful` event for a failed one (shims/aws_events.py);
- `fail_launches(region, code)`: launches in that region fail with that reason until cleared;
- keeps trying: a group below its desired capacity launches the difference (when launches no
  longer fail) the next time it is described, as the group's own retries would by then;
- fixes moto 5.2.5's crash (HTTP 500) when a group scales after a new launch template version
  with UserData: CreateLaunchTemplateVersion stored UserData as plain text where every reader
  expects moto's base64 type (CreateLaunchTemplate converts it; the version path did not);
- launches only as many instances as the group's subnets have free addresses (moto put every one in the
  first subnet and crashed with HTTP 500 once it was full): the group fills its subnets in order, and the
  rest fails as AWS says it, `InsufficientFreeAddressesInSubnet`, so the region is `degraded`;
- records the launch template version each instance was launched from, as AWS reports it in
  DescribeAutoScalingGroups and the instance's `aws:ec2launchtemplate:version` tag (moto reports
  every instance on the template's default version, whatever launched it).
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime
from typing import Any

from moto.autoscaling.models import FakeAutoScalingGroup, InstanceState, autoscaling_backends
from moto.core.common_types import TYPE_RESPONSE
from moto.ec2.models.launch_templates import LaunchTemplate
from moto.ec2.utils import parse_user_data

from p2p_emulator.shims import aws_events, clock, wire

# StatusMessage of a failed launch activity, as AWS writes it, per EC2 error code
LAUNCH_FAILURES = {
    "InsufficientInstanceCapacity": (
        "We currently do not have sufficient {type} capacity in the Availability Zone you requested ({zone}). "
        "Our system will be working on provisioning additional capacity."
    ),
    "VcpuLimitExceeded": (
        "You have requested more vCPU capacity than your current vCPU limit of 0 allows for the instance bucket "
        "that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request "
        "to request an adjustment to this limit."
    ),
    "Unsupported": (
        "The requested configuration is currently not supported. Please check the documentation for supported "
        "configurations."
    ),
    "InvalidParameterValue": (
        "The architecture 'arm64' of the specified instance type does not match the architecture 'x86_64' of "
        "the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again."
    ),
    "InvalidBlockDeviceMapping": "Volume of size 1GB is smaller than snapshot, expect size >= 8GB",
    "InsufficientFreeAddressesInSubnet": (
        "There are not enough free addresses in subnet '{subnet}' to satisfy the requested number of instances."
    ),
}
ACTIVITIES_KEPT = 50

_failing: dict[str, str] = {}  # region -> EC2 error code
_lock = threading.Lock()
_original_launch = FakeAutoScalingGroup.replace_autoscaling_group_instances
_original_create_version = LaunchTemplate.create_version
_original_state_init = InstanceState.__init__


def fail_launches(region: str, code: str = "InsufficientInstanceCapacity") -> None:
    """Launches in `region` fail with `code`'s reason (see LAUNCH_FAILURES) until `clear_launch_failures`."""
    if code not in LAUNCH_FAILURES:
        raise ValueError(f"unknown launch failure {code!r}; one of {sorted(LAUNCH_FAILURES)}")
    with _lock:
        _failing[region] = code


def clear_launch_failures(region: str | None = None) -> None:
    """Let launches succeed again (in `region`, or everywhere)."""
    with _lock:
        if region is None:
            _failing.clear()
        else:
            _failing.pop(region, None)


def install() -> None:
    """Patch moto's group launches and launch template versions; answer DescribeScalingActivities."""
    FakeAutoScalingGroup.replace_autoscaling_group_instances = _launch  # type: ignore[method-assign]
    LaunchTemplate.create_version = _create_version  # type: ignore[method-assign]
    InstanceState.__init__ = _state_init  # type: ignore[method-assign]
    InstanceState.launch_template = property(_instance_template)  # type: ignore[method-assign,assignment]
    wire.rule(before=_keep_trying)
    wire.rule(before=_describe_scaling_activities)


def _create_version(self: LaunchTemplate, data: dict[str, Any], description: str) -> Any:
    if isinstance(data.get("UserData"), str):
        data = {**data, "UserData": parse_user_data(data["UserData"])}  # invalid base64: AWS's own error
    return _original_create_version(self, data, description)


def version_number(group: FakeAutoScalingGroup, version: Any) -> str:
    """The number of `version` ("2", "$Latest", "$Default", None) of the group's launch template."""
    template = group.ec2_launch_template
    assert template is not None, f"{group.name} has no launch template"
    return str(template.get_version(version or "$Default").number)


def launched_version(state: InstanceState) -> str | None:
    """The launch template version the group's instance was launched from."""
    found: str | None = getattr(state, "p2p_template_version", None)
    return found


def _state_init(self: InstanceState, *args: Any, **kwargs: Any) -> None:
    _original_state_init(self, *args, **kwargs)
    group = self.auto_scaling_group
    version = version_number(group, group.launch_template_version) if group and group.ec2_launch_template else None
    self.p2p_template_version = version  # type: ignore[attr-defined]
    if version is not None:
        self.instance.add_tags({"aws:ec2launchtemplate:version": version})


def _instance_template(self: InstanceState) -> dict[str, Any] | None:
    group = self.auto_scaling_group
    if group is None or group.ec2_launch_template is None:
        return None
    template = group.ec2_launch_template
    version = launched_version(self) or str(template.default_version_number)
    return {"LaunchTemplateId": template.id, "LaunchTemplateName": template.name, "Version": version}


def last_failure(group: FakeAutoScalingGroup) -> str | None:
    """The StatusMessage of the group's newest failed launch."""
    failed = [a for a in getattr(group, "p2p_activities", []) if a.get("StatusCode") == "Failed"]
    return str(failed[0].get("StatusMessage")) if failed else None


def _launch(self: FakeAutoScalingGroup, count_needed: int, propagated_tags: dict[str, str]) -> None:
    before = len(self.instance_states)
    cause = (
        f"At {_now():%Y-%m-%dT%H:%M:%SZ} an instance was started in response to a difference between desired "
        f"and actual capacity, increasing the capacity from {before} to {before + count_needed}."
    )
    with _lock:
        code = _failing.get(self.region)
    if code is not None:
        zone = sorted(self.availability_zones or [f"{self.region}a"])[0]
        subnet = (self.vpc_zone_identifier or "subnet-0").split(",")[0]
        _record_failure(
            self, LAUNCH_FAILURES[code].format(type=self.instance_type, zone=zone, subnet=subnet), cause, zone, subnet
        )
        return
    left = _launch_in_free_subnets(self, count_needed, propagated_tags)
    for state in self.instance_states[before:]:
        description = f"Launching a new EC2 instance: {state.instance.id}"
        _record(self, description, cause, "Successful", None, state.availability_zone or "")
    if left is not None:
        subnet, zone = left
        reason = LAUNCH_FAILURES["InsufficientFreeAddressesInSubnet"].format(subnet=subnet)
        _record_failure(self, reason, cause, zone, subnet)


def _launch_in_free_subnets(
    group: FakeAutoScalingGroup, count_needed: int, propagated_tags: dict[str, str]
) -> tuple[str, str] | None:
    """Launch `count_needed` in the group's subnets, in order, as many as each has free addresses; the last
    full subnet and its zone when some could not be launched (None when all were)."""
    subnet_ids = [s for s in (group.vpc_zone_identifier or "").split(",") if s]
    if not subnet_ids:
        _original_launch(group, count_needed, propagated_tags)
        return None
    ec2 = group.autoscaling_backend.ec2_backend
    left, full = count_needed, None
    try:
        for subnet_id in subnet_ids:
            subnet = ec2.get_subnet(subnet_id)
            # moto's own address generator may know fewer free addresses than its ENIs say: the smaller
            fits = min(
                left, subnet.available_ip_address_count, subnet._available_ip_addresses - len(subnet._subnet_ips)
            )
            if fits:
                group.vpc_zone_identifier = subnet_id  # moto launches in the first subnet it names
                _original_launch(group, fits, dict(propagated_tags))
            left -= fits
            full = (subnet_id, subnet.availability_zone)
            if not left:
                return None
    finally:
        group.vpc_zone_identifier = ",".join(subnet_ids)
    return full


def _record_failure(group: FakeAutoScalingGroup, reason: str, cause: str, zone: str, subnet: str) -> None:
    reason += " Launching EC2 instance failed."
    activity = _record(group, "Launching a new EC2 instance.  Status Reason: " + reason, cause, "Failed", reason, zone)
    aws_events.launch_unsuccessful(group, activity, subnet)  # EC2 Auto Scaling's event, on the group's region bus


def _record(
    group: FakeAutoScalingGroup, description: str, cause: str, status: str, message: str | None, zone: str
) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "ActivityId": str(uuid.uuid4()),
        "AutoScalingGroupName": group.name,
        "Description": description,
        "Cause": cause,
        "StartTime": _now(),
        "EndTime": _now(),
        "StatusCode": status,
        "Progress": 100,
        "Details": json.dumps({"Availability Zone": zone}),
    }
    if message is not None:
        activity["StatusMessage"] = message
    activities = [activity, *getattr(group, "p2p_activities", [])][:ACTIVITIES_KEPT]
    group.p2p_activities = activities  # type: ignore[attr-defined]
    return activity


def _groups(request: wire.Request) -> dict[str, FakeAutoScalingGroup]:
    groups: dict[str, FakeAutoScalingGroup] = autoscaling_backends[request.account][request.region].autoscaling_groups
    return groups


def _keep_trying(request: wire.Request) -> TYPE_RESPONSE | None:
    if request.service != "autoscaling" or request.action != "DescribeAutoScalingGroups":
        return None
    with _lock:
        failing = request.region in _failing
    if not failing:
        for group in list(_groups(request).values()):
            if len(group.active_instances()) < (group.desired_capacity or 0):
                group.set_desired_capacity(group.desired_capacity)
    return None


def _describe_scaling_activities(request: wire.Request) -> TYPE_RESPONSE | None:
    if request.service != "autoscaling" or request.action != "DescribeScalingActivities":
        return None
    params = request.params()
    name = params.get("AutoScalingGroupName", [None])[0]
    limit = int(params.get("MaxRecords", ["100"])[0])
    groups = [g for g in _groups(request).values() if name in (None, g.name)]
    found = sorted(
        (a for g in groups for a in getattr(g, "p2p_activities", [])), key=lambda a: a["StartTime"], reverse=True
    )
    return request.answer({"Activities": found[:limit]})


def _now() -> datetime:
    return clock.now()  # the account's time: activities a test's moved clock has made old look old
