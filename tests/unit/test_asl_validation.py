"""The emulator's check of a state machine definition, as Step Functions validates one on create and update."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from p2p_emulator.shims.asl import problems

ROOT = Path(__file__).resolve().parents[2]
LAMBDA = "arn:aws:lambda:eu-central-1:123456789012:function:f"


def shipped(name: str) -> dict[str, Any]:
    """A shipped ASL with its DefinitionSubstitutions filled in (every `${...}` an ARN)."""
    text = (ROOT / "statemachine" / f"{name}.asl.json").read_text()
    return json.loads(re.sub(r"\$\{\w+\}", LAMBDA, text))  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", ["reconcile", "scheduled_check"])
def test_the_shipped_state_machines_are_valid(name: str) -> None:
    assert problems(shipped(name)) == []


def test_a_catch_removed_leaves_its_target_unreachable_and_it_is_named() -> None:
    check = shipped("scheduled_check")
    del check["States"]["StartReconcile"]["Catch"][0]  # the ExecutionAlreadyExists -> AlreadyStarted Catch
    assert problems(check) == ["UNREACHABLE_STATE: State 'AlreadyStarted' is not reachable. at /States/AlreadyStarted"]


def test_a_transition_to_no_state_a_state_that_never_ends_and_a_resource_that_is_no_arn_are_named() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Task", "Resource": "${PlanArn}", "Next": "Gone"},
            "B": {"Type": "Pass"},
        },
    }
    assert problems(definition) == [
        "MISSING_TRANSITION_TARGET: Missing 'Next' target: Gone at /States/A/Next",
        "SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN at /States/A/Resource",
        "MISSING_NEXT: State 'B' has neither 'Next' nor 'End': true at /States/B",
        "UNREACHABLE_STATE: State 'B' is not reachable. at /States/B",
    ]


def test_branches_of_parallel_and_map_states_are_checked_too() -> None:
    inner = {"StartAt": "X", "States": {"X": {"Type": "Succeed"}, "Y": {"Type": "Succeed"}}}
    definition = {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Parallel", "Branches": [inner], "Next": "M"},
            "M": {"Type": "Map", "ItemProcessor": copy.deepcopy(inner), "End": True},
        },
    }
    assert problems(definition) == [
        "UNREACHABLE_STATE: State 'Y' is not reachable. at /States/P/Branches[0]/States/Y",
        "UNREACHABLE_STATE: State 'Y' is not reachable. at /States/M/ItemProcessor/States/Y",
    ]
