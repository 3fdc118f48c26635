"""The status item's history stays far below DynamoDB's 400 KB item limit, whatever runs it records."""

from __future__ import annotations

from p2p_core.models.results import RegionResult
from p2p_core.regions import commercial_regions
from p2p_core.storage.status import DETAILED_RUNS, RECENT_RUNS, RECENT_RUNS_BYTES, RunRecord, recent_runs


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


def test_the_newest_runs_keep_their_actions_older_ones_their_counts():
    kept = recent_runs([provisioning(n) for n in range(6)])

    assert all(r.actions for run in kept[:DETAILED_RUNS] for r in run.regions)
    older = [r for run in kept[DETAILED_RUNS:] for r in run.regions]
    assert older and not any(r.actions for r in older)
    assert {r.mutating_calls for r in older} == {20}  # what changed is still counted, and each region's status


def test_the_history_is_cut_by_size_but_always_keeps_the_newest_run():
    huge = [provisioning(n, actions_per_region=200) for n in range(5)]  # ~450 KB each with its actions

    kept = recent_runs(huge)

    assert [r.execution for r in kept[:1]] == ["run-00"]
    assert len(kept) < 5
