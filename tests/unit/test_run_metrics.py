"""The metrics a recorded run emits: one function, used by Finalize and the scheduled check's Plan."""

from __future__ import annotations

from p2p_core.models.events import PlanRequest
from p2p_core.models.results import RegionResult
from p2p_core.storage.status import RunRecord
from p2p_core.workflow.finalize_step import run_metrics, run_summary


def record(status: str, *regions: tuple[str, str]) -> RunRecord:
    return RunRecord.model_validate(
        {
            "execution": "run-1",
            "status": status,
            "started_at": "2026-01-01T00:00:00Z",
            "finished_at": "2026-01-01T00:00:05Z",
            "regions": [RegionResult(region=name, status=state, error_message=state) for name, state in regions],
        }
    )


def test_a_no_op_run_emits_every_run_metric_as_zero() -> None:
    assert run_metrics(record("noop")) == {
        "RunsFailed": 0,
        "RunsSkipped": 0,
        "RegionsFailed": 0,
        "DegradedRegions": 0,
        "RegionsChanged": 0,
    }


def test_a_skipped_run_counts_as_skipped_only() -> None:
    assert run_metrics(record("skipped")) == {
        "RunsFailed": 0,
        "RunsSkipped": 1,
        "RegionsFailed": 0,
        "DegradedRegions": 0,
        "RegionsChanged": 0,
    }


def test_changed_regions_are_those_neither_failed_degraded_nor_skipped() -> None:
    run = record(
        "failed",
        ("eu-west-1", "ok"),
        ("eu-central-1", "ok"),
        ("sa-east-1", "failed"),
        ("ap-south-1", "degraded"),
        ("me-south-1", "skipped"),
    )
    assert run_metrics(run) == {
        "RunsFailed": 1,
        "RunsSkipped": 0,
        "RegionsFailed": 1,
        "DegradedRegions": 1,
        "RegionsChanged": 2,
    }
    assert run_summary(run) == {"status": "failed", "errors": [], "degraded": {"ap-south-1": "degraded"}}


def test_only_a_plan_asked_to_records_a_run_with_nothing_to_do() -> None:
    """The reconcile workflow's Plan parameters ask nothing; the check's name the workflow for a follow-up run."""
    common = {"execution": "run-1", "started_at": "2026-01-01T00:00:00Z", "input": {}}
    assert PlanRequest.model_validate(common).record_nothing_to_do is None
    asked = PlanRequest.model_validate({**common, "record_nothing_to_do": {"state_machine": "arn:reconcile"}})
    assert asked.record_nothing_to_do is not None and asked.record_nothing_to_do.state_machine == "arn:reconcile"
