"""`p2pctl doctor`'s "drift events" check as an operator runs it, against `p2pctl local`: does a trail record the
write management events of the selected regions (hand-made changes raise drift events only then)?

Each case puts trails in the emulated account by hand, as an operator (or an organization) would have made them,
and removes them after; the CreateTrail=true case deploys the stack with its own trail (`--create-trail`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.cli.conftest import LocalPool
from tests.cli.local_cli import SHARED_SWITCHES, Local

REGIONS = ["eu-central-1", "eu-west-1"]
CREATE_TRAIL_FIX = "redeploy with CreateTrail=true (sam deploy --parameter-overrides CreateTrail=true)"
WITHOUT = "drift events then come only from Auto Scaling launch failures and Spot warnings"


@pytest.fixture
def account(local: Local) -> Iterator[Local]:
    """The shared emulator with no trail before and after the test."""
    _delete_trails(local)
    yield local
    _delete_trails(local)


def _delete_trails(local: Local) -> None:
    for region in ("eu-central-1", "us-east-1"):
        for trail in local.client("cloudtrail", region).describe_trails(includeShadowTrails=False)["trailList"]:
            local.client("cloudtrail", region).delete_trail(Name=trail["Name"])  # moto deletes by name only


def _trail(
    local: Local, name: str, region: str = "eu-central-1", *, multi_region: bool = True, **selectors: Any
) -> str:
    """A trail made by hand (a bucket of its own), logging, with the `selectors` given (none: CloudTrail's default)."""
    bucket = f"trail-bucket-{name}"
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3 = local.client("s3", region)
    if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=bucket, **location)
    cloudtrail = local.client("cloudtrail", region)
    arn: str = cloudtrail.create_trail(Name=name, S3BucketName=bucket, IsMultiRegionTrail=multi_region)["TrailARN"]
    if selectors:
        cloudtrail.put_event_selectors(TrailName=name, **selectors)
    cloudtrail.start_logging(Name=name)
    return arn


def _check(local: Local, tmp_path: Path, regions: list[str] = REGIONS) -> dict[str, Any]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"regions": regions, "desired_capacity": 1}))
    done = local.p2pctl("doctor", "--file", str(path), "--json")
    checks = [c for c in json.loads(done.stdout)["checks"] if c["name"] == "drift events"]
    assert len(checks) == 1, done.stdout
    text = local.p2pctl("doctor", "--file", str(path)).stdout
    assert f"drift events: {checks[0]['detail']}" in text  # the same check in the operator's table
    found: dict[str, Any] = checks[0]
    return found


def test_no_trail_is_a_warning_saying_what_drift_events_miss_and_to_redeploy_with_create_trail(
    account: Local, tmp_path: Path
) -> None:
    check = _check(account, tmp_path)
    assert check["mark"] == "warn" and check["group"] == "account"
    assert check["detail"].startswith("no trail records write management events for eu-central-1, eu-west-1: ")
    assert WITHOUT in check["detail"] and "hand-made changes are found by the scheduled check" in check["detail"]
    assert check["fix"] == CREATE_TRAIL_FIX


def test_a_good_multi_region_trail_made_in_another_region_passes_with_its_name(account: Local, tmp_path: Path) -> None:
    _trail(account, "org-trail", region="us-east-1")  # seen from the home region as a shadow trail
    check = _check(account, tmp_path)
    assert check["mark"] == "ok", check
    assert (
        check["detail"] == "trail org-trail (multi-region) records write management events for eu-central-1, eu-west-1"
    )


def test_a_trail_that_is_not_logging_is_a_warning_with_start_logging_as_the_fix(account: Local, tmp_path: Path) -> None:
    arn = _trail(account, "stopped")
    account.client("cloudtrail").stop_logging(Name="stopped")
    check = _check(account, tmp_path)
    assert check["mark"] == "warn", check
    assert "(trail stopped: not logging)" in check["detail"] and WITHOUT in check["detail"]
    assert check["fix"] == (
        f"{CREATE_TRAIL_FIX}, or make trail stopped record write management events: "
        f"aws cloudtrail start-logging --name {arn} --region eu-central-1"
    )


def test_a_trail_recording_only_read_events_is_a_warning_with_the_selectors_to_put(
    account: Local, tmp_path: Path
) -> None:
    arn = _trail(account, "reads", EventSelectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}])
    check = _check(account, tmp_path)
    assert check["mark"] == "warn"
    assert "(trail reads: its event selectors record no write management events)" in check["detail"]
    assert check["fix"].startswith(f"{CREATE_TRAIL_FIX}, or make trail reads record write management events: ")
    assert (
        f"aws cloudtrail put-event-selectors --trail-name {arn} --region eu-central-1 "
        """--event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'"""
    ) in check["fix"]


def test_advanced_selectors_of_write_management_events_pass_and_read_only_ones_do_not(
    account: Local, tmp_path: Path
) -> None:
    management = {"Field": "eventCategory", "Equals": ["Management"]}
    reads = [{"Name": "reads", "FieldSelectors": [management, {"Field": "readOnly", "Equals": ["true"]}]}]
    _trail(account, "advanced-reads", AdvancedEventSelectors=reads)
    assert _check(account, tmp_path)["mark"] == "warn"
    _delete_trails(account)
    writes = [{"Name": "writes", "FieldSelectors": [management, {"Field": "readOnly", "Equals": ["false"]}]}]
    _trail(account, "advanced-writes", AdvancedEventSelectors=writes)
    assert _check(account, tmp_path)["mark"] == "ok"


def test_a_single_region_trail_covers_its_region_only(account: Local, tmp_path: Path) -> None:
    arn = _trail(account, "home-only", multi_region=False)
    assert _check(account, tmp_path, ["eu-central-1"])["detail"].startswith("trail home-only (in eu-central-1)")
    check = _check(account, tmp_path)
    assert check["mark"] == "warn" and "single-region (eu-central-1): misses eu-west-1" in check["detail"]
    assert f"aws cloudtrail update-trail --name {arn} --region eu-central-1 --is-multi-region-trail" in check["fix"]


def test_no_permission_to_read_trails_is_a_clear_warning_not_a_crash(account: Local, tmp_path: Path) -> None:
    real = BaseClient._make_api_call

    def denied(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation == "DescribeTrails":
            error = {"Error": {"Code": "AccessDeniedException", "Message": "not authorized: cloudtrail:DescribeTrails"}}
            raise ClientError(error, operation)
        return real(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", denied):
        check = _check(account, tmp_path)
    assert check["mark"] == "warn"
    assert check["detail"].startswith("cannot read the account's trails: ")
    assert "AccessDenied" in check["detail"] and "is unknown" in check["detail"]
    assert "cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus and cloudtrail:GetEventSelectors" in check["fix"]


def test_with_create_trail_true_the_stacks_own_trail_passes(local_pool: LocalPool, tmp_path: Path) -> None:
    with_trail = local_pool.get(*SHARED_SWITCHES, "--create-trail")
    check = _check(with_trail, tmp_path)
    assert check["mark"] == "ok", check
    assert (
        check["detail"].startswith("trail p2p-")
        and "-drift (multi-region) records write management events" in (check["detail"])
    )
