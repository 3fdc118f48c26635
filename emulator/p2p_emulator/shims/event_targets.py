"""EventBridge rule targets that moto 5.2.5 cannot deliver to: SNS topics and Step Functions state machines.

moto delivers a matching event to SQS, CloudWatch Logs, archives, buses and API destinations, and raises
NotImplementedError for any other target, failing the caller's PutEvents (AWS never fails a PutEvents
for a target: delivery is asynchronous). The template's notification rule targets the alarm topic and
the Agents Missing rule a state machine, so here an SNS target gets the event (through the target's
input transformer, as moto applies it) as the message of a Publish to the topic, which moto then
delivers to the topic's subscriptions, and a state machine target starts an execution with the event
as its input (moto runs it when the emulator executes state machines).
"""

from __future__ import annotations

import json
from typing import Any

from moto.events.models import Rule
from moto.events.utils import EventTemplateParser
from moto.sns.models import sns_backends
from moto.stepfunctions.responses import get_backend
from moto.utilities.arns import parse_arn

_original_send = Rule.send_to_targets


def _send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
    if not self.event_pattern.matches_event(original_event):
        return
    ours = [t for t in self.targets if parse_arn(t["Arn"]).service in ("sns", "states")]
    others = [t for t in self.targets if t not in ours]
    for target in ours:
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
    if others:
        self.targets, kept = others, self.targets
        try:
            _original_send(self, original_event, transform_input)
        finally:
            self.targets = kept


def install() -> None:
    """Deliver rule targets that are SNS topics or state machines."""
    Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign]
