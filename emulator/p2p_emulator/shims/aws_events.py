"""Events AWS services put on a region's default bus, and the rule that only AWS may put them.

AWS services send their own events to the default bus of the region they happen in: EC2 Auto Scaling an
`EC2 Instance Launch Unsuccessful` when a group's launch fails (no trail needed), EC2 a `Spot Instance
Interruption Warning` or an `Instance Rebalance Recommendation` for a Spot instance, CloudTrail an
`AWS API Call via CloudTrail` for each recorded call (shims/cloudtrail.py). moto 5.2.5 sends none.

- `put_aws_event`: the emulator's own emission, as AWS's services put events (`source` `aws.*`).
- A customer's PutEvents entry whose Source starts with `aws.` fails, as on AWS, with the entry's
  ErrorCode `NotAuthorizedForSourceException` (the request succeeds, FailedEntryCount counts it); moto
  accepted it. This module's reach into moto: `EventsBackend.put_events`.
- The switch: `set_aws_events(True)` turns the services' emission on (`p2pctl local` does); the default
  account (`reset_behaviours`, so every world fixture) has it off, because many tests make drift by hand
  and then run by hand, and a run that an event starts at the same time would race them. A test that
  wants the events uses `with aws_events_emitted(): ...`. Explicit calls (`spot_interruption_warning`,
  `rebalance_recommendation`) always put their event: a test that calls them wants it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.autoscaling.models import FakeAutoScalingGroup
from moto.events.models import EventsBackend, events_backends

from p2p_emulator.shims import clock

REFUSED_SOURCE = {"ErrorCode": "NotAuthorizedForSourceException", "ErrorMessage": "Not authorized for the source."}

_enabled = False
_lock = threading.Lock()
_original_put_events = EventsBackend.put_events


def install() -> None:
    """Refuse customers' events with an AWS source."""
    EventsBackend.put_events = _put_events  # type: ignore[method-assign]


def set_aws_events(enabled: bool) -> None:
    """Turn the emission of AWS services' events (CloudTrail, Auto Scaling launch failures) on or off."""
    global _enabled
    with _lock:
        _enabled = enabled


def aws_events_enabled() -> bool:
    """True while AWS services' events are emitted."""
    return _enabled


@contextmanager
def aws_events_emitted() -> Iterator[None]:
    """AWS services' events emitted while the block runs (tests), the switch as it was after it."""
    before = _enabled
    set_aws_events(True)
    try:
        yield
    finally:
        set_aws_events(before)


def put_aws_event(
    account: str, region: str, source: str, detail_type: str, detail: dict[str, Any], resources: list[str]
) -> str:
    """Put an AWS service's event on `region`'s default bus, at the account's time; returns its id."""
    entry = {
        "Source": source,
        "DetailType": detail_type,
        "Detail": json.dumps(detail, default=str),
        "Resources": resources,
        "EventBusName": "default",
        "Time": clock.now().timestamp(),
    }
    answered = _original_put_events(events_backends[account][region], [entry])[0]
    return str(answered["EventId"])


def _put_events(self: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    refused = {i for i, event in enumerate(events) if str(event.get("Source") or "").startswith("aws.")}
    if not refused or len(events) > 10:  # over 10: moto's own ValidationException for the whole request
        return _original_put_events(self, events)
    accepted = iter(_original_put_events(self, [e for i, e in enumerate(events) if i not in refused]))
    return [dict(REFUSED_SOURCE) if i in refused else next(accepted) for i in range(len(events))]


# ---------------------------------------------------------------- EC2 Auto Scaling and EC2's own events


def launch_unsuccessful(group: FakeAutoScalingGroup, activity: dict[str, Any], subnet: str) -> None:
    """EC2 Auto Scaling's `EC2 Instance Launch Unsuccessful` for a failed launch activity (when emission is on)."""
    if not _enabled:
        return
    detail = {
        "StatusCode": activity["StatusCode"],
        "AutoScalingGroupName": group.name,
        "ActivityId": activity["ActivityId"],
        "Details": {**json.loads(activity["Details"]), "Subnet ID": subnet},
        "RequestId": activity["ActivityId"],
        "StatusMessage": activity.get("StatusMessage", ""),
        "EndTime": _iso(activity["EndTime"]),
        "EC2InstanceId": "",
        "StartTime": _iso(activity["StartTime"]),
        "Cause": activity["Cause"],
        "Description": activity["Description"],
    }
    put_aws_event(
        group.account_id, group.region, "aws.autoscaling", "EC2 Instance Launch Unsuccessful", detail, [group.arn]
    )


def spot_interruption_warning(account: str, region: str, instance_id: str, action: str = "terminate") -> str:
    """EC2's two-minute `EC2 Spot Instance Interruption Warning` for an instance; returns the event's id."""
    detail = {"instance-id": instance_id, "instance-action": action}
    return put_aws_event(
        account,
        region,
        "aws.ec2",
        "EC2 Spot Instance Interruption Warning",
        detail,
        [_instance(account, region, instance_id)],
    )


def rebalance_recommendation(account: str, region: str, instance_id: str) -> str:
    """EC2's `EC2 Instance Rebalance Recommendation` for an instance; returns the event's id."""
    detail = {"instance-id": instance_id}
    return put_aws_event(
        account,
        region,
        "aws.ec2",
        "EC2 Instance Rebalance Recommendation",
        detail,
        [_instance(account, region, instance_id)],
    )


def _instance(account: str, region: str, instance_id: str) -> str:
    return f"arn:aws:ec2:{region}:{account}:instance/{instance_id}"


def _iso(value: Any) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(value, "strftime") else str(value)
