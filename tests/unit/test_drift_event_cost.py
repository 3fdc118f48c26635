"""The drift-event path's cost (issue 26 §4): every line item it adds to the control plane's bill, each checked so
that dropping it fails, and the optional trail's (CreateTrail=true)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from p2p_core.cost.checking import TODAY, Checking, Https
from p2p_core.cost.control_plane import (
    EVENTS_PER_EVENT,
    EXPRESS_PER_GB_SECOND,
    EXPRESS_PER_REQUEST,
    ControlPlaneCost,
    CostItem,
    _table_use,
    control_plane_cost,
    express_billed_gb_seconds,
)
from p2p_core.cost.drift_events import (
    CLOUDTRAIL_SECOND_COPY_PER_EVENT,
    DELIVERY_WINDOWS_PER_MONTH,
    DRIFT_EVENTS_PER_MONTH,
    S3_PER_GB_MONTH,
    S3_PER_PUT,
    TRAIL_FILE_DAYS,
    TRAIL_FILE_KB,
    WRITES_PER_REPAIR,
    DriftEvents,
)
from p2p_core.cost.fleet import HOURS_PER_MONTH, CostError
from tests.unit.test_cost import FULL, ONE_LAMBDA

PLAIN = Checking(full_reads_per_region=7, services_per_region=3, https=Https(new_connection=0.0))
EVENTS = 30
GB = 1769 / 1024  # FULL's memory: one whole vCPU, so billed seconds are init + CPU + wait
COLD_PLAN = 0.5 + 1.0 + 0.3  # FULL's cold invocation: every drift run is one (a few a month)


def item(cost: ControlPlaneCost, name: str) -> CostItem:
    return next(i for i in cost.items if i.name == name)


def costs(drift: DriftEvents, checking: Checking = PLAIN, runs: float = 100) -> tuple[ControlPlaneCost, ...]:
    """(without drift events, with them): the same schedule."""
    return tuple(
        control_plane_cost(runs, 34, usage=ONE_LAMBDA, cold_share=0, checking=replace(checking, drift=d))
        for d in (None, drift)
    )


def added(drift: DriftEvents, name: str) -> float:
    quiet, evented = costs(drift)
    return item(evented, name).quantity - item(quiet, name).quantity


def test_every_event_is_forwarded_to_the_home_bus_as_a_custom_event() -> None:
    _, cost = costs(DriftEvents(events_per_month=EVENTS))
    forwarded = item(cost, "drift events: forwarded to the home bus")
    assert (forwarded.quantity, forwarded.unit_price) == (EVENTS, EVENTS_PER_EVENT)
    assert forwarded.cost == pytest.approx(EVENTS * 1.00 / 1_000_000)
    assert cost.total == pytest.approx(sum(i.cost for i in cost.items))


def test_every_event_starts_the_express_check_and_bursts_coalesce_into_one_run() -> None:
    _, cost = costs(DriftEvents(events_per_month=EVENTS, events_per_run=3))
    starts = item(cost, "drift events: Express check starts")
    assert (starts.quantity, starts.unit_price) == (EVENTS, EXPRESS_PER_REQUEST)
    assert added(DriftEvents(events_per_month=EVENTS, events_per_run=3), "Lambda requests") == pytest.approx(
        10 + 10 * 3  # 10 runs: each a Plan, and a repair of three Lambdas
    )


def test_express_bills_the_coalescing_wait_of_each_run_and_a_short_execution_for_each_coalesced_event() -> None:
    def duration(drift: DriftEvents) -> float:
        _, cost = costs(drift)
        found = item(cost, "drift events: Express duration (coalescing wait included)")
        assert found.unit_price == EXPRESS_PER_GB_SECOND
        return found.quantity

    one_each = DriftEvents(events_per_month=EVENTS, coalescing_wait_seconds=5.0)
    run = express_billed_gb_seconds(5.0 + COLD_PLAN + 0.05)  # the wait, Plan (cold), the states around it
    assert duration(one_each) == pytest.approx(EVENTS * run)
    bursts = replace(one_each, events_per_run=3)
    assert duration(bursts) == pytest.approx(10 * run + 20 * express_billed_gb_seconds(0.05))
    no_wait = replace(one_each, coalescing_wait_seconds=0.0)
    assert duration(one_each) - duration(no_wait) == pytest.approx(EVENTS * 5.0 * 64 / 1024)


def test_the_coalescing_item_is_one_update_per_event_and_one_settling_write_per_run() -> None:
    _, cost = costs(DriftEvents(events_per_month=EVENTS, events_per_run=3))
    writes = item(cost, "drift events: coalescing item writes")
    # status#verified at 34 regions: 6 write units a write
    assert writes.quantity == (EVENTS + 10) * 6 and writes.unit == "write request units"
    assert writes.cost > 0
    _, larger = costs(DriftEvents(events_per_month=EVENTS, events_per_run=3, coalescing_write_units=2))
    assert item(larger, "drift events: coalescing item writes").quantity == 2 * (EVENTS + 10)  # a 2 KB item


def test_a_drift_run_verifies_the_region_it_names_fully_and_records_itself_as_a_check() -> None:
    drift = DriftEvents(events_per_month=EVENTS, repair_share=0.0)  # nothing to repair: the runs alone
    assert added(drift, "Lambda requests") == EVENTS
    assert added(drift, "Lambda compute (arm64)") == pytest.approx(EVENTS * COLD_PLAN * GB)  # one region, cold
    reads, writes = _table_use(ONE_LAMBDA.table, ONE_LAMBDA.sizes, 34, 1)
    assert added(drift, "DynamoDB reads (on-demand)") == pytest.approx(EVENTS * reads)
    assert added(drift, "DynamoDB writes (on-demand)") == pytest.approx(
        EVENTS * writes
    )  # the coalescing item: its own line
    assert added(drift, "Step Functions state transitions") == 0  # no reconcile run
    assert added(drift, "EventBridge Scheduler") == 0
    # between two full verifications the schedule's checks read 2 calls a region; a drift run reads all of it
    tiered = replace(PLAIN, quiet_reads_per_region=2, verify_every_seconds=6 * 3600)
    quiet, evented = costs(drift, tiered)
    compute = item(evented, "Lambda compute (arm64)").quantity - item(quiet, "Lambda compute (arm64)").quantity
    assert compute == pytest.approx(EVENTS * COLD_PLAN * GB)


def test_each_repair_is_a_one_region_reconcile_run_publishing_its_events() -> None:
    drift = DriftEvents(events_per_month=EVENTS, repair_share=0.5)
    repairs = 15
    assert added(drift, "Step Functions state transitions") == repairs * 8
    assert added(drift, "Lambda requests") == EVENTS + repairs * 3
    assert added(drift, "EventBridge events") == repairs * 2  # Run Finished, Drift Repaired
    assert added(drift, "X-Ray traces recorded") == pytest.approx(EVENTS * 0.01 + repairs)
    assert added(drift, "EventBridge Scheduler") == 0


def test_without_create_trail_the_accounts_trail_is_used_and_nothing_of_it_is_billed() -> None:
    _, cost = costs(DriftEvents(events_per_month=EVENTS))
    assert not [i for i in cost.items if i.name.startswith("trail: ")]


def test_create_trail_bills_its_bucket_and_its_copy_of_management_events_free_when_it_is_the_first() -> None:
    drift = DriftEvents(events_per_month=EVENTS, create_trail=True)
    _, cost = costs(drift)
    recorded = item(cost, "trail: write management events (first copy: free)")
    # each check's start, each event, each repair's writes (WRITES_PER_REPAIR)
    assert recorded.quantity == 100 + EVENTS + EVENTS * WRITES_PER_REPAIR and recorded.cost == 0
    puts = item(cost, "trail: S3 PUT requests (log files)")
    assert (puts.quantity, puts.unit_price) == (100 + EVENTS, S3_PER_PUT)  # a file per active 5-minute window
    storage = item(cost, "trail: S3 storage (1-day expiry)")
    assert storage.quantity == pytest.approx(130 * TRAIL_FILE_KB / 1024**2 * TRAIL_FILE_DAYS / (HOURS_PER_MONTH / 24))
    assert storage.unit_price == S3_PER_GB_MONTH and storage.cost > 0
    _, paid = costs(replace(drift, second_copy=True, other_write_events_per_month=1000))
    copy = item(paid, "trail: write management events (second copy)")
    assert copy.quantity == recorded.quantity + 1000 and copy.unit_price == CLOUDTRAIL_SECOND_COPY_PER_EVENT
    assert copy.cost == pytest.approx(copy.quantity * 2.00 / 100_000)
    assert paid.total - cost.total > copy.cost * 0.99


def test_the_trail_delivers_at_most_one_file_per_five_minutes_per_region() -> None:
    drift = DriftEvents(events_per_month=EVENTS, create_trail=True)
    every_minute = 43_800
    _, cost = costs(drift, runs=every_minute)
    assert DELIVERY_WINDOWS_PER_MONTH == 8760
    assert item(cost, "trail: S3 PUT requests (log files)").quantity == 8760 + EVENTS


def test_today_assumes_about_one_drift_event_a_day_each_its_own_run_repaired() -> None:
    assert TODAY.drift == DriftEvents()
    assert (DRIFT_EVENTS_PER_MONTH, DriftEvents().events_per_run, DriftEvents().repair_share) == (30, 1, 1)
    assert not DriftEvents().create_trail  # the template's default: the account's trail
    default = control_plane_cost(2920, 34)
    without = control_plane_cost(2920, 34, checking=replace(TODAY, drift=None))
    assert 0 < default.total - without.total < 0.01  # the event path costs well under a cent a month


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("events_per_month", -1, "must be 0 or more"),
        ("coalescing_wait_seconds", -0.5, "must be 0 or more"),
        ("coalescing_write_units", -1, "must be 0 or more"),
        ("events_per_run", 0.5, "must be 1 or more"),
        ("repair_share", 1.5, "must be between 0 and 1"),
    ],
)
def test_drift_event_assumptions_are_checked(field: str, value: float, message: str) -> None:
    with pytest.raises(CostError, match=rf"^{field}: {message}"):
        DriftEvents(**{field: value})  # type: ignore[arg-type]


def test_a_month_without_runs_bills_only_the_drift_events() -> None:
    cost = control_plane_cost(0, regions=34, usage=ONE_LAMBDA, checking=replace(PLAIN, drift=DriftEvents()))
    assert cost.total > 0
    assert item(cost, "Step Functions Express requests").quantity == 0  # no scheduled check
    assert item(cost, "drift events: Express check starts").quantity == DRIFT_EVENTS_PER_MONTH
    assert FULL.memory_mb == 1769
