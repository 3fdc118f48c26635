"""Tiered verification (SPEC §12): a scheduled check reads 2 calls per region between full verifications.

After a region is verified fully and found as configured, the next scheduled checks read only its group and
security groups; what they read differing, or `verify_interval` passing, makes the check verify it fully. Real
template, ASLs run by moto, hand-made changes with the operator's own clients (tests/integration/test_drift.py).
"""

from __future__ import annotations

from datetime import timedelta

from p2p_core.aws.clients import is_mutating
from p2p_core.storage.verified import VerificationStore
from p2p_emulator.world import WorkflowWorld
from tests.integration.test_drift import Operator, change_the_group_max, delete_the_default_route, open_ssh_to_the_world

REGION = "eu-central-1"
FLEET = {"regions": [REGION], "desired_capacity": 1, "start_time": "2020-01-01T00:00:00Z", "run_duration": None}
CHECK_NO_OP = ["Source", "Plan", "NothingToDo", "Recorded"]
CHECK_DRIFT = ["Source", "Plan", "NothingToDo", "StartReconcile"]
QUIET_READS = [("autoscaling", "DescribeAutoScalingGroups"), ("ec2", "DescribeSecurityGroups")]
FLEET_SERVICES = {"ec2", "autoscaling", "logs", "ssm"}  # the home region's table, schedule and bus are not the fleet's


def region_reads(world: WorkflowWorld) -> list[tuple[str, str]]:
    """The read calls the last execution's handlers made of the fleet's resources in its region, in order."""
    return [
        (c.service, c.operation)
        for c in world.calls
        if c.region == REGION
        and c.service in FLEET_SERVICES
        and not is_mutating(c.operation)
        and c.operation != "DescribeRegions"  # the account's regions, once per check (checks/enabled.py)
    ]


def verified_quietly(world: WorkflowWorld) -> None:
    """The fleet provisioned, then verified fully by one scheduled check: the next one is quiet."""
    world.put_config(**FLEET)
    assert world.run("provision").status == "SUCCEEDED"
    full = world.scheduled_run("full")
    assert full.states_entered == CHECK_NO_OP
    assert len(region_reads(world)) >= 7  # every managed resource (reconciler/observe.py)
    assert REGION in VerificationStore(world.db, world.stack.config_table).load()


def test_between_full_verifications_a_scheduled_check_reads_the_group_and_the_security_groups(
    world: WorkflowWorld,
) -> None:
    verified_quietly(world)

    quiet = world.scheduled_run("quiet")

    assert quiet.states_entered == CHECK_NO_OP
    assert region_reads(world) == QUIET_READS
    assert world.status().last_check.unchanged_regions == [REGION]  # type: ignore[union-attr]


def test_a_rule_opened_by_hand_is_seen_by_the_quiet_check_and_repaired(world: WorkflowWorld) -> None:
    verified_quietly(world)
    open_ssh_to_the_world(Operator(world))

    check = world.scheduled_run("opened")

    assert check.states_entered == CHECK_DRIFT  # the region was verified fully in the same check, then repaired
    repair = world.reconcile_run(check.name)
    assert repair.status == "SUCCEEDED", repair.cause
    rules = Operator(world).security_group()["IpPermissions"]
    assert not any(r.get("FromPort") == 22 and {"CidrIp": "0.0.0.0/0"} in r.get("IpRanges", []) for r in rules)


def test_a_capacity_changed_by_hand_is_seen_by_the_quiet_check(world: WorkflowWorld) -> None:
    verified_quietly(world)
    change_the_group_max(Operator(world))

    assert world.scheduled_run("resized").states_entered == CHECK_DRIFT


def test_a_route_deleted_by_hand_waits_for_the_next_full_verification(world: WorkflowWorld) -> None:
    verified_quietly(world)
    delete_the_default_route(Operator(world))

    unseen = world.scheduled_run("unseen")
    assert unseen.states_entered == CHECK_NO_OP  # the trade-off: routes are read every verify_interval
    store = VerificationStore(world.db, world.stack.config_table)
    last = store.load()
    store.save({r: v.model_copy(update={"at": v.at - timedelta(hours=6)}) for r, v in last.items()})  # 6 h later

    due = world.scheduled_run("due")

    assert due.states_entered == CHECK_DRIFT
    assert world.reconcile_run(due.name).status == "SUCCEEDED"
    routes = Operator(world).route_table()["Routes"]
    assert any(r.get("DestinationCidrBlock") == "0.0.0.0/0" for r in routes)


def test_a_run_an_edit_or_an_operator_starts_verifies_everything(world: WorkflowWorld) -> None:
    verified_quietly(world)
    delete_the_default_route(Operator(world))

    manual = world.run("manual")

    assert manual.status == "SUCCEEDED"
    assert len(region_reads(world)) > len(QUIET_READS)
    routes = Operator(world).route_table()["Routes"]
    assert any(r.get("DestinationCidrBlock") == "0.0.0.0/0" for r in routes)
    assert REGION not in VerificationStore(world.db, world.stack.config_table).load()  # drifted: verify it again
