"""`p2pctl cost` bills everything per instance, prices only regions the account has enabled, and reads `-` regions.

Against `p2pctl local` with ap-east-1 (an opt-in region) not enabled in the emulated account.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from p2p_core.cost.bill import NOT_ENABLED
from p2p_core.cost.checking import TODAY
from p2p_core.cost.control_plane import control_plane_cost
from tests.cli.local_cli import Local

DISABLED = "ap-east-1"
# names that share their first letters: a table that cuts them would print two regions alike
REGIONS = ["ap-southeast-1", "ap-southeast-2", "eu-central-1", "eu-central-2", DISABLED]
ITEMS = ["compute (t3.micro)", "root volume (8 GB gp3)", "public IPv4 address", "data transfer out (2 GB/day)"]


def config_file(tmp_path: Path, fields: dict[str, Any]) -> str:
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps(fields))
    return str(path)


def test_a_region_the_account_has_not_enabled_is_never_priced(local: Local, tmp_path: Path) -> None:
    path = config_file(tmp_path, {"regions": REGIONS, "desired_capacity": 2, "instance": {"market": "spot"}})
    estimate = local.json("cost", "--file", path, "--egress-gb-per-day", "2")
    assert sorted(estimate["fleet"]["regions"]) == sorted(REGIONS[:-1])
    assert sorted(estimate["spot"]["regions"]) == sorted(REGIONS[:-1])
    assert estimate["not_priced"] == {DISABLED: NOT_ENABLED}
    assert estimate["fleet"]["instances"] == 8
    assert estimate["regions_source"].startswith("DescribeRegions at ")
    # the disabled region does not send the others to the dated Spot table
    assert estimate["spot"]["price_source"].startswith("DescribeSpotPriceHistory at ")
    assert "table" not in estimate["spot"]["price_source"]


def test_every_item_is_printed_with_its_source_and_no_region_name_is_cut_at_80_columns(
    local: Local, tmp_path: Path
) -> None:
    path = config_file(tmp_path, {"regions": REGIONS, "desired_capacity": 1})
    done = local.p2pctl("cost", "--file", path, "--egress-gb-per-day", "2", env={**local.env, "COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    text = done.stdout
    for region in REGIONS[:-1]:
        assert f"│ {region} " in text, region  # whole, in its own cell
    assert f"│ {DISABLED}" not in text
    assert f"not priced: {DISABLED} ({NOT_ENABLED})" in text
    for item in ITEMS:
        assert f"│ {item} " in text, item  # a row of the per-day bill
        assert f"\n{item}: " in text, item  # and its source
    assert "public IPv4 address: $0.005/hour per public IPv4 address" in text
    assert "2 GB per instance per day assumed (--egress-gb-per-day)" in text
    as_json = local.json("cost", "--file", path, "--egress-gb-per-day", "2")
    assert [item["item"] for item in as_json["items_per_day"]] == ITEMS  # the same items in --json
    assert all(item["source"] for item in as_json["items_per_day"])


def test_a_leave_alone_region_is_priced_at_the_instances_it_runs_now(local: Local, tmp_path: Path) -> None:
    local.reset(regions=["eu-west-1"], desired_capacity=2, start_offset="0 minutes")
    group = local.asg("eu-west-1")
    assert group is not None and len(group["Instances"]) == 2
    path = config_file(
        tmp_path, {"regions": ["eu-west-1", "us-east-1"], "desired_capacity": {"aws": {"eu-west-1": "-"}}}
    )
    estimate = local.json("cost", "--file", path)
    regions = estimate["fleet"]["regions"]
    assert regions["eu-west-1"]["instances"] == 2
    assert regions["eu-west-1"]["instances_source"].startswith("'-': running now (DescribeAutoScalingGroups at ")
    assert (regions["us-east-1"]["instances"], regions["us-east-1"]["instances_source"]) == (1, "config")
    text = local.ok("cost", "--file", path).stdout
    assert "* eu-west-1: '-': running now (DescribeAutoScalingGroups at " in text


CONTROL_PLANE_ITEMS = {item.name for item in control_plane_cost(1, 1).items}


def test_the_control_plane_is_priced_item_by_item_for_the_configs_cadence_and_regions(
    local: Local, tmp_path: Path
) -> None:
    def control_plane(regions: list[str], schedule: str) -> dict[str, Any]:
        fields = {"regions": regions, "desired_capacity": 1, "schedule_expression": schedule}
        found: dict[str, Any] = local.json("cost", "--file", config_file(tmp_path, fields))["control_plane"]
        return found

    fifteen = control_plane(REGIONS[:2], "rate(15 minutes)")
    minute = control_plane(REGIONS[:2], "rate(1 minute)")
    wider = control_plane(REGIONS[:4], "rate(15 minutes)")
    for priced in (fifteen, minute, wider):
        assert {item["item"] for item in priced["items"]} == CONTROL_PLANE_ITEMS  # every line item, each priced
        assert priced["monthly_usd"] == pytest.approx(sum(item["usd"] for item in priced["items"]), abs=1e-4)
        for item in priced["items"]:
            assert item["usd"] == pytest.approx(item["quantity"] * item["unit_usd"], rel=1e-3, abs=1e-6), item
        assert (priced["full_verification"], priced["drift_events_per_month"]) == ("tiered", 30)  # today's
        assert priced["verify_every_hours"] == 6  # the default verify_interval
    assert (fifteen["runs_per_month"], minute["runs_per_month"]) == (2920, 43800)
    assert (fifteen["cold_starts"], minute["cold_starts"]) == ("every check", "none (kept warm)")
    assert minute["monthly_usd"] > fifteen["monthly_usd"] > 0
    assert (fifteen["regions"], wider["regions"]) == (2, 4)
    assert wider["https_connections_per_check"] - fifteen["https_connections_per_check"] == pytest.approx(
        2 * TODAY.services(15 * 60), abs=0.01
    )
    assert wider["monthly_usd"] > fifteen["monthly_usd"]


def test_the_control_plane_prices_the_drift_events_assumed_and_the_stacks_own_trail_when_asked(
    local: Local, tmp_path: Path
) -> None:
    path = config_file(tmp_path, {"regions": REGIONS[:2], "desired_capacity": 1})

    def control_plane(*options: str) -> dict[str, Any]:
        found: dict[str, Any] = local.json("cost", "--file", path, *options)["control_plane"]
        return found

    default, doubled = control_plane(), control_plane("--drift-events-per-month", "60")
    assert default["drift_events"]["events_per_month"] == 30 and default["drift_events"]["create_trail"] is False
    assert "about one a day" in default["drift_events"]["assumed"]

    def quantity(priced: dict[str, Any], name: str) -> float:
        return float(next(i["quantity"] for i in priced["items"] if i["item"] == name))

    for name in ("drift events: forwarded to the home bus", "drift events: Express check starts"):
        assert (quantity(default, name), quantity(doubled, name)) == (30, 60)
    assert doubled["monthly_usd"] > default["monthly_usd"]
    assert not [i for i in default["items"] if i["item"].startswith("trail: ")]
    trail = control_plane("--create-trail")
    assert quantity(trail, "trail: S3 PUT requests (log files)") == pytest.approx(2920 + 30)
    free = next(i for i in trail["items"] if i["item"] == "trail: write management events (first copy: free)")
    assert free["usd"] == 0 and trail["drift_events"]["trail_copy"] == "first (free)"
    second = control_plane("--create-trail", "--second-trail")
    paid = next(i for i in second["items"] if i["item"] == "trail: write management events (second copy)")
    assert paid["usd"] > 0 and second["monthly_usd"] > trail["monthly_usd"] > default["monthly_usd"]
    text = local.ok("cost", "--file", path, "--create-trail").stdout
    assert "trail: S3 PUT requests (log files)" in text and "drift events: Express check starts" in text
    assert "drift events: 30 a month assumed (about one a day" in text
    assert "the stack's own trail (CreateTrail=true), the account's first copy of management events: free" in text
    refused = local.p2pctl("cost", "--file", path, "--drift-events-per-month", "-1")
    assert refused.returncode != 0
    assert "events_per_month: must be 0 or more, got -1" in refused.stderr
    assert "--drift-events-per-month takes events a month, 0 or more" in refused.stderr
