"""The cost model, read like `p2pctl cost`: fleet bill per region, control-plane bill per month."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from p2p_core.cost.checking import TODAY, Checking, Https, runs_per_month
from p2p_core.cost.control_plane import (
    CHECK_TRACE_RATE,
    ControlPlaneCost,
    CostItem,
    Transitions,
    Usage,
    cold_share_at,
    control_plane_cost,
    express_billed_gb_seconds,
    naive_control_plane_cost,
)
from p2p_core.cost.fleet import (
    REGION_MULTIPLIER,
    US_EAST_1_HOURLY,
    CostError,
    ebs_gb_month_price,
    fleet_cost,
    hourly_price,
)
from p2p_core.cost.usage import (
    FINALIZE,
    FULL_VCPU_MB,
    PLAN,
    ItemSizes,
    LambdaProfile,
    PerRegion,
    item_bytes,
)
from p2p_core.regions import commercial_regions
from p2p_emulator.template import load_template

ROOT = Path(__file__).resolve().parents[2]

TYPES = (
    "t4g.nano", "t4g.micro", "t4g.small", "t4g.medium", "t3.nano",
    "t3.micro", "t3.small", "t3.medium", "c7g.medium", "m7g.medium",
    # the burstable types Spot uses beside them (p2p_core.market.DEFAULT_TYPES)
    "t4g.large", "t3.large", "t3a.nano", "t3a.micro", "t3a.small", "t3a.medium", "t3a.large",
    "t2.nano", "t2.micro", "t2.small", "t2.medium", "t2.large",
)  # fmt: skip
EVERY_15_MINUTES = 730 * 4
COMPUTE_AND_VOLUMES = {"public_ipv4": False, "egress_gb_per_day": 0.0}  # the items these tests check alone


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

    cost = fleet_cost("t3.micro", capacity, hours=730, volume_gb=8, volume_type="gp3", **COMPUTE_AND_VOLUMES)

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
    month = fleet_cost("t3.micro", {"us-east-1": 1}, hours=730, volume_gb=100, volume_type="gp2", **COMPUTE_AND_VOLUMES)
    day = fleet_cost("t3.micro", {"us-east-1": 1}, hours=24, volume_gb=100, volume_type="gp2", **COMPUTE_AND_VOLUMES)

    assert month.ebs_cost == pytest.approx(100 * 0.10)
    assert day.ebs_cost == pytest.approx(100 * 0.10 * 24 / 730)
    assert day.instance_cost == pytest.approx(0.0104 * 24)


def test_no_instances_cost_nothing():
    cost = fleet_cost("t4g.nano", {}, hours=24, volume_gb=8, volume_type="gp3", **COMPUTE_AND_VOLUMES)

    assert (cost.lines, cost.total) == ((), 0)


def test_unknown_instance_type_names_field_and_value():
    with pytest.raises(CostError, match=r"^instance\.type: no price for 'x1\.huge' \(known: c7g\.medium, ") as err:
        fleet_cost("x1.huge", {"us-east-1": 1}, hours=1, volume_gb=8, volume_type="gp3", **COMPUTE_AND_VOLUMES)
    assert (err.value.field, err.value.value) == ("instance.type", "x1.huge")


def test_unknown_region_names_field_and_value():
    with pytest.raises(CostError, match=r"^regions: no price for 'mars-north-1' \(known: af-south-1, ") as err:
        fleet_cost(
            "t3.micro",
            {"us-east-1": 1, "mars-north-1": 2},
            hours=1,
            volume_gb=8,
            volume_type="gp3",
            **COMPUTE_AND_VOLUMES,
        )
    assert err.value.value == "mars-north-1"


def test_unknown_volume_type_and_negative_inputs_name_their_field():
    with pytest.raises(CostError, match=r"^instance\.volume_type: no price for 'gp9'"):
        fleet_cost("t3.micro", {"us-east-1": 1}, hours=1, volume_gb=8, volume_type="gp9", **COMPUTE_AND_VOLUMES)
    with pytest.raises(CostError, match=r"^desired_capacity\.us-east-1: must be at least 0, got -1"):
        fleet_cost("t3.micro", {"us-east-1": -1}, hours=1, volume_gb=8, volume_type="gp3", **COMPUTE_AND_VOLUMES)
    with pytest.raises(CostError, match=r"^hours: must be at least 0"):
        fleet_cost("t3.micro", {"us-east-1": 1}, hours=-1, volume_gb=8, volume_type="gp3", **COMPUTE_AND_VOLUMES)


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


# a function with one full vCPU (no throttling): billed seconds are init + CPU + wait
FULL = LambdaProfile(
    name="Plan",
    memory_mb=FULL_VCPU_MB,
    init=PerRegion(base=0.5),
    cold_cpu=PerRegion(base=1.0),
    warm_cpu=PerRegion(base=0.2),
    wait=PerRegion(base=0.3),
)
ONE_LAMBDA = Usage(check=(FULL,), plan=FULL, finalize=FULL, reconcile=FULL)
# each check opens 34 x 3 + 1 new HTTPS connections of 1 ms of CPU each: 0.103 s
TLS = Checking(full_reads_per_region=7, services_per_region=3, https=Https(new_connection=0.001))
# today's checks without drift events (their path: tests/unit/test_drift_event_cost.py)
SCHEDULED = replace(TODAY, drift=None)


def test_a_scheduled_no_op_run_bills_no_standard_transition_one_express_request_and_its_lambdas():
    cold = control_plane_cost(EVERY_15_MINUTES, regions=34, usage=ONE_LAMBDA, checking=TLS)
    warm = control_plane_cost(EVERY_15_MINUTES, regions=34, usage=ONE_LAMBDA, cold_share=0, checking=TLS)

    for cost in (cold, warm):
        assert item(cost, "Step Functions state transitions").quantity == 0
        assert item(cost, "Step Functions Express requests").quantity == EVERY_15_MINUTES
        assert item(cost, "Lambda requests").quantity == EVERY_15_MINUTES
    gb = FULL_VCPU_MB / 1024
    # cold: INIT 0.5 s + CPU 1.0 s + HTTPS 0.103 s + wait 0.3 s; warm: CPU 0.2 s + HTTPS 0.103 s + wait 0.3 s
    assert item(cold, "Lambda compute (arm64)").quantity == pytest.approx(EVERY_15_MINUTES * 1.903 * gb)
    assert item(warm, "Lambda compute (arm64)").quantity == pytest.approx(EVERY_15_MINUTES * 0.603 * gb)
    # the check lasts as long as its Lambdas and its own states (0.05 s): 1.953 s billed as 2 s, one 64 MB chunk
    assert item(cold, "Step Functions Express duration").quantity == pytest.approx(EVERY_15_MINUTES * 2.0 / 16)
    assert item(warm, "Step Functions Express duration").quantity == pytest.approx(EVERY_15_MINUTES * 0.7 / 16)


def test_lambda_cpu_is_throttled_below_a_full_vcpu_but_init_and_waits_are_not():
    small = LambdaProfile(
        "Plan", 512, PerRegion(0.8, 0.06), PerRegion(0.5, 0.1), PerRegion(0.05, 0.03), PerRegion(0.7, 0.04)
    )
    throttle = FULL_VCPU_MB / 512

    # INIT (imports, and clients for 34 regions) at full speed
    assert small.billed_seconds(34, cold=True) == pytest.approx(2.84 + (0.5 + 3.4) * throttle + (0.7 + 1.36))
    assert small.billed_seconds(34, cold=False) == pytest.approx((0.05 + 1.02) * throttle + (0.7 + 1.36))
    assert small.gb_seconds(34, 0.25) == pytest.approx(
        (0.25 * small.billed_seconds(34, cold=True) + 0.75 * small.billed_seconds(34, cold=False)) / 2
    )
    assert FULL.billed_seconds(1, cold=True) == pytest.approx(1.8)  # at 1,769 MB nothing is throttled


def test_runs_further_apart_than_an_idle_environment_lives_start_cold():
    assert cold_share_at(runs_per_month("rate(15 minutes)")) == 1.0
    assert cold_share_at(runs_per_month("rate(1 minute)")) == 0.0
    assert cold_share_at(0) == 0.0


def test_a_figure_per_region_is_the_line_through_the_runs_over_1_and_34_regions():
    line = PerRegion.fit(0.5, 6.1, 34)
    assert line.at(1) == pytest.approx(0.5, abs=1e-3)
    assert line.at(34) == pytest.approx(6.1, abs=1e-3)
    assert PerRegion(base=-1.0, per_region=0.5).at(1) == 0  # never below 0


def test_item_sizes_follow_dynamodbs_rules():
    assert item_bytes({"pk": {"S": "status"}}) == 2 + 6
    assert item_bytes({"n": {"N": "12345"}}) == 1 + 3 + 1  # (significant digits / 2) + 1
    assert item_bytes({"ok": {"BOOL": True}, "x": {"NULL": True}}) == 2 + 1 + 1 + 1
    # a list: 3 bytes + 1 per element; a map: 3 bytes + 1 per entry + its names
    assert item_bytes({"l": {"L": [{"S": "ab"}, {"S": "c"}]}}) == 1 + 3 + (1 + 2) + (1 + 1)
    assert item_bytes({"m": {"M": {"key": {"S": "v"}}}}) == 1 + 3 + 1 + 3 + 1
    assert item_bytes({"é": {"S": "ü"}}) == 2 + 2  # UTF-8 bytes
    with pytest.raises(ValueError, match="unknown DynamoDB type"):
        item_bytes({"x": {"Q": 1}})


def test_the_status_item_bills_one_write_unit_per_started_kb_and_one_read_unit_per_4_kb():
    sizes = ItemSizes(config=PerRegion(500), status=PerRegion(base=4839, per_region=527.2))
    assert sizes.write_units("status", 34) == 23  # 22.8 KB: 20 recorded no-op checks of 34 regions
    assert sizes.read_units("status", 34) == 6
    assert (sizes.write_units("config", 34), sizes.read_units("config", 34)) == (1, 1)


def test_express_duration_is_billed_in_100_ms_steps_of_one_64_mb_chunk():
    assert express_billed_gb_seconds(0.1) == pytest.approx(0.1 / 16)
    assert express_billed_gb_seconds(0.1001) == pytest.approx(0.2 / 16)
    assert express_billed_gb_seconds(5.0) == pytest.approx(5.0 / 16)


def test_without_the_scheduled_check_every_run_is_a_standard_execution_of_three_transitions():
    standard = control_plane_cost(EVERY_15_MINUTES, regions=34, scheduled_check=False, checking=SCHEDULED)
    assert item(standard, "Step Functions state transitions").quantity == EVERY_15_MINUTES * 3
    assert item(standard, "Step Functions Express requests").quantity == 0
    assert standard.total > control_plane_cost(EVERY_15_MINUTES, regions=34, checking=SCHEDULED).total


def test_visiting_only_drifted_regions_is_far_cheaper_than_a_lambda_per_region():
    runs = runs_per_month("rate(15 minutes)")

    ours = control_plane_cost(runs, regions=34)
    naive = naive_control_plane_cost(runs, regions=34)

    assert naive.total > 5 * ours.total
    assert item(naive, "Step Functions state transitions").quantity == runs * (7 + 34)
    assert item(naive, "Lambda requests").quantity == runs * 34


def test_a_no_op_check_costs_more_with_more_regions_in_lambda_time_and_the_status_item_only():
    runs = runs_per_month("rate(15 minutes)")
    few, many = control_plane_cost(runs, regions=1), control_plane_cost(runs, regions=34)

    differing = {a.name for a, b in zip(few.items, many.items, strict=True) if a.cost != b.cost}
    assert differing == {
        "Step Functions Express duration",
        "Lambda compute (arm64)",
        "DynamoDB reads (on-demand)",
        "DynamoDB writes (on-demand)",
    }
    assert all(a.cost <= b.cost for a, b in zip(few.items, many.items, strict=True))


def test_a_drift_run_is_seven_transitions_and_one_per_drifted_region_as_counted_in_real_runs():
    def transitions(drifted: float, scheduled_check: bool = True) -> float:
        cost = control_plane_cost(
            1, regions=34, drifted_regions_per_run=drifted, scheduled_check=scheduled_check, checking=SCHEDULED
        )
        return item(cost, "Step Functions state transitions").quantity

    assert transitions(0) == 0
    assert transitions(1) == 8  # benchmarks: one region's capacity changed of 34
    assert transitions(34) == 41  # benchmarks: fresh provisioning of 34 regions
    assert transitions(0.5) == pytest.approx(4)  # half the runs find one drifted region
    assert transitions(0.5, scheduled_check=False) == pytest.approx(5.5)  # the other half are 3-transition no-ops
    assert Transitions(noop=3, drift_run=9, per_drifted_region=2).of_drift_run(4) == 17


def test_drift_adds_the_reconcile_runs_plan_and_finalize_and_one_reconcile_lambda_per_drifted_region():
    quiet = control_plane_cost(100, regions=34, usage=ONE_LAMBDA, cold_share=0, checking=TLS)
    drifting = control_plane_cost(
        100, regions=34, drifted_regions_per_run=2, usage=ONE_LAMBDA, cold_share=0, checking=TLS
    )

    assert [item(c, "Lambda requests").quantity for c in (quiet, drifting)] == [100, 100 * (1 + 2 + 2)]
    gb = FULL_VCPU_MB / 1024
    # the check's connections (0.103 s); the reconcile run's Plan, seconds later, finds them open
    assert item(drifting, "Lambda compute (arm64)").quantity == pytest.approx(100 * (5 * 0.5 + 0.103) * gb)


def test_the_models_memory_sizes_are_the_templates():
    template = load_template(ROOT / "template.yaml")
    functions = template["Resources"]
    default = template["Globals"]["Function"]["MemorySize"]
    for logical, profile in (("PlanFunction", PLAN), ("FinalizeFunction", FINALIZE)):
        assert functions[logical]["Properties"].get("MemorySize", default) == profile.memory_mb


def test_one_scheduled_check_in_a_hundred_is_traced_as_the_template_samples_them():
    rule = load_template(ROOT / "template.yaml")["Resources"]["ScheduledCheckSampling"]["Properties"]["SamplingRule"]
    check = load_template(ROOT / "template.yaml")["Resources"]["ScheduledCheckStateMachine"]["Properties"]["Name"]
    assert (rule["FixedRate"], rule["ReservoirSize"]) == (CHECK_TRACE_RATE, 0)
    assert (rule["ServiceName"], rule["ServiceType"]) == (check, "AWS::StepFunctions::StateMachine")

    quiet = control_plane_cost(EVERY_15_MINUTES, regions=34, checking=SCHEDULED)
    drifting = control_plane_cost(EVERY_15_MINUTES, regions=34, drifted_regions_per_run=1, checking=SCHEDULED)
    standard = control_plane_cost(EVERY_15_MINUTES, regions=34, scheduled_check=False, checking=SCHEDULED)
    assert item(quiet, "X-Ray traces recorded").quantity == pytest.approx(EVERY_15_MINUTES * 0.01)
    assert item(drifting, "X-Ray traces recorded").quantity == pytest.approx(EVERY_15_MINUTES * 1.01)
    assert item(standard, "X-Ray traces recorded").quantity == EVERY_15_MINUTES


def test_control_plane_inputs_are_checked():
    with pytest.raises(CostError, match=r"^drifted_regions_per_run: must be between 0 and regions \(3\), got 4"):
        control_plane_cost(10, regions=3, drifted_regions_per_run=4)
    with pytest.raises(CostError, match=r"^runs_per_month: "):
        naive_control_plane_cost(-1, regions=3)
    with pytest.raises(CostError, match=r"^regions: "):
        control_plane_cost(10, regions=-1)


def test_a_month_without_runs_or_drift_events_costs_nothing():
    assert control_plane_cost(0, regions=34, checking=SCHEDULED).total == 0
