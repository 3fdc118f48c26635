"""The teardown sweep's loop: it waits (bounded, injected clock) only for the stack's own terminating instances.

What each pass finds and what the decommission does are injected (`left_in_region`, `reconcile_region`);
that they find and remove the right things is shown against `p2pctl local` (tests/cli/test_cli_truth.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from p2p_core.aws.clients import ClientFactory
from p2p_core.models.deployment import Deployment
from p2p_core.models.results import RegionResult
from p2p_core.reconciler import teardown
from p2p_core.reconciler.leftovers import Leftover
from p2p_core.reconciler.teardown import RegionSweep, Waiting, only_terminating, sweep_region

REGION = "eu-west-1"
VPC = Leftover("VPC", "vpc-1")
RUNNING = Leftover("instance", "i-1", state="running")
TERMINATING = Leftover("instance", "i-1", state="shutting-down")
REMOVE = f"aws ec2 delete-subnet --subnet-id subnet-9 --region {REGION}"
HAND_MADE = Leftover("subnet", "subnet-9", ours=False, fix=REMOVE)


class Clock:
    """A clock that moves only when the sweep pauses."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def sweep(monkeypatch: pytest.MonkeyPatch, passes: list[list[Leftover]], clock: Clock) -> tuple[RegionSweep, int]:
    """Sweep one region whose successive reads find `passes` (the last repeats); returns it and the decommissions."""
    found: Iterator[list[Leftover]] = iter(passes)
    last: list[list[Leftover]] = [[]]

    def left(_: Any) -> list[Leftover]:
        last[0] = next(found, last[0])
        return last[0]

    decommissions: list[str] = []

    def decommission(*_: Any, **__: Any) -> RegionResult:
        decommissions.append(REGION)
        return RegionResult(region=REGION, status="ok", actions=["waiting: VPC vpc-1 is still in use"])

    monkeypatch.setattr(teardown, "left_in_region", left)
    monkeypatch.setattr(teardown, "reconcile_region", decommission)
    waiting = Waiting(seconds=60.0, pause=10.0, clock=clock, sleep=clock.sleep)
    result = sweep_region(ClientFactory(), Deployment(stack_name="s", home_region=REGION), REGION, waiting)
    return result, len(decommissions)


def test_a_region_with_nothing_of_the_stack_is_clean_and_untouched(monkeypatch: pytest.MonkeyPatch) -> None:
    result, decommissions = sweep(monkeypatch, [[]], Clock())
    assert (result.outcome, decommissions) == ("clean", 0)


def test_instances_still_terminating_are_waited_for_and_then_the_region_is_removed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    result, decommissions = sweep(monkeypatch, [[RUNNING, VPC], [TERMINATING, VPC], [TERMINATING, VPC], []], clock)
    assert (result.outcome, result.remaining) == ("removed", [])
    assert (clock.pauses, decommissions) == ([10.0, 10.0], 3)


def test_instances_terminating_past_the_wait_are_named_with_run_again(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    result, _ = sweep(monkeypatch, [[RUNNING, VPC], [TERMINATING, VPC]], clock)
    assert result.outcome == "remaining" and result.remaining == [TERMINATING, VPC]
    assert clock.now == 60.0 and "run teardown again" in result.why
    assert result.words().startswith(f"{REGION}: instance i-1 (shutting-down); VPC vpc-1")


def test_what_the_stack_did_not_make_is_named_with_its_command_and_never_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    result, decommissions = sweep(monkeypatch, [[VPC, HAND_MADE]], clock)
    assert (result.outcome, clock.pauses, decommissions) == ("remaining", [], 1)
    assert f"subnet subnet-9, not made by the stack: {REMOVE}" in result.words()


def test_a_vpc_left_for_another_reason_is_named_with_the_decommissions_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    result, _ = sweep(monkeypatch, [[VPC]], Clock())
    assert (result.outcome, result.why) == ("remaining", "VPC vpc-1 is still in use")


@pytest.mark.parametrize(
    ("left", "waits"),
    [
        ([TERMINATING, VPC], True),
        ([TERMINATING], True),
        ([RUNNING, VPC], False),  # a decommission terminates it: nothing to wait for yet
        ([VPC], False),
        ([TERMINATING, HAND_MADE], False),  # what the stack did not make never goes by itself
        ([], False),
    ],
)
def test_only_the_stacks_own_terminating_instances_are_waited_for(left: list[Leftover], waits: bool) -> None:
    assert only_terminating(left) is waits
