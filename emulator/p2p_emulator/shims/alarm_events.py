"""CloudWatch alarm state changes on the default event bus, as AWS puts them; moto 5.2.5 puts none.

AWS sends every alarm state change to the account's default bus in the alarm's region
(`source: aws.cloudwatch`, `detail-type: CloudWatch Alarm State Change`, the alarm's ARN in
`resources`). moto does not evaluate alarms, so tests move one with SetAlarmState; here that change
is published like AWS's, so rules on it (the template's Agents Missing relay) run as on AWS.
"""

from __future__ import annotations

from typing import Any

from moto.cloudwatch.models import CloudWatchBackend
from moto.core.utils import iso_8601_datetime_with_milliseconds

from p2p_emulator.shims import aws_events

_original_set_alarm_state = CloudWatchBackend.set_alarm_state


def _set_alarm_state(self: Any, alarm_name: str, reason: str, reason_data: str, state_value: str) -> None:
    alarm = self.alarms.get(alarm_name)
    previous = (alarm.state_value, alarm.state_reason) if alarm is not None else None
    _original_set_alarm_state(self, alarm_name, reason, reason_data, state_value)
    alarm = self.alarms[alarm_name]
    if previous is None or previous[0] == state_value:
        return  # AWS publishes changes only
    detail = {
        "alarmName": alarm_name,
        "state": {
            "value": state_value,
            "reason": reason,
            "timestamp": iso_8601_datetime_with_milliseconds(alarm.state_updated_timestamp),
        },
        "previousState": {"value": previous[0], "reason": previous[1]},
    }
    aws_events.put_aws_event(
        self.account_id, self.region_name, "aws.cloudwatch", "CloudWatch Alarm State Change", detail, [alarm.alarm_arn]
    )


def install() -> None:
    """Publish alarm state changes on the default bus."""
    CloudWatchBackend.set_alarm_state = _set_alarm_state  # type: ignore[method-assign]
