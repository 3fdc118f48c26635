"""Drift events, the control plane's side (issue 26 §3): each managed region's drift-event rule as a managed
resource, and the scheduled check turning a burst of drift events into one run.

Real template, ASLs run by moto, the rule's changes made by hand with the operator's own clients. The events
themselves (CloudTrail-shaped, delivered across regions) are the emulator's: tests/integration/test_drift_events.py.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from p2p_core.drift_events import normalized
from p2p_core.models.deployment import Deployment
from p2p_core.storage.verified import VerificationStore
from p2p_emulator import shims
from p2p_emulator.world import HOME, WorkflowWorld
from p2pctl.runs import RunOutcome, wait_run
from tests.integration.reliability_world import put_lease

OTHER = "us-east-1"
FLEET = {"regions": [HOME, OTHER], "desired_capacity": 1, "start_time": "2020-01-01T00:00:00Z", "run_duration": None}
OPENED = ["Source", "NameTheRegion", "FirstOfTheBurst", "GatherTheBurst", "Plan"]
JOINED = ["Source", "NameTheRegion", "FirstOfTheBurst", "JoinedTheBurst"]


def _physical(world: WorkflowWorld, logical: str) -> str:
    cfn = world.clients.client("cloudformation", HOME)
    found = cfn.describe_stack_resource(StackName=world.stack.stack_name, LogicalResourceId=logical)
    return str(found["StackResourceDetail"]["PhysicalResourceId"])


def rule_name(world: WorkflowWorld) -> str:
    """The drift-event rule's name, as the deployed functions are told it (P2P_DRIFT_RULE_NAME)."""
    plan = world.clients.client("lambda", HOME).get_function_configuration(
        FunctionName=_physical(world, "PlanFunction")
    )
    deployment = Deployment.from_env(plan["Environment"]["Variables"])
    assert deployment.drift_rule_name is not None and deployment.drift_routing() is not None
    return deployment.drift_rule_name


def _rule(world: WorkflowWorld, region: str) -> dict[str, object] | None:
    events = world.clients.client("events", region)
    name = rule_name(world)
    found = [r for r in events.list_rules(NamePrefix=name)["Rules"] if r["Name"] == name]
    if not found:
        return None
    return {**found[0], "Targets": events.list_targets_by_rule(Rule=name)["Targets"]}


def provisioned(world: WorkflowWorld) -> None:
    world.put_config(**FLEET)
    run = world.run("provision")
    assert run.status == "SUCCEEDED", run.cause


def drift_event(world: WorkflowWorld, name: str, region: str = OTHER) -> str:
    """What DriftRule does for an event of `region`: start the scheduled check with the region named."""
    assert world.stack.scheduled_check_arn is not None
    started = world.sfn.start_execution(
        stateMachineArn=world.stack.scheduled_check_arn,
        name=name,
        input=json.dumps({"source": "drift-event", "region": region}),
    )
    return str(started["executionArn"])


def test_every_managed_region_but_the_home_one_delivers_its_drift_events_to_the_home_bus(world: WorkflowWorld) -> None:
    provisioned(world)
    rule = _rule(world, OTHER)
    assert rule is not None and rule["State"] == "ENABLED"
    home_bus = f"arn:aws:events:{HOME}:123456789012:event-bus/default"
    forward_role = world.clients.client("iam", HOME).get_role(RoleName=_physical(world, "DriftForwardRole"))
    assert rule["Targets"] == [{"Id": "home-bus", "Arn": home_bus, "RoleArn": forward_role["Role"]["Arn"]}]
    assert _rule(world, HOME) is None  # the template's DriftRule matches the home region's own events
    home = world.clients.client("events", HOME).describe_rule(Name=_physical(world, "DriftRule"))
    # one pattern: the template's (home) and the code's (every other region) say the same
    assert normalized(json.loads(home["EventPattern"])) == normalized(json.loads(str(rule["EventPattern"])))


def test_a_drift_rule_disabled_or_emptied_by_hand_is_put_back_by_the_next_full_verification(
    world: WorkflowWorld,
) -> None:
    provisioned(world)
    events = world.clients.client("events", OTHER)
    name = rule_name(world)
    events.disable_rule(Name=name)
    events.remove_targets(Rule=name, Ids=["home-bus"])
    repaired = world.run("repair")
    assert repaired.status == "SUCCEEDED", repaired.cause
    rule = _rule(world, OTHER)
    assert rule is not None and rule["State"] == "ENABLED" and [t["Id"] for t in rule["Targets"]] == ["home-bus"]  # type: ignore[union-attr]
    assert world.run("after").output["regions"] == []  # type: ignore[index]  # as configured again


def test_a_decommissioned_region_loses_its_drift_rule(world: WorkflowWorld) -> None:
    provisioned(world)
    world.put_config(**{**FLEET, "regions": [HOME]})
    assert world.run("decommission").status == "SUCCEEDED"
    assert _rule(world, OTHER) is None


def test_a_burst_of_drift_events_starts_one_run_that_verifies_the_regions_named_fully(world: WorkflowWorld) -> None:
    """Five events of one region and one of another within a second: the first opens the window, waits, and runs
    Plan once; the others name their region and end. Both regions are then verified fully and nothing stays named."""
    provisioned(world)
    assert world.scheduled_run("verified").status == "SUCCEEDED"  # both verified fully: next checks are quiet
    verified = VerificationStore(world.db, world.stack.config_table)
    assert set(verified.load()) == {HOME, OTHER}
    regions = [OTHER] * 5 + [HOME]
    arns = [drift_event(world, f"drift-{i}", region) for i, region in enumerate(regions)]
    with ThreadPoolExecutor(len(arns)) as pool:
        runs: list[RunOutcome] = list(pool.map(lambda arn: wait_run(world.sfn, arn, timeout=120), arns))
    assert all(run.status == "SUCCEEDED" for run in runs), [run.cause for run in runs]
    opened = [run for run in runs if run.states_entered[: len(OPENED)] == OPENED]
    assert len(opened) == 1 and all(run.states_entered == JOINED for run in runs if run not in opened)
    assert opened[0].output is not None and opened[0].output["status"] == "noop"  # found as configured
    assert set(verified.load()) == {HOME, OTHER} and verified.drift_pending() == []
    assert verified.drift_window is None


def name_the_region(world: WorkflowWorld, region: str, window: str) -> None:
    """Exactly what the check's NameTheRegion state writes for a drift event (its UpdateItem)."""
    world.db.update_item(
        TableName=world.stack.config_table,
        Key={"pk": {"S": "status#verified"}},
        UpdateExpression="ADD drift_regions :region SET drift_window = if_not_exists(drift_window, :me)",
        ExpressionAttributeValues={":region": {"SS": [region]}, ":me": {"S": window}},
    )


def test_a_drift_event_while_another_run_holds_the_lease_is_kept_for_later(world: WorkflowWorld) -> None:
    """A drift check that finds the lease taken is skipped; the region stays named (nothing is lost)."""
    provisioned(world)
    put_lease(world, "someone-else", datetime.now(UTC) + timedelta(minutes=10))
    check = wait_run(world.sfn, drift_event(world, "drift-while-held"), timeout=120)
    assert check.states_entered[: len(OPENED)] == OPENED
    assert check.output is not None and check.output["status"] == "skipped"
    assert VerificationStore(world.db, world.stack.config_table).drift_pending() == [OTHER]


def test_a_run_that_held_the_lease_through_a_drift_event_starts_a_follow_up_run_for_it(world: WorkflowWorld) -> None:
    """Injected: a drift event's region named while ReconcileRegion runs (its own check found the lease taken).
    Checked: that run's Finalize starts a follow-up run for it, which verifies the region and settles it."""
    provisioned(world)
    world.put_config(**{**FLEET, "desired_capacity": 2})
    named: list[str] = []
    lock = threading.Lock()

    def drift_once(function: str, event: dict[str, object]) -> Exception | None:
        with lock:
            if function == "ReconcileRegionFunction" and not named:
                named.append(OTHER)
                name_the_region(world, OTHER, "drift-skipped")
        return None

    shims.add_fault(drift_once)
    first = world.run("edit")
    assert first.status == "SUCCEEDED", first.cause
    follow_up = world.status().last_run.follow_up  # type: ignore[union-attr]
    assert follow_up is not None
    done = wait_run(world.sfn, first.execution_arn.replace(first.name, follow_up), timeout=300)
    assert done.status == "SUCCEEDED", done.cause
    history = world.sfn.describe_execution(executionArn=done.execution_arn)
    assert json.loads(history["input"])["source"] == "drift-event"
    verified = VerificationStore(world.db, world.stack.config_table)
    assert verified.drift_pending() == [] and OTHER in verified.load()
