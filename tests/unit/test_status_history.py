"""The status item's history stays far below DynamoDB's 400 KB item limit, whatever runs it records."""

from __future__ import annotations

from p2p_core.models.results import RegionResult
from p2p_core.regions import commercial_regions
from p2p_core.storage.status import RECENT_RUNS, RECENT_RUNS_BYTES, RunRecord, Status, recent_runs


def provisioning(number: int, actions_per_region: int = 20) -> RunRecord:
    """A run that created every managed resource in all 34 regions (~45 KB as recorded)."""
    regions = [
        RegionResult(
            region=name,
            status="ok",
            actions=[f"created subnet subnet-{i:017x} in {name}a (10.20.30.0/26)" for i in range(actions_per_region)],
            mutating_calls=actions_per_region,
        )
        for name in commercial_regions()
    ]
    return RunRecord(
        execution=f"run-{number:02d}",
        status="ok",
        started_at="2026-11-26T10:00:00Z",
        finished_at="2026-11-26T10:01:00Z",
        regions=regions,
    )


def test_twenty_provisioning_runs_of_34_regions_stay_under_half_of_dynamodbs_limit():
    runs = [provisioning(n) for n in range(25)]

    kept = recent_runs(runs)

    assert [r.execution for r in kept] == [f"run-{n:02d}" for n in range(RECENT_RUNS)]  # all 20 fit
    assert sum(len(r.model_dump_json(exclude_none=True)) for r in kept) <= RECENT_RUNS_BYTES < 400 * 1024 / 2


def test_the_history_keeps_each_regions_status_and_counts_not_its_actions():
    kept = recent_runs([provisioning(n) for n in range(6)])

    regions = [r for run in kept for r in run.regions]
    assert len(regions) == 6 * 34 and not any(r.actions for r in regions)
    assert {(r.status, r.mutating_calls) for r in regions} == {("ok", 20)}


def test_a_run_is_found_whole_when_it_is_the_last_one():
    newest = provisioning(1)
    status = Status(last_run=newest, recent_runs=recent_runs([newest, provisioning(0)]))

    assert status.run("run-01") == newest  # with its actions: what `run --wait` prints
    assert status.run("run-00") is not None and not status.run("run-00").regions[0].actions
    assert status.run("run-99") is None


def test_the_history_is_cut_by_size_but_always_keeps_the_newest_run():
    # runs whose recorded text is large even without actions (errors are capped per message, not per run)
    huge = [provisioning(n).model_copy(update={"errors": ["x" * 300] * 200}) for n in range(5)]  # ~70 KB each

    kept = recent_runs(huge)

    assert [r.execution for r in kept[:1]] == ["run-00"]
    assert len(kept) < 5
