"""EventBridge rule targets that moto 5.2.5 cannot deliver to (SNS topics, Step Functions state machines) or
delivers wrongly (another region's event bus), and rules that match no event on AWS.

moto delivers a matching event to SQS, CloudWatch Logs, archives, buses and API destinations, and raises
NotImplementedError for any other target, failing the caller's PutEvents (AWS never fails a PutEvents
for a target: delivery is asynchronous). The template's notification rule targets the alarm topic and
the Agents Missing rule a state machine, so here an SNS target gets the event (through the target's
input transformer, as moto applies it) as the message of a Publish to the topic, which moto then
delivers to the topic's subscriptions, and a state machine target starts an execution with the event
as its input (moto runs it when the emulator executes state machines).

An event bus target (another region's or account's bus): AWS delivers the event itself, which the
receiving bus's rules see with the original `id`, `time`, `region`, `account` and `resources` (a rule in
the home region learns which region an event came from). moto rebuilt it in the target region from
source, detail-type and detail alone. Here the target bus's rules get the original event.

A target with no input transformer gets the whole event, as on AWS; moto's default template left out `account`.

AWS matches events against enabled rules with an event pattern only: a DISABLED rule and a schedule rule
(no pattern) match none; moto delivered every event to both.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from moto.events.models import Rule, events_backends
from moto.events.utils import EventTemplateParser
from moto.sns.models import sns_backends
from moto.stepfunctions.responses import get_backend
from moto.utilities.arns import parse_arn

_original_send = Rule.send_to_targets


def _send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
    if self.state != "ENABLED" or not self.event_pattern.get_pattern():
        return
    if not self.event_pattern.matches_event(original_event):
        return
    ours = [t for t in self.targets if parse_arn(t["Arn"]).service in ("sns", "states") or _is_bus(t["Arn"])]
    others = [t for t in self.targets if t not in ours]
    for target in ours:
        if _is_bus(target["Arn"]):
            _deliver_to_bus(target["Arn"], original_event)
            continue
        transformer = target.get("InputTransformer", {})
        message: Any = original_event
        if transform_input and transformer:
            message = EventTemplateParser.parse(
                input_template=transformer.get("InputTemplate"),
                input_paths_map=transformer.get("InputPathsMap", {}),
                event=original_event,
            )
        text = message if isinstance(message, str) else json.dumps(message, default=str)
        arn = parse_arn(target["Arn"])
        if arn.service == "sns":
            sns_backends[arn.account][arn.region].topics[target["Arn"]].publish(text)
        else:
            get_backend(arn.account, arn.region).start_execution(target["Arn"], "", text)
    transformed = [t for t in others if t.get("InputTransformer")]
    plain = [t for t in others if t not in transformed]
    whole: Any = {k: v for k, v in original_event.items() if k != "ingestion-time"}  # AWS's event, moto's field out
    for targets, event, transform in ((transformed, original_event, transform_input), (plain, whole, False)):
        if targets:
            self.targets, kept = targets, self.targets
            try:
                _original_send(self, event, transform)
            finally:
                self.targets = kept


def _is_bus(arn: str) -> bool:
    parsed = parse_arn(arn)
    return bool(parsed.service == "events" and parsed.resource_type == "event-bus")


def _deliver_to_bus(arn: str, event: Any) -> None:
    """The event, as it is, to every rule of the target bus (its own region's and account's)."""
    target = parse_arn(arn)
    bus = events_backends[target.account][target.region].describe_event_bus(target.resource_id)
    for rule in list(bus.rules.values()):
        rule.send_to_targets(copy.deepcopy(event))


def install() -> None:
    """Deliver rule targets that are SNS topics, state machines or event buses."""
    Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign]
