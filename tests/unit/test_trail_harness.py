"""The harness creates the template's trail as CloudTrail would, and refuses what CloudTrail refuses: a bucket policy
that does not let CloudTrail write for this trail, a multi-region trail without global service events. Without
CreateTrail=true the template has no trail at all."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from moto import mock_aws

from p2p_core.aws.clients import ClientFactory
from p2p_emulator.supplied import ACCOUNT_ID
from p2p_emulator.template import Resolver, load_template, without_absent
from p2p_emulator.trail import TrailRefused, create_trails
from p2p_emulator.world import HOME, emulated_environment
from tests.unit.test_template_deploys import ROOT

TEMPLATE = load_template(ROOT / "template.yaml")
TRAIL_PARTS = ("DriftTrailBucket", "DriftTrailBucketPolicy", "DriftTrail")


def _create(resources: dict[str, Any]) -> list[str]:
    """The trail's resources created by the harness alone, the bucket made first as moto's CloudFormation does."""
    with emulated_environment(), mock_aws():
        clients = ClientFactory()
        bucket = "p2p-trail-bucket"
        clients.client("s3", HOME).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": HOME})
        names = {
            "DriftTrailBucket": bucket,
            "AWS::Partition": "aws",
            "AWS::Region": HOME,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackId": f"arn:aws:cloudformation:{HOME}:{ACCOUNT_ID}:stack/s/1c2fa620-982a-11e3-aff7-50e2416294e0",
        }
        resolve = Resolver(names, lambda logical, attribute: f"arn:aws:s3:::{names[logical]}")
        return create_trails(clients, HOME, resources, resolve)


def test_without_create_trail_the_stack_has_no_trail_and_no_bucket_for_it() -> None:
    defaults = {name: str(p.get("Default", "")) for name, p in TEMPLATE["Parameters"].items()}
    values = {**defaults, "AWS::Region": HOME}
    assert values["CreateTrail"] == "false"  # the account's own trail by default
    kept = without_absent(TEMPLATE, values)["Resources"]
    assert not set(TRAIL_PARTS) & set(kept)
    created = without_absent(TEMPLATE, {**values, "CreateTrail": "true"})["Resources"]
    assert set(TRAIL_PARTS) <= set(created)


def _parts() -> dict[str, Any]:
    return copy.deepcopy({name: TEMPLATE["Resources"][name] for name in TRAIL_PARTS})


def test_the_templates_trail_alone_is_created_with_the_name_its_bucket_policy_names() -> None:
    (arn,) = _create(_parts())
    assert arn == f"arn:aws:cloudtrail:{HOME}:{ACCOUNT_ID}:trail/p2p-1c2fa620-drift"


def test_a_bucket_policy_that_does_not_let_cloudtrail_write_refuses_the_trail_as_cloudtrail_does() -> None:
    parts = _parts()
    statements = parts["DriftTrailBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    statements[:] = [s for s in statements if s["Sid"] != "CloudTrailWrite"]
    with pytest.raises(TrailRefused, match=r"InsufficientS3BucketPolicyException.*s3:PutObject"):
        _create(parts)


def test_a_bucket_policy_for_another_trail_refuses_the_trail() -> None:
    parts = _parts()
    for statement in parts["DriftTrailBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]:
        if "Condition" in statement and "StringEquals" in statement["Condition"]:
            statement["Condition"]["StringEquals"]["aws:SourceArn"] = "arn:aws:cloudtrail:eu-central-1:1:trail/other"
    with pytest.raises(TrailRefused, match=r"InsufficientS3BucketPolicyException.*s3:GetBucketAcl"):
        _create(parts)


def test_a_multi_region_trail_without_global_service_events_is_refused() -> None:
    parts = _parts()
    parts["DriftTrail"]["Properties"]["IncludeGlobalServiceEvents"] = False
    with pytest.raises(TrailRefused, match=r"Multi-Region trail must include global service events"):
        _create(parts)
