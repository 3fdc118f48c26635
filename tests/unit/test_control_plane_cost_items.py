"""The control plane cost model's line items that depend on the run: table calls of a drift run, Logs, Scheduler."""

from __future__ import annotations

import pytest

from p2p_core.cost.control_plane import ControlPlaneCost, CostItem, Usage, control_plane_cost, naive_control_plane_cost
from p2p_core.cost.usage import ItemSizes, PerRegion
from tests.unit.test_cost import ONE_LAMBDA

SIZES = Usage(sizes=ItemSizes(config=PerRegion(500), status=PerRegion(10_000)))  # 10 KB status: 3 RCU
QUOTA_WRITES = 100 * 4  # the quota item (4 WRU for 34 regions), at most hourly: not per recorded run


def item(cost: ControlPlaneCost, name: str) -> CostItem:
    return next(i for i in cost.items if i.name == name)


def test_a_run_that_finds_drift_reads_and_writes_the_table_again_in_the_reconcile_runs_plan_and_finalize() -> None:
    def table(drifted: float) -> tuple[float, float]:
        cost = control_plane_cost(100, regions=34, drifted_regions_per_run=drifted, usage=SIZES)
        return item(cost, "DynamoDB reads (on-demand)").quantity, item(cost, "DynamoDB writes (on-demand)").quantity

    (quiet_reads, quiet_writes), (drift_reads, drift_writes) = table(0), table(1)
    assert quiet_reads == 100 * (2 + 2 * 3 + 2 + 2)  # as counted in the replay (test_cost.py)
    assert drift_reads == 2 * quiet_reads  # the check's Plan, then the reconcile run's Plan and Finalize
    assert drift_writes - QUOTA_WRITES == 2 * (quiet_writes - QUOTA_WRITES)
    assert table(0.5)[0] == pytest.approx(1.5 * quiet_reads)  # half the runs find drift
    assert table(3)[0] == drift_reads  # recorded once per run, however many regions drifted


def test_logs_ingestion_is_each_invocations_log_lines_and_adds_to_the_total() -> None:
    def logs(drifted: float, kb: float) -> tuple[CostItem, float]:
        cost = control_plane_cost(
            100, regions=34, drifted_regions_per_run=drifted, usage=ONE_LAMBDA, cold_share=0, log_kb_per_invocation=kb
        )
        return item(cost, "CloudWatch Logs ingestion"), cost.total

    (quiet, quiet_total), (_, silent_total) = logs(0, 4.0), logs(0, 0.0)
    assert quiet.quantity == pytest.approx(100 * 1 * 4.0 / 1024**2)  # one invocation (the check's Plan) a run
    assert quiet.cost > 0 and quiet_total - silent_total == pytest.approx(quiet.cost)
    drifting, _ = logs(2, 4.0)
    assert drifting.quantity == pytest.approx(100 * (1 + 2 + 2) * 4.0 / 1024**2)  # + Plan, Finalize, 2 reconciles
    naive = item(naive_control_plane_cost(100, regions=34, log_kb_per_invocation=4.0), "CloudWatch Logs ingestion")
    assert naive.quantity > drifting.quantity  # a Lambda per region every run


@pytest.mark.parametrize("watcher", [True, False])
def test_every_run_is_one_scheduler_invocation_drift_or_not(watcher: bool) -> None:
    for drifted in (0, 1, 34):
        cost = control_plane_cost(100, regions=34, drifted_regions_per_run=drifted, watcher=watcher)
        scheduler = item(cost, "EventBridge Scheduler")
        assert scheduler.quantity == 100
        assert scheduler.cost > 0
        doubled = control_plane_cost(200, regions=34, drifted_regions_per_run=drifted, watcher=watcher)
        assert item(doubled, "EventBridge Scheduler").cost == pytest.approx(2 * scheduler.cost)
        assert cost.total == pytest.approx(sum(i.cost for i in cost.items))
