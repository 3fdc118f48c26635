"""Values that only look valid (issue 22 §3), through the real ASL: refused in Plan, naming the field."""

from __future__ import annotations

import pytest

from tests.integration.test_workflow import PLAN_FAILED_STATES, mutations_outside_own_table
from tests.integration.workflow_world import WorkflowWorld

FAR_AWAY = {
    "start-time-9999": ({"start_time": "9999-12-31T23:59:59Z"}, "start_time: 9999-12-31T23:59:59Z is outside"),
    "start-plus-offset-2200": ({"start_time": "2199-12-31T23:59:00Z"}, "start_time: start_time + start_offset"),
    "run-duration-99999999-days": ({"run_duration": "99999999 days"}, "run_duration: '99999999 days' is longer"),
}


@pytest.mark.parametrize("case", list(FAR_AWAY))
def test_a_time_beyond_what_aws_schedules_written_with_boto3_fails_plan_as_config_invalid(
    world: WorkflowWorld, case: str
) -> None:
    """Injected: an item put with boto3 (unvalidated) whose start, or start + offset/duration, is after
    2199-12-31T23:59:59Z (EventBridge cron's last year; Auto Scaling's scheduled actions share the run).

    Checked: the run fails in Plan with ConfigInvalid (not OverflowError) naming the field and its value;
    nothing outside the control plane's table was written.
    """
    fields, words = FAR_AWAY[case]
    world.put_raw_config({"regions": ["eu-central-1"], **fields})
    run = world.run(case)
    assert (run.status, run.error) == ("FAILED", "ConfigInvalid"), run.cause
    assert words in (run.cause or ""), run.cause
    assert run.states_entered == PLAN_FAILED_STATES
    assert mutations_outside_own_table(world) == []
