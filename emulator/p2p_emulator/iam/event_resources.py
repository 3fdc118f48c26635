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
        given = call.params.get("ResourceARN") or call.params.get("Name") or call.params.get("Rule")
        if not given or (str(given).startswith("arn:") and ":rule/" not in str(given)):
            return []
        if str(given).startswith("arn:"):  # on the default bus its ARN is rule/<name>, on another rule/<bus>/<name>
            default = str(given).count("/") == 1
            return [Target(str(given))] if default == on_default_bus else []
        bus = str(call.params.get("EventBusName") or "default").rsplit("/", 1)[-1]  # a bus may be named by ARN
        if (bus == "default") != on_default_bus:
            return []
        parts = (str(given),) if on_default_bus else (bus, str(given))
        kind = "rule-on-default-event-bus" if on_default_bus else "rule-on-custom-event-bus"
        return [Target(arn(call, "events", kind, *parts))]

    return resolve
