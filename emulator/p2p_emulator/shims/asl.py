"""Step Functions validates a definition on CreateStateMachine / UpdateStateMachine; moto stores any JSON.

AWS refuses (`InvalidDefinition`) a state no path from `StartAt` reaches, a transition (`Next`,
`Default`, a Choice rule's or a Catch's `Next`) naming no state, a state that neither ends nor
goes on, and a Task whose `Resource` is no ARN. Checked here for every state machine created or
updated, the branches of Parallel and Map states included, so a definition AWS would reject fails
in the emulator too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from moto.core.common_types import TYPE_RESPONSE

from p2p_emulator.shims import wire

_ENDS = ("Succeed", "Fail")
_ARN_PARTS = 6  # arn:partition:service:region:account:resource


def problems(definition: dict[str, Any], path: str = "") -> list[str]:
    """What Step Functions would refuse in `definition` (empty: valid), each with where it is."""
    states: dict[str, Any] = definition.get("States") or {}
    found = []
    start = definition.get("StartAt")
    if start not in states:
        found.append(f"MISSING_TRANSITION_TARGET: StartAt names no state: {start!r} at {path}/StartAt")
    for name, state in states.items():
        where = f"{path}/States/{name}"
        for key, target in _transitions(state):
            if target not in states:
                found.append(f"MISSING_TRANSITION_TARGET: Missing 'Next' target: {target} at {where}/{key}")
        kind = state.get("Type")
        if kind not in (*_ENDS, "Choice") and not state.get("End") and "Next" not in state:
            found.append(f"MISSING_NEXT: State {name!r} has neither 'Next' nor 'End': true at {where}")
        if kind == "Task" and str(state.get("Resource", "")).count(":") < _ARN_PARTS - 1:
            found.append(f"SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN at {where}/Resource")
        for i, branch in enumerate(state.get("Branches", [])):
            found += problems(branch, f"{where}/Branches[{i}]")
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                found += problems(state[key], f"{where}/{key}")
    reached = _reachable(states, start)
    found += [
        f"UNREACHABLE_STATE: State {name!r} is not reachable. at {path}/States/{name}"
        for name in states
        if name not in reached
    ]
    return found


def _transitions(state: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if "Next" in state:
        yield "Next", state["Next"]
    if "Default" in state:
        yield "Default", state["Default"]
    for i, choice in enumerate(state.get("Choices", [])):
        yield f"Choices[{i}]/Next", choice.get("Next")
    for i, catch in enumerate(state.get("Catch", [])):
        yield f"Catch[{i}]/Next", catch.get("Next")


def _reachable(states: dict[str, Any], start: Any) -> set[str]:
    seen: set[str] = set()
    todo = [start] if start in states else []
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += [target for _, target in _transitions(states[name]) if target in states]
    return seen


def _validate(request: wire.Request) -> TYPE_RESPONSE | None:
    if request.service != "stepfunctions" or request.action not in ("CreateStateMachine", "UpdateStateMachine"):
        return None
    body = json.loads(request.response.body or "{}")
    if "definition" not in body:  # an update of the role or logging only
        return None
    try:
        definition = json.loads(body["definition"])
    except json.JSONDecodeError as exc:
        return request.error(
            "InvalidDefinition", f"Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: {exc}'", 400
        )
    found = problems(definition) if isinstance(definition, dict) else ["SCHEMA_VALIDATION_FAILED: not an object"]
    if found:
        return request.error(
            "InvalidDefinition", "Invalid State Machine Definition: " + ", ".join(f"'{p}'" for p in found), 400
        )
    return None


def install() -> None:
    """Refuse state machine definitions Step Functions would refuse."""
    wire.rule(before=_validate)
