"""Every run is recorded in the status item and shown truthfully (the real ASL in moto, the real handlers).

A run that stops in Plan, a run skipped for the lease, a region whose reconcile crashed: each is in the
status item as what it was, and none of them hides what earlier runs found in the other regions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from p2p_emulator import shims
from p2p_emulator.world import FIVE_REGIONS, WorkflowWorld
from p2pctl.follow import finished_regions, region_line
from tests.integration.reliability_world import lease_item, put_lease
from tests.integration.test_workflow import PLAN_FAILED_STATES, RUNNING, mutations_outside_own_table

CRASHING = "sa-east-1"


def crash_in(region: str) -> shims.FaultHook:
    """A fault hook: ReconcileRegion of `region` raises (the Map's Catch records it as failed)."""

    def hook(function: str, event: dict[str, object]) -> Exception | None:
        plan = event.get("region_plan")
        if function == "ReconcileRegionFunction" and isinstance(plan, dict) and plan["region"] == region:
            return RuntimeError(f"injected crash in {region}")
        return None

    return hook


def test_an_item_written_with_boto3_with_a_misspelt_field_is_recorded_as_failed_naming_it(world: WorkflowWorld) -> None:
    """Injected: a valid run over five regions, then an item put with boto3 holding `desired_capcity`.

    Checked: the run fails with ConfigInvalid naming the field (Plan's Catch -> Finalize); the status
    item's last run is that failure, naming the field; every region keeps the first run's result;
    nothing outside the control plane's table was written and the lease is free.
    """
    world.put_config(**RUNNING)
    first = world.run("valid")
    assert first.status == "SUCCEEDED", first.cause
    world.put_raw_config({**RUNNING, "desired_capcity": 3})
    run = world.run("misspelt")
    assert (run.status, run.error) == ("FAILED", "ConfigInvalid")
    assert "desired_capcity: unknown field" in (run.cause or "")
    assert run.states_entered == PLAN_FAILED_STATES
    assert mutations_outside_own_table(world) == []
    status = world.status()
    last = status.last_run
    assert last is not None and (last.execution, last.status, last.stopped_by) == (run.name, "failed", "ConfigInvalid")
    assert last.errors == ["plan: ConfigInvalid: invalid config (1 error):\n  desired_capcity: unknown field"]
    assert [r.execution for r in status.recent_runs] == [run.name, first.name]
    assert sorted(status.regions) == FIVE_REGIONS
    assert {(r.status, r.run) for r in status.regions.values()} == {("ok", first.name)}
    assert status.managed_regions == FIVE_REGIONS
    assert lease_item(world) is None


def test_a_skipped_run_names_the_lease_holder_and_leaves_the_last_real_run_in_place(world: WorkflowWorld) -> None:
    """Injected: a run over five regions, then a live lease of "holder-run" and a second run.

    Checked: the second run is recorded as the last skipped run naming holder-run's execution; the last
    run is still the first one (ok) and every region still shows its result.
    """
    world.put_config(**RUNNING)
    first = world.run("real")
    assert first.status == "SUCCEEDED", first.cause
    put_lease(world, "holder-run", datetime.now(UTC) + timedelta(minutes=10))
    skipped = world.run("blocked")
    assert skipped.status == "SUCCEEDED", skipped.cause
    assert skipped.output is not None and skipped.output["held_by"] == "holder-run"
    status = world.status()
    assert status.last_skipped is not None
    assert (status.last_skipped.execution, status.last_skipped.held_by) == (skipped.name, "holder-run")
    assert status.last_skipped.skip_reason == "another run holds the lease: holder-run"
    assert status.last_run is not None and (status.last_run.execution, status.last_run.status) == (first.name, "ok")
    assert [r.execution for r in status.recent_runs] == [skipped.name, first.name]
    assert {r.run for r in status.regions.values()} == {first.name} and sorted(status.regions) == FIVE_REGIONS


def test_status_keeps_every_region_s_last_known_result_across_runs(world: WorkflowWorld) -> None:
    """Injected: a run where sa-east-1 crashes, a run that changes only us-east-1 while sa-east-1 still
    crashes, then a run stopped in Plan by an invalid item.

    Checked: after each run every region has its last known result: the change in us-east-1 by the
    second run, sa-east-1 failed (its error named) by the second run, the others unchanged; the run
    stopped in Plan changes none of them.
    """
    shims.add_fault(crash_in(CRASHING))
    world.put_config(**RUNNING)
    first = world.run("one-crashes")
    assert first.status == "FAILED"
    world.put_config(**{**RUNNING, "desired_capacity": {"all": 2, "aws": {"us-east-1": 3}}})
    second = world.run("one-changes")
    assert second.status == "FAILED"  # sa-east-1 is retried, and crashes again
    regions = world.status().regions
    assert sorted(regions) == FIVE_REGIONS
    assert (regions["us-east-1"].status, regions["us-east-1"].run) == ("ok", second.name)
    assert any("desired" in action for action in regions["us-east-1"].actions), regions["us-east-1"]
    assert (regions[CRASHING].status, regions[CRASHING].run) == ("failed", second.name)
    assert f"injected crash in {CRASHING}" in (regions[CRASHING].error_message or "")
    others = {name: (r.status, r.run) for name, r in regions.items() if name not in {"us-east-1", CRASHING}}
    assert set(others.values()) == {("unchanged", second.name)}
    world.put_raw_config({"regions": "everywhere"})
    assert world.run("invalid").error == "ConfigInvalid"
    assert world.status().regions == regions


def test_a_caught_region_failure_is_reported_as_failed_with_its_error(world: WorkflowWorld) -> None:
    """Injected: ReconcileRegion of sa-east-1 raises (the Map's Catch turns it into a failed result).

    Checked: the run fails naming sa-east-1; what `run --wait` prints from the execution history is a
    failure line with the error for sa-east-1 (never "✓ ?: no change") and an ok line for the others;
    the status item has sa-east-1 failed with the error.
    """
    shims.add_fault(crash_in(CRASHING))
    world.put_config(**RUNNING)
    run = world.run("caught")
    assert (run.status, run.error) == ("FAILED", "RunFailed")
    lines = sorted(region_line(result) for result in finished_regions(run.events))
    assert len(lines) == len(FIVE_REGIONS), lines
    assert f"  ✗ {CRASHING}: failed: RuntimeError: injected crash in {CRASHING}" in lines
    assert all(line.startswith("  ✓ ") for line in lines if CRASHING not in line), lines
    recorded = world.status().regions[CRASHING]
    assert recorded.status == "failed" and recorded.error_code == "RuntimeError"


def test_a_run_over_a_status_item_damaged_by_hand_succeeds_and_rewrites_it(world: WorkflowWorld) -> None:
    """Injected: after a valid run, the status item is edited by hand: `recent_runs` a string, `revision` a
    string, `last_run` a map missing its fields, `window_anchor` a number.

    Checked: the next run (the real ASL: Plan reads the item, Finalize writes it) succeeds; afterwards the
    item reads without a warning, its history holds that run, and every region keeps its result.
    """
    world.put_config(**RUNNING)
    first = world.run("before-damage")
    assert first.status == "SUCCEEDED", first.cause
    world.db.update_item(
        TableName=world.stack.config_table,
        Key={"pk": {"S": "status"}},
        UpdateExpression="SET recent_runs = :s, revision = :s, last_run = :m, window_anchor = :n",
        ExpressionAttributeValues={":s": {"S": "oops"}, ":m": {"M": {"execution": {"N": "5"}}}, ":n": {"N": "1"}},
    )
    damaged = world.status()
    assert {w.split(" is ")[0] for w in damaged.warnings} == {
        f"status item: {name}" for name in ("recent_runs", "revision", "last_run", "window_anchor")
    }
    run = world.run("over-damage")
    assert run.status == "SUCCEEDED", run.cause
    repaired = world.status()
    assert repaired.warnings == []
    assert [r.execution for r in repaired.recent_runs] == [run.name]
    assert repaired.last_run is not None and repaired.last_run.execution == run.name
    assert sorted(repaired.regions) == FIVE_REGIONS
