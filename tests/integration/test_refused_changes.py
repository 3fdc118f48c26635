"""A change AWS cannot make in place is refused in Plan naming the field, never a silent ok (SPEC §4).

Through the real ASL and handlers: a region is provisioned, then `network.cidr_block` is edited (a
VPC's CIDR cannot change). `p2pctl plan`'s preview names the field and both blocks; the run fails
that region with `CidrBlockChanged` (so alarms fire), changes nothing in it and does not record the
new settings as applied; setting the field back makes the next run a no-op.
"""

from __future__ import annotations

from datetime import UTC, datetime

from p2p_core.resources.vpc import CIDR_CHANGED
from p2p_core.workflow.plan_step import preview_plan
from p2p_emulator.world import WorkflowWorld
from tests.integration.test_workflow import NOOP_STATES, mutations_outside_own_table

REGION = "eu-central-1"
FLEET = {"regions": [REGION], "desired_capacity": 1, "start_time": "2020-01-01T00:00:00Z", "run_duration": None}
MOVED = {**FLEET, "network": {"cidr_block": "10.99.0.0/24"}}
NAMED = "network.cidr_block '10.99.0.0/24' cannot be applied in place"


def test_a_new_cidr_block_is_refused_in_plan_naming_the_field_and_the_region_is_left_untouched(
    world: WorkflowWorld,
) -> None:
    world.put_config(**FLEET)
    assert world.run("provision").status == "SUCCEEDED"
    vpcs = world.managed_vpcs(REGION)
    provisioned = world.status().last_run
    assert provisioned is not None
    applied = provisioned.regions[0].infrastructure_hash

    world.put_config(**MOVED)
    deployment = world.stack.functions["PlanFunction"].deployment
    preview = preview_plan(deployment, world.clients, datetime.now(UTC).replace(microsecond=0))
    [region] = preview.regions
    assert region.refused is not None and region.refused.startswith(NAMED)
    assert "'10.20.30.0/24'" in region.refused and any(r.startswith(NAMED) for r in region.reasons)

    refused = world.run("refused")
    assert refused.status == "FAILED" and refused.error == "RunFailed"
    assert mutations_outside_own_table(world) == []
    assert world.managed_vpcs(REGION) == vpcs
    last = world.status().last_run
    assert last is not None and last.status == "failed"
    [result] = last.regions
    assert (result.status, result.error_code) == ("failed", CIDR_CHANGED)
    assert NAMED in (result.error_message or "")
    assert result.infrastructure_hash in (None, applied)  # the new settings are not recorded as applied

    world.put_config(**FLEET)
    back = world.run("set-back")
    assert back.status == "SUCCEEDED", back.cause
    assert mutations_outside_own_table(world) == []
    assert world.run("after").states_entered == NOOP_STATES
