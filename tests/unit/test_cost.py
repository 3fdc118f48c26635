"""The cost model, read like `p2pctl cost`: fleet bill per region, control-plane bill per month."""

from __future__ import annotations

import pytest

from p2p_core.control_plane_cost import (
    EXPRESS_PER_GB_SECOND,
    ControlPlaneCost,
    CostItem,
    RunTimings,
    Transitions,
    control_plane_cost,
    express_billed_gb_seconds,
    naive_control_plane_cost,
    runs_per_month,
)
from p2p_core.cost import (
    HOURS_PER_MONTH,
    PRICES_AS_OF,
    REGION_MULTIPLIER,
    US_EAST_1_HOURLY,
    CostError,
    ebs_gb_month_price,
    fleet_cost,
    hourly_price,
)
from p2p_core.regions import commercial_regions

TYPES = (
    "t4g.nano", "t4g.micro", "t4g.small", "t4g.medium", "t3.nano",
    "t3.micro", "t3.small", "t3.medium", "c7g.medium", "m7g.medium",
    # the burstable types Spot uses beside them (p2p_core.market.DEFAULT_TYPES)
    "t4g.large", "t3.large", "t3a.nano", "t3a.micro", "t3a.small", "t3a.medium", "t3a.large",
    "t2.nano", "t2.micro", "t2.small", "t2.medium", "t2.large",
)  # fmt: skip
EVERY_15_MINUTES = 730 * 4


def test_price_table_is_dated():
    assert PRICES_AS_OF == "2026-11-01"
    assert HOURS_PER_MONTH == 730


@pytest.mark.parametrize("instance_type", TYPES)
def test_every_type_has_a_positive_price_in_every_commercial_region(instance_type):
    assert len(commercial_regions()) == 34
    for region in commercial_regions():
        assert hourly_price(instance_type, region) > 0
        assert ebs_gb_month_price("gp3", region) > 0


def test_price_table_holds_no_region_that_is_not_commercial():
    assert set(REGION_MULTIPLIER) == set(commercial_regions())
    assert set(US_EAST_1_HOURLY) == set(TYPES)


def test_us_east_1_prices_are_the_published_ones():
    assert hourly_price("t3.micro", "us-east-1") == 0.0104
    assert hourly_price("t4g.micro", "us-east-1") == 0.0084
    assert ebs_gb_month_price("gp3", "us-east-1") == 0.08
    assert ebs_gb_month_price("gp2", "us-east-1") == 0.10


def test_regional_prices_scale_from_us_east_1_and_round_to_four_decimals():
    assert hourly_price("t3.micro", "eu-central-1") == 0.0120  # 0.0104 x 1.15 = 0.01196
    assert hourly_price("t3.micro", "sa-east-1") == 0.0168  # 0.0104 x 1.62 = 0.016848
    assert hourly_price("t3.micro", "ap-northeast-1") == 0.0136  # 0.0104 x 1.31 = 0.013624
    assert ebs_gb_month_price("gp3", "eu-central-1") == 0.092


def test_five_region_fleet_for_a_month_matches_the_sum_by_hand():
    capacity = {"us-east-1": 2, "eu-central-1": 3, "sa-east-1": 1, "ap-northeast-1": 1, "us-west-2": 0}

    cost = fleet_cost("t3.micro", capacity, hours=730, volume_gb=8, volume_type="gp3")

    # compute: instances x $/h x 730 h
    compute = (2 * 0.0104 + 3 * 0.0120 + 1 * 0.0168 + 1 * 0.0136) * 730
    # volumes: instances x 8 GB x $/GB-month (gp3 0.08 x multiplier), a whole month
    volumes = (2 * 0.08 + 3 * 0.092 + 1 * 0.1296 + 1 * 0.1048) * 8
    assert cost.instance_cost == pytest.approx(compute)
    assert cost.ebs_cost == pytest.approx(volumes)
    assert cost.total == pytest.approx(compute + volumes)
    assert cost.instances == 7
    assert [line.region for line in cost.lines] == sorted(capacity)
    eu = next(line for line in cost.lines if line.region == "eu-central-1")
    assert (eu.instances, eu.hourly_price) == (3, 0.0120)
    assert eu.instance_cost == pytest.approx(3 * 0.0120 * 730)
    assert eu.ebs_cost == pytest.approx(3 * 8 * 0.092)
    idle = next(line for line in cost.lines if line.region == "us-west-2")
    assert idle.total == 0


def test_ebs_is_prorated_by_hours_over_730():
    month = fleet_cost("t3.micro", {"us-east-1": 1}, hours=730, volume_gb=100, volume_type="gp2")
    day = fleet_cost("t3.micro", {"us-east-1": 1}, hours=24, volume_gb=100, volume_type="gp2")

    assert month.ebs_cost == pytest.approx(100 * 0.10)
    assert day.ebs_cost == pytest.approx(100 * 0.10 * 24 / 730)
    assert day.instance_cost == pytest.approx(0.0104 * 24)


def test_no_instances_cost_nothing():
    cost = fleet_cost("t4g.nano", {}, hours=24, volume_gb=8, volume_type="gp3")

    assert (cost.lines, cost.total) == ((), 0)


def test_unknown_instance_type_names_field_and_value():
    with pytest.raises(CostError, match=r"^instance\.type: no price for 'x1\.huge' \(known: c7g\.medium, ") as err:
        fleet_cost("x1.huge", {"us-east-1": 1}, hours=1, volume_gb=8, volume_type="gp3")
    assert (err.value.field, err.value.value) == ("instance.type", "x1.huge")


def test_unknown_region_names_field_and_value():
    with pytest.raises(CostError, match=r"^regions: no price for 'mars-north-1' \(known: af-south-1, ") as err:
        fleet_cost("t3.micro", {"us-east-1": 1, "mars-north-1": 2}, hours=1, volume_gb=8, volume_type="gp3")
    assert err.value.value == "mars-north-1"


def test_unknown_volume_type_and_negative_inputs_name_their_field():
    with pytest.raises(CostError, match=r"^instance\.volume_type: no price for 'gp9'"):
        fleet_cost("t3.micro", {"us-east-1": 1}, hours=1, volume_gb=8, volume_type="gp9")
    with pytest.raises(CostError, match=r"^desired_capacity\.us-east-1: must be at least 0, got -1"):
        fleet_cost("t3.micro", {"us-east-1": -1}, hours=1, volume_gb=8, volume_type="gp3")
    with pytest.raises(CostError, match=r"^hours: must be at least 0"):
        fleet_cost("t3.micro", {"us-east-1": 1}, hours=-1, volume_gb=8, volume_type="gp3")


def test_cost_error_is_a_value_error():
    assert issubclass(CostError, ValueError)


@pytest.mark.parametrize(
    ("expression", "runs"),
    [
        ("rate(15 minutes)", EVERY_15_MINUTES),
        ("15 minutes", EVERY_15_MINUTES),
        ("rate(1 minute)", 730 * 60),
        ("rate(1 hour)", 730),
        ("rate(2 hours)", 365),
        ("rate(1 day)", 730 / 24),
    ],
)
def test_runs_per_month_of_rates_uses_a_730_hour_month(expression, runs):
    assert runs_per_month(expression) == pytest.approx(runs)


@pytest.mark.parametrize(
    ("expression", "runs_per_day"),
    [
        ("cron(0/15 * * * ? *)", 96),
        ("cron(*/15 * * * ? *)", 96),
        ("cron(0 * * * ? *)", 24),
        ("cron(0 12 * * ? *)", 1),
        ("cron(0,30 8-17 * * ? *)", 2 * 10),
        ("cron(5 */6 * * ? *)", 4),
        ("cron(0-9/3 0,12 * * ? *)", 4 * 2),
        ("cron(* * * * ? *)", 1440),
        ("cron(0 9 ? * MON-FRI *)", 261 / 365),  # the weekdays of a 365-day year
        ("cron(0 9 1 * ? *)", 12 / 365),  # the first of each month
    ],
)
def test_runs_per_month_of_cron_counts_its_fires_per_day(expression, runs_per_day):
    assert runs_per_month(expression) == pytest.approx(runs_per_day * 730 / 24)


@pytest.mark.parametrize(
    "expression",
    [
        "rate(0 minutes)",
        "rate(fast)",
        "cron(0 12 * *)",
        "cron(60 * * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0/0 * * * ? *)",
        "soon",
    ],
)
def test_bad_schedule_expression_is_named(expression):
    with pytest.raises(CostError, match=r"^schedule_expression: ") as err:
        runs_per_month(expression)
    assert err.value.value == expression


def item(cost: ControlPlaneCost, name: str) -> CostItem:
    return next(i for i in cost.items if i.name == name)


def test_a_scheduled_no_op_run_bills_no_standard_transition_one_express_request_and_its_duration():
    timings = RunTimings(plan_seconds=1.2, finalize_seconds=0.2, watcher_seconds=1.41)
    ours = control_plane_cost(EVERY_15_MINUTES, regions=34, timings=timings)

    assert item(ours, "Step Functions state transitions").quantity == 0
    assert item(ours, "Step Functions Express requests").quantity == EVERY_15_MINUTES
    # 1.41 s is billed as 1.5 s, in one 64 MB chunk
    assert item(ours, "Step Functions Express duration").quantity == pytest.approx(EVERY_15_MINUTES * 1.5 * 64 / 1024)
    assert item(ours, "Lambda requests").quantity == EVERY_15_MINUTES * 2  # Plan and Finalize
    assert item(ours, "Lambda compute (arm64)").quantity == pytest.approx(EVERY_15_MINUTES * 1.4 * 0.5)
    assert ours.per_run == pytest.approx(ours.total / EVERY_15_MINUTES)


def test_express_duration_is_billed_in_100_ms_steps_of_one_64_mb_chunk():
    assert express_billed_gb_seconds(0.1) == pytest.approx(0.1 / 16)
    assert express_billed_gb_seconds(0.1001) == pytest.approx(0.2 / 16)
    assert express_billed_gb_seconds(5.0) == pytest.approx(5.0 / 16)
    assert round(EXPRESS_PER_GB_SECOND, 8) == 0.00001667


def test_without_the_watcher_every_run_is_a_standard_execution_of_three_transitions():
    standard = control_plane_cost(EVERY_15_MINUTES, regions=34, watcher=False)
    assert item(standard, "Step Functions state transitions").quantity == EVERY_15_MINUTES * 3
    assert item(standard, "Step Functions Express requests").quantity == 0
    assert standard.total > control_plane_cost(EVERY_15_MINUTES, regions=34).total


def test_visiting_only_drifted_regions_is_far_cheaper_than_visiting_every_region():
    runs = runs_per_month("rate(15 minutes)")

    ours = control_plane_cost(runs, regions=34)
    naive = naive_control_plane_cost(runs, regions=34)

    assert naive.total > 10 * ours.total
    assert item(naive, "Step Functions state transitions").quantity == runs * (7 + 34)
    assert item(naive, "Lambda requests").quantity == runs * 34


def test_the_no_op_run_costs_the_same_whatever_the_region_count_except_the_status_item():
    runs = runs_per_month("rate(15 minutes)")
    few, many = control_plane_cost(runs, regions=1), control_plane_cost(runs, regions=34)

    differing = {a.name for a, b in zip(few.items, many.items, strict=True) if a.cost != b.cost}
    assert differing == {"DynamoDB writes (on-demand)"}


def test_a_drift_run_is_seven_transitions_and_one_per_drifted_region_as_counted_in_real_runs():
    def transitions(drifted: float, watcher: bool = True) -> float:
        cost = control_plane_cost(1, regions=34, drifted_regions_per_run=drifted, watcher=watcher)
        return item(cost, "Step Functions state transitions").quantity

    assert transitions(0) == 0
    assert transitions(1) == 8  # benchmarks: one region's capacity changed of 34
    assert transitions(34) == 41  # benchmarks: fresh provisioning of 34 regions
    assert transitions(0.5) == pytest.approx(4)  # half the runs find one drifted region
    assert transitions(0.5, watcher=False) == pytest.approx(5.5)  # the other half are 3-transition no-ops
    assert Transitions(noop=3, drift_run=9, per_drifted_region=2).of_drift_run(4) == 17


def test_drift_adds_one_reconcile_lambda_per_drifted_region_and_a_second_plan():
    timings = RunTimings(plan_seconds=1.5, finalize_seconds=0.3, reconcile_seconds=4)
    quiet = control_plane_cost(100, regions=34, timings=timings)
    drifting = control_plane_cost(100, regions=34, drifted_regions_per_run=2, timings=timings, memory_mb=1024)

    assert [item(c, "Lambda requests").quantity for c in (quiet, drifting)] == [200, 500]
    assert item(drifting, "Lambda compute (arm64)").quantity == pytest.approx(100 * (2 * 1.5 + 0.3 + 2 * 4))


def test_control_plane_inputs_are_checked():
    with pytest.raises(CostError, match=r"^drifted_regions_per_run: must be between 0 and regions \(3\), got 4"):
        control_plane_cost(10, regions=3, drifted_regions_per_run=4)
    with pytest.raises(CostError, match=r"^runs_per_month: "):
        naive_control_plane_cost(-1, regions=3)
    with pytest.raises(CostError, match=r"^regions: "):
        control_plane_cost(10, regions=-1)


def test_a_month_without_runs_costs_nothing():
    assert control_plane_cost(0, regions=34).total == 0
    assert control_plane_cost(0, regions=34).per_run == 0
