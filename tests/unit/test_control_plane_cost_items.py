"""The control plane cost model's line items that depend on the run: table calls of a drift run, Logs, Scheduler,
the checks' HTTPS connections, events, and the tiers (drift events: test_drift_event_cost.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from p2p_core.cost.checking import TODAY, Checking, Https
from p2p_core.cost.control_plane import (
    ControlPlaneCost,
    CostItem,
    Usage,
    control_plane_cost,
    naive_control_plane_cost,
)
from p2p_core.cost.fleet import CostError
from p2p_core.cost.usage import FULL_VCPU_MB, ItemSizes, LambdaProfile, PerRegion, TableCalls
from tests.unit.test_cost import ONE_LAMBDA

SIZES = Usage(sizes=ItemSizes(config=PerRegion(500), status=PerRegion(10_000)))  # 10 KB status: 3 RCU
SCHEDULED = replace(TODAY, drift=None)  # today's checks; drift events: test_drift_event_cost.py
COMPUTE = "Lambda compute (arm64)"
QUOTA_WRITES = 100 * 4  # the quota item (4 WRU for 34 regions), at most hourly: not per recorded run


def item(cost: ControlPlaneCost, name: str) -> CostItem:
    return next(i for i in cost.items if i.name == name)


def test_a_run_that_finds_drift_reads_and_writes_the_table_again_in_the_reconcile_runs_plan_and_finalize() -> None:
    def table(drifted: float) -> tuple[float, float]:
        cost = control_plane_cost(100, regions=34, drifted_regions_per_run=drifted, usage=SIZES, checking=SCHEDULED)
        return item(cost, "DynamoDB reads (on-demand)").quantity, item(cost, "DynamoDB writes (on-demand)").quantity

    (quiet_reads, quiet_writes), (drift_reads, drift_writes) = table(0), table(1)
    # as counted in the replay (test_cost.py): config twice, the status items once (the status 3 units, checks,
    # quota), verified twice (2 units at 34)
    assert quiet_reads == 100 * (2 + 3 + 1 + 1 + 2 * 2)
    # then the reconcile run's Plan and Finalize, each reading the status items (RECONCILE_TABLE)
    assert drift_reads == quiet_reads + 100 * (2 + 2 * 3 + 2 + 2 + 2 * 2)
    assert drift_writes - QUOTA_WRITES == 2 * (quiet_writes - QUOTA_WRITES)
    assert table(0.5)[0] == pytest.approx((quiet_reads + drift_reads) / 2)  # half the runs find drift
    assert table(3)[0] == drift_reads  # recorded once per run, however many regions drifted


def test_logs_ingestion_is_each_invocations_log_lines_and_adds_to_the_total() -> None:
    def logs(drifted: float, kb: float) -> tuple[CostItem, float]:
        cost = control_plane_cost(
            100,
            regions=34,
            drifted_regions_per_run=drifted,
            usage=ONE_LAMBDA,
            cold_share=0,
            log_kb_per_invocation=kb,
            checking=SCHEDULED,
        )
        return item(cost, "CloudWatch Logs ingestion"), cost.total

    (quiet, quiet_total), (_, silent_total) = logs(0, 4.0), logs(0, 0.0)
    assert quiet.quantity == pytest.approx(100 * 1 * 4.0 / 1024**2)  # one invocation (the check's Plan) a run
    assert quiet.cost > 0 and quiet_total - silent_total == pytest.approx(quiet.cost)
    drifting, _ = logs(2, 4.0)
    assert drifting.quantity == pytest.approx(100 * (1 + 2 + 2) * 4.0 / 1024**2)  # + Plan, Finalize, 2 reconciles
    naive = item(naive_control_plane_cost(100, regions=34, log_kb_per_invocation=4.0), "CloudWatch Logs ingestion")
    assert naive.quantity > drifting.quantity  # a Lambda per region every run


@pytest.mark.parametrize("scheduled_check", [True, False])
def test_every_run_is_one_scheduler_invocation_drift_or_not(scheduled_check: bool) -> None:
    for drifted in (0, 1, 34):
        cost = control_plane_cost(100, regions=34, drifted_regions_per_run=drifted, scheduled_check=scheduled_check)
        scheduler = item(cost, "EventBridge Scheduler")
        assert scheduler.quantity == 100
        assert scheduler.cost > 0
        doubled = control_plane_cost(200, regions=34, drifted_regions_per_run=drifted, scheduled_check=scheduled_check)
        assert item(doubled, "EventBridge Scheduler").cost == pytest.approx(2 * scheduler.cost)
        assert cost.total == pytest.approx(sum(i.cost for i in cost.items))


# the checks' HTTPS connections, the tiers and drift events: parameters of checking.py, today's behaviour the default
PLAIN = Checking(full_reads_per_region=7, services_per_region=3, https=Https(new_connection=0.0))
TLS = replace(PLAIN, https=Https(new_connection=0.002))
SLOW = LambdaProfile("Plan", 512, PerRegion(0.5), PerRegion(1.0, 0.1), PerRegion(0.2, 0.07), PerRegion(0.3, 0.05))


def test_every_check_pays_the_cpu_of_its_new_https_connections_throttled_like_the_rest_of_its_cpu() -> None:
    def compute(checking: Checking, regions: int = 34) -> float:
        usage = Usage(check=(SLOW,), plan=SLOW)
        return item(control_plane_cost(100, regions, usage=usage, cold_share=0, checking=checking), COMPUTE).quantity

    connections = 34 * 3 + 1  # one per regional service read, and the home table's
    throttle = FULL_VCPU_MB / 512
    assert compute(TLS) - compute(PLAIN) == pytest.approx(100 * connections * 0.002 * throttle * 512 / 1024)
    assert compute(replace(TLS, services_per_region=4)) > compute(TLS)  # a service more: a connection per region
    assert compute(TLS, 1) - compute(PLAIN, 1) == pytest.approx(100 * 4 * 0.002 * throttle * 512 / 1024)
    assert TLS.connections(34) == connections


def test_quiet_checks_between_full_verifications_scale_the_regional_reads_and_are_a_parameter() -> None:
    tiered = replace(PLAIN, quiet_reads_per_region=2, verify_every_seconds=6 * 3600)
    fifteen = 15 * 60
    assert PLAIN.full_share(fifteen) == 1.0 and PLAIN.reads_per_region(fifteen) == 7  # today: every check full
    assert tiered.full_share(fifteen) == pytest.approx(1 / 24)
    assert tiered.reads_per_region(fifteen) == pytest.approx(7 / 24 + 2 * 23 / 24)
    assert tiered.full_share(12 * 3600) == 1.0  # checks rarer than the full verification: every one is full

    profile = tiered.check_profile(SLOW, fifteen)
    scale = tiered.reads_per_region(fifteen) / 7
    assert profile.warm_cpu == PerRegion(0.2, pytest.approx(0.07 * scale))
    assert profile.wait == PerRegion(0.3, pytest.approx(0.05 * scale))
    assert profile.init == SLOW.init  # the clients are made per service, not per read
    usage = Usage(check=(SLOW,), plan=SLOW)
    today, target = (control_plane_cost(2920, 34, usage=usage, checking=c) for c in (PLAIN, tiered))
    assert item(target, COMPUTE).cost < item(today, COMPUTE).cost
    with pytest.raises(CostError, match=r"^quiet_reads_per_region: must be between 0 and the full verification's 7"):
        replace(PLAIN, quiet_reads_per_region=8)
    with pytest.raises(CostError, match=r"^verify_every_seconds: "):
        replace(PLAIN, verify_every_seconds=0)


def test_runs_that_did_something_publish_their_events_and_quiet_ones_none() -> None:
    def events(drifted: float, scheduled_check: bool = True) -> CostItem:
        return item(
            control_plane_cost(100, 34, drifted, scheduled_check=scheduled_check, checking=PLAIN), "EventBridge events"
        )

    assert events(0).quantity == 0 and events(0, scheduled_check=False).quantity == 0
    assert events(1).quantity == 100 * 2  # Run Finished, Drift Repaired of the region
    assert events(3).quantity == 100 * 4
    assert events(0.5).quantity == pytest.approx(50 * 2)  # half the runs find one drifted region
    assert events(3, scheduled_check=False).quantity == 100 * 4
    cost = control_plane_cost(100, 34, 3, checking=PLAIN)
    assert events(3).cost > 0 and cost.total == pytest.approx(sum(i.cost for i in cost.items))


def test_a_check_reads_and_writes_the_table_as_counted_in_the_replay() -> None:
    sizes = ItemSizes(config=PerRegion(500), status=PerRegion(10_000))  # 10 KB: 10 WRU, 3 RCU
    cost = control_plane_cost(100, regions=34, usage=Usage(sizes=sizes), checking=SCHEDULED)

    # 2 config gets (1 RCU) + 1 status get (3 RCU: recording uses Plan's read) + 1 get each of the small checks
    # and quota items (1 RCU) + 2 gets of the verified item (5.1 KB for 34 regions: 2 RCU)
    assert item(cost, "DynamoDB reads (on-demand)").quantity == 100 * (2 + 3 + 1 + 1 + 2 * 2)
    # lease put and delete + one write of the checks item, never the status item; the quota item (3.9 KB for 34
    # regions: 4 WRU) at most hourly (100 runs a month are fewer than the hours)
    assert item(cost, "DynamoDB writes (on-demand)").quantity == 100 * (2 + 1) + 100 * 4


def test_recording_each_check_in_the_status_item_would_bill_its_size() -> None:
    sizes = ItemSizes(config=PerRegion(500), status=PerRegion(10_000))
    in_status = Usage(sizes=sizes, table=TableCalls(status_writes=1, check_writes=0))
    cost = control_plane_cost(100, regions=34, usage=in_status, checking=SCHEDULED)
    assert item(cost, "DynamoDB writes (on-demand)").quantity == 100 * (2 + 10) + 100 * 4
