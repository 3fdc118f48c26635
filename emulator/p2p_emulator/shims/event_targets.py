"""EventBridge rule targets that moto 5.2.5 cannot deliver to (SNS topics, Step Functions state machines) or
delivers wrongly (another region's event bus), and rules that match no event on AWS.

moto delivers a matching event to SQS, CloudWatch Logs, archives, buses and API destinations, and raises
NotImplementedError for any other target, failing the caller's PutEvents (AWS never fails a PutEvents
for a target: delivery is asynchronous). The template's notification rule targets the alarm topic and
the Agents Missing rule a state machine, so here an SNS target gets the event (through the target's
input transformer) as the message of a Publish to the topic, which moto then
delivers to the topic's subscriptions, and a state machine target starts an execution with the event
as its input (moto runs it when the emulator executes state machines).

An event bus target (another region's or account's bus): AWS delivers the event itself, which the
receiving bus's rules see with the original `id`, `time`, `region`, `account` and `resources` (a rule in
the home region learns which region an event came from). moto rebuilt it in the target region from
source, detail-type and detail alone. Here the target bus's rules get the original event.

An input transformer fills its template as EventBridge does: a placeholder outside quotes in a JSON
template takes the value as JSON (a string quoted: `{"region": <region>}` gives `{"region": "us-east-1"}`),
one inside quotes the value's text, escaped (a template that is not JSON: the text, as it is); moto
inserted every string bare, so such a template failed the delivery and the PutEvents (or the write call
whose CloudTrail event it was) with it. A target that fails to take an event is logged and skipped, as
AWS's asynchronous delivery never fails the call that made the event.
A target with no input transformer gets the whole event, as on AWS; moto's default template left out `account`.

AWS matches events against enabled rules with an event pattern only: a DISABLED rule and a schedule rule
(no pattern) match none; moto delivered every event to both.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from jsonpath_ng.ext.parser import parse as json_path
from moto.events.models import Rule, events_backends
from moto.sns.models import sns_backends
from moto.stepfunctions.responses import get_backend
from moto.utilities.arns import parse_arn

_original_send = Rule.send_to_targets
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_log = logging.getLogger(__name__)


def _send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
    if self.state != "ENABLED" or not self.event_pattern.get_pattern():
        return
    if not self.event_pattern.matches_event(original_event):
        return
    whole: Any = {k: v for k, v in original_event.items() if k != "ingestion-time"}  # AWS's event, moto's field out
    for target in list(self.targets):
        try:
            _deliver(self, target, original_event if target.get("InputTransformer") else whole, transform_input)
        except Exception:  # AWS retries, then drops (or dead-letters) it; the call that made the event succeeded
            _log.exception("rule %s could not deliver an event to %s", self.name, target["Arn"])


def _deliver(rule: Any, target: dict[str, Any], event: Any, transform_input: bool) -> None:
    arn = parse_arn(target["Arn"])
    if arn.service == "events" and arn.resource_type == "event-bus":
        bus = events_backends[arn.account][arn.region].describe_event_bus(arn.resource_id)
        for receiving in list(bus.rules.values()):  # the event as it is, to the target bus's rules
            receiving.send_to_targets(copy.deepcopy(event))
        return
    transformer = target.get("InputTransformer")
    if arn.service not in ("sns", "states"):  # moto's own delivery (SQS, Logs, archives)
        rule.targets, kept = [target], rule.targets
        try:
            _original_send(rule, event, bool(transform_input and transformer))
        finally:
            rule.targets = kept
        return
    event = _with_iso_time(event)
    message: Any = event
    if transform_input and transformer:
        text = transformed_input(transformer, event, rule)
        try:
            message = json.loads(text)
        except ValueError:
            message = text
    text = message if isinstance(message, str) else json.dumps(message, default=str)
    if arn.service == "sns":
        sns_backends[arn.account][arn.region].topics[target["Arn"]].publish(text)
    else:
        # EventBridge names the execution it starts with a new id, as StartExecution without a name does
        get_backend(arn.account, arn.region).start_execution(target["Arn"], str(uuid.uuid4()), text)


def _with_iso_time(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its `time` as AWS writes it (moto keeps epoch seconds until its own targets format them)."""
    moment = event.get("time")
    if not isinstance(moment, (int, float)):
        return event
    return {**event, "time": datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def transformed_input(transformer: dict[str, Any], event: dict[str, Any], rule: Any) -> str:
    """The target's input from an input transformer, as EventBridge fills its template."""
    values: dict[str, Any] = {
        "aws.events.rule-arn": rule.arn,
        "aws.events.rule-name": rule.name,
        "aws.events.event.json": {k: v for k, v in event.items() if k != "ingestion-time"},
    }
    for name, path in (transformer.get("InputPathsMap") or {}).items():
        found = json_path(path).find(event)
        values[name] = found[0].value if found else None
    template = str(transformer.get("InputTemplate", ""))
    if not template.lstrip().startswith(("{", "[", '"')):  # a text template: the values' text, as they are
        return _PLACEHOLDER.sub(lambda m: _text(values[m.group(1)]) if m.group(1) in values else m.group(0), template)
    parts, in_string, escaped, i = [], False, False, 0
    while i < len(template):
        char, placeholder = template[i], _PLACEHOLDER.match(template, i)
        if placeholder and placeholder.group(1) in values:
            parts.append(_render(values[placeholder.group(1)], in_string))
            i = placeholder.end()
            continue
        if char == '"' and not escaped:
            in_string = not in_string
        escaped = char == "\\" and not escaped
        parts.append(char)
        i += 1
    return "".join(parts)


def _render(value: Any, in_string: bool) -> str:
    return json.dumps(_text(value))[1:-1] if in_string else json.dumps(value, default=str)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def install() -> None:
    """Deliver rule targets that are SNS topics, state machines or event buses; fill input templates as AWS."""
    Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign]
