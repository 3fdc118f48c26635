"""Where EventBridge's resources are named in its API parameters, for the authorization requests of a call
(requests.py): the bus of each PutEvents entry, and a rule on the default bus or on a custom bus (two resource
types in the Service Authorization Reference, with two ARN formats)."""

from __future__ import annotations

from collections.abc import Callable

from p2p_emulator.iam.calls import Call, Target, arn
from p2p_emulator.iam.live import LiveState


def event_buses(call: Call, _: LiveState) -> list[Target]:
    """The bus of each PutEvents entry."""
    # PutEvents names its bus in each entry (default: the account's default bus)
    names = sorted({str(e.get("EventBusName") or "default") for e in call.params.get("Entries", [])})
    return [Target(n if n.startswith("arn:") else arn(call, "events", "event-bus", n)) for n in names]


def rules(on_default_bus: bool) -> Callable[[Call, LiveState], list[Target]]:
    """The rule a call names (Name or Rule, on EventBusName; TagResource: ResourceARN), if on that kind of bus."""

    def resolve(call: Call, _: LiveState) -> list[Target]:
        if "ResourceARN" in call.params:  # TagResource names the rule by its ARN
            found = str(call.params["ResourceARN"])
            return [Target(found)] if ":rule/" in found and (found.count("/") == 1) == on_default_bus else []
        name, bus = call.params.get("Name") or call.params.get("Rule"), call.params.get("EventBusName") or "default"
        bus = str(bus).rsplit("/", 1)[-1]  # a bus may be named by its ARN
        if not name or (bus == "default") != on_default_bus:
            return []
        kind = "rule-on-default-event-bus" if on_default_bus else "rule-on-custom-event-bus"
        return [Target(arn(call, "events", kind, *([] if on_default_bus else [bus]), name))]

    return resolve
