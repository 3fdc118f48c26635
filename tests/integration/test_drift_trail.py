"""CreateTrail=true: the template's trail deployed into the emulator as CloudFormation creates it.

A world deployed with the parameter has a logging multi-region trail of write management events only, delivering
to a bucket with public access blocked, TLS only and a 1-day expiry (without it: tests/unit/test_trail_harness.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from p2p_emulator.supplied import ACCOUNT_ID
from p2p_emulator.world import HOME, WorkflowWorld, deployed_world


@pytest.fixture(scope="module")
def trail_world() -> Iterator[WorkflowWorld]:
    with deployed_world("p2p-trail", regions=[HOME], parameters={"CreateTrail": "true"}) as world:
        yield world


def _our_trail(world: WorkflowWorld) -> dict[str, Any]:
    trails = world.clients.client("cloudtrail", HOME).describe_trails(includeShadowTrails=False)["trailList"]
    assert len(trails) == 1, trails
    found: dict[str, Any] = trails[0]
    return found


def test_create_trail_true_deploys_a_logging_multi_region_trail_of_write_management_events_only(
    trail_world: WorkflowWorld,
) -> None:
    trail = _our_trail(trail_world)
    cloudtrail = trail_world.clients.client("cloudtrail", HOME)
    assert trail["Name"].startswith("p2p-") and trail["Name"].endswith("-drift")
    assert trail["IsMultiRegionTrail"] is True and trail["IncludeGlobalServiceEvents"] is True
    assert cloudtrail.get_trail_status(Name=trail["TrailARN"])["IsLogging"] is True
    selectors = cloudtrail.get_event_selectors(TrailName=trail["Name"])
    assert selectors["EventSelectors"] == [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]
    assert selectors["AdvancedEventSelectors"] == []  # no data events
    # seen from another region too, as a shadow of the multi-region trail (what p2pctl doctor reads)
    elsewhere = trail_world.clients.client("cloudtrail", "us-east-1").describe_trails(includeShadowTrails=True)
    assert [t["Name"] for t in elsewhere["trailList"]] == [trail["Name"]]


def test_the_trails_bucket_expires_files_after_a_day_blocks_public_access_and_lets_only_this_trail_write(
    trail_world: WorkflowWorld,
) -> None:
    trail = _our_trail(trail_world)
    bucket = trail["S3BucketName"]
    s3 = trail_world.clients.client("s3", HOME)
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["Status"] == "Enabled" and rule["Expiration"] == {"Days": 1}
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1  # versioned: old versions go too
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    blocked = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(blocked.values()) and len(blocked) == 4
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert encryption[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    statements = {s["Sid"]: s for s in json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]}
    write = statements["CloudTrailWrite"]
    assert write["Principal"] == {"Service": "cloudtrail.amazonaws.com"} and write["Action"] == "s3:PutObject"
    assert write["Resource"] == f"arn:aws:s3:::{bucket}/AWSLogs/{ACCOUNT_ID}/*"
    assert write["Condition"]["StringEquals"] == {
        "s3:x-amz-acl": "bucket-owner-full-control",
        "aws:SourceArn": trail["TrailARN"],
    }
    assert statements["CloudTrailAclCheck"]["Condition"]["StringEquals"]["aws:SourceArn"] == trail["TrailARN"]
    assert statements["TlsOnly"]["Effect"] == "Deny"
    assert statements["TlsOnly"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
