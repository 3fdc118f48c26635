"""Reliability of the real workflow in moto: concurrent runs and the lease (faults: test_reliability_faults.py)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from p2p_core.storage.status import RunRecord, StatusStore
from p2p_emulator.world import FIVE_REGIONS, WorkflowWorld
from p2pctl.runs import run_name, start_run, wait_run
from tests.integration.reconciler_fixtures import ONE_FLEET
from tests.integration.reliability_world import (
    counts,
    fresh_mutations,
    lease_item,
    managed_resources,
    put_lease,
)
from tests.integration.test_workflow import CLOUDFRONT, RUNNING, mutations_outside_own_table

# --- 1. concurrency -------------------------------------------------------------------------------


def test_three_simultaneous_runs_one_mutates_the_others_skip_and_nothing_is_duplicated(world: WorkflowWorld) -> None:
    """Injected: three executions started back to back (before any finished) on a fresh five-region config.

    Checked: exactly one run took the lease and did the work; the other two ended "skipped" naming the
    holder, with no region in their output; the mutating calls of all three runs together are exactly
    one provisioning (20 per region, one control-center publish); every region holds exactly one VPC,
    one ASG and one of every other resource; the lease is released.
    moto's Step Functions runs each execution in its own thread, so the Plans genuinely overlap; if a
    moto version serialised them, the invariant checked (no duplicates, one mutating run per lease) holds
    all the same, though then the later runs would see a no-op instead of the lease.
    """
    world.put_config(**RUNNING)
    world.calls.clear()
    arns = [start_run(world.sfn, world.stack.state_machine_arn, name=run_name(f"race{i}")) for i in range(3)]
    outcomes = [wait_run(world.sfn, arn, timeout=600) for arn in arns]
    assert [o.status for o in outcomes] == ["SUCCEEDED"] * 3, [o.cause for o in outcomes]
    statuses = sorted(o.output["status"] for o in outcomes)  # type: ignore[index]
    assert statuses in (["ok", "skipped", "skipped"], ["noop", "noop", "ok"], ["noop", "ok", "skipped"])
    winner = next(o for o in outcomes if o.output["status"] == "ok")  # type: ignore[index]
    for other in outcomes:
        if other.output["status"] == "skipped":  # type: ignore[index]
            assert other.output["skip_reason"] == f"another run holds the lease: {winner.name}"  # type: ignore[index]
            assert other.states_entered == ["Plan", "NothingToDo", "Finalize"]
    assert sum(o.output["status"] == "ok" for o in outcomes) == 1  # type: ignore[index]
    assert [len(o.output["regions"]) for o in outcomes if o is not winner] == [0, 0]  # type: ignore[index]
    # every mutating call of the three runs, per region, is exactly what one fresh provisioning takes
    per_region = Counter(region for region, _ in mutations_outside_own_table(world))
    assert per_region == {r: fresh_mutations(r) for r in FIVE_REGIONS} | {CLOUDFRONT: 2}  # update + publish
    for region in FIVE_REGIONS:
        assert len(world.managed_vpcs(region)) == 1, region
        assert counts(managed_resources(world, region)) == ONE_FLEET, region
    assert lease_item(world) is None  # the winner released it


# --- 2. the lease ---------------------------------------------------------------------------------


def test_an_expired_lease_left_by_a_crashed_run_is_taken_over(world: WorkflowWorld) -> None:
    """Injected: a lease item of a crashed run ("crashed-run") that expired a minute ago.

    Checked: the next run takes the lease over, provisions every region, succeeds, and releases it.
    """
    world.put_config(**RUNNING)
    put_lease(world, "crashed-run", datetime.now(UTC) - timedelta(minutes=1))
    run = world.run("takeover")
    assert run.status == "SUCCEEDED", run.cause
    assert run.output["status"] == "ok"  # type: ignore[index]
    assert all(world.asg(region) is not None for region in FIVE_REGIONS)
    assert lease_item(world) is None


def test_a_live_lease_of_another_run_makes_the_run_skip_without_touching_anything(world: WorkflowWorld) -> None:
    """Injected: a lease item held by "other-run" that expires in ten minutes.

    Checked: the run ends SUCCEEDED but skipped (status item says so, naming the holder), it made no
    mutating call outside the config table, no region got resources, and the lease item is untouched.
    """
    world.put_config(**RUNNING)
    item = put_lease(world, "other-run", datetime.now(UTC) + timedelta(minutes=10))
    run = world.run("blocked")
    assert run.status == "SUCCEEDED", run.cause
    assert run.states_entered == ["Plan", "NothingToDo", "Finalize"]
    skipped = world.status().last_skipped
    assert skipped is not None and skipped.status == "skipped" and skipped.held_by == "other-run"
    assert skipped.skip_reason == "another run holds the lease: other-run"
    assert mutations_outside_own_table(world) == []
    assert all(world.asg(region) is None for region in FIVE_REGIONS)
    assert lease_item(world) == item


def test_a_status_write_from_a_stale_read_is_retried_so_two_runs_finishing_together_both_land(
    world: WorkflowWorld,
) -> None:
    """Injected (on the status store Finalize uses, not through Finalize itself): the interleaving two
    concurrent runs' Finalizes make (seen live with three executions started at once): B loads the
    status item, A writes its run, B writes its run.

    Checked: `recent_runs` keeps both runs: B's write is conditional on the revision it read, fails,
    and B reads again (before the fix, B wrote `[B, *what B loaded]` and A's record was lost).
    """
    store = StatusStore(world.db, world.stack.config_table)
    now = "2030-01-01T00:00:00Z"
    first, second = (
        RunRecord(execution=name, status="skipped", started_at=now, finished_at=now) for name in ("a", "b")
    )
    stale = store.load()  # B's read, before A's write
    store.record_run(first, managed_regions=None)
    real_load = store.load
    reads = iter([stale])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "load", lambda: next(reads, None) or real_load())  # stale once, then real
        store.record_run(second, managed_regions=None)
    assert sorted(r.execution for r in store.load().recent_runs) == ["a", "b"]
