"""benchmarks/floors.py: the cheapest check that reads the regions from a Lambda, against a quiet check of Step
Functions states alone (issue 26's targets and their premise)."""

from __future__ import annotations

import pytest

from benchmarks.floors import (
    PER_VCPU_SECOND,
    ReadingFloor,
    full_verifications,
    monthly,
    rows,
    states_only_check,
)
from p2p_core.cost.checking import runs_per_month
from p2p_core.cost.control_plane import (
    DYNAMODB_PER_READ_UNIT,
    EXPRESS_PER_GB_SECOND,
    EXPRESS_PER_REQUEST,
    LAMBDA_PER_REQUEST,
    SCHEDULER_PER_INVOCATION,
)

FLOOR = ReadingFloor(regions=34, init=0.5, new_connection=0.002, call=0.0015)


def test_a_check_reads_two_calls_a_region_and_the_table_opening_a_connection_for_each_unless_kept() -> None:
    assert FLOOR.calls == 69
    assert FLOOR.cpu(cold=False, new_connections=False) == pytest.approx(69 * 0.0015)
    assert FLOOR.cpu(cold=False) == pytest.approx(69 * (0.0015 + 0.002))
    assert FLOOR.cpu(cold=True) == pytest.approx(0.5 + 69 * (0.0015 + 0.002))


def test_a_reading_check_bills_its_cpu_its_lambda_request_the_express_run_as_long_and_the_schedule() -> None:
    cpu = FLOOR.cpu(cold=True)  # 0.7415 s: eight 100-ms steps of one 64 MB chunk
    express = 0.8 * 64 / 1024 * EXPRESS_PER_GB_SECOND + EXPRESS_PER_REQUEST
    fixed = LAMBDA_PER_REQUEST + SCHEDULER_PER_INVOCATION + DYNAMODB_PER_READ_UNIT
    assert FLOOR.per_check(cold=True) == pytest.approx(cpu * PER_VCPU_SECOND + express + fixed)
    assert FLOOR.per_check(cold=False, new_connections=False) < FLOOR.per_check(cold=False) < FLOOR.per_check(cold=True)


def test_a_states_only_check_bills_no_lambda_one_step_of_express_and_one_small_read() -> None:
    expected = SCHEDULER_PER_INVOCATION + EXPRESS_PER_REQUEST + 0.1 * 64 / 1024 * EXPRESS_PER_GB_SECOND
    assert states_only_check() == pytest.approx(expected + DYNAMODB_PER_READ_UNIT)


def test_every_tick_but_the_full_verifications_is_a_quiet_check() -> None:
    assert monthly("rate(6 hours)", 34, quiet_check=1.0) == pytest.approx(full_verifications(34))
    quiet = runs_per_month("rate(15 minutes)") - runs_per_month("rate(6 hours)")  # 2,920 - 120
    assert monthly("rate(15 minutes)", 34, quiet_check=1.0) == pytest.approx(full_verifications(34) + quiet)
    assert full_verifications(34) > full_verifications(1) > 0


def test_the_rows_put_the_states_only_check_under_the_reading_floor_at_both_cadences() -> None:
    found = rows(FLOOR)
    reading = [float(x) for x in found["reading_floor_monthly_usd"].split(" / ")]
    states = [float(x) for x in found["states_only_monthly_usd"].split(" / ")]
    assert states[0] < reading[0] and states[1] < reading[2] < reading[1]
    assert found["reading_floor_cpu_seconds"] == "0.500 / 0.138 / 0.104"
