"""The template's optional CloudTrail trail (CreateTrail=true), created in the emulator as CloudFormation would.

moto's CloudFormation creates the bucket (encryption and tags only) and knows neither bucket policies nor trails.
The harness applies what it skips from the same template values — public access block, ownership, versioning,
the lifecycle rules, the bucket policy — and creates the trail through the CloudTrail API, with its event
selectors, logging when `IsLogging` says so. Where CloudTrail is stricter than moto it refuses as CloudTrail does:
a bucket policy that does not let CloudTrail check the bucket's ACL and write under `AWSLogs/<account>/`
(InsufficientS3BucketPolicyException), a multi-region trail without global service events
(InvalidParameterCombinationException).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from p2p_core.aws.clients import ClientFactory
from p2p_emulator.supplied import ACCOUNT_ID

CLOUDTRAIL = "cloudtrail.amazonaws.com"


class TrailRefused(ValueError):
    """CloudTrail would refuse to create the trail: the deploy fails there, as on AWS."""


def create_trails(
    clients: ClientFactory, region: str, resources: Mapping[str, Any], resolve: Callable[[Any], Any]
) -> list[str]:
    """Create every `AWS::CloudTrail::Trail` of the (condition-filtered) template; returns their ARNs."""
    created = []
    for resource in resources.values():
        if resource["Type"] == "AWS::CloudTrail::Trail":
            created.append(_create_trail(clients, region, resources, resolve(resource["Properties"]), resolve))
    return created


def _create_trail(
    clients: ClientFactory,
    region: str,
    resources: Mapping[str, Any],
    props: dict[str, Any],
    resolve: Callable[[Any], Any],
) -> str:
    name, bucket = props["TrailName"], props["S3BucketName"]
    arn = f"arn:aws:cloudtrail:{region}:{ACCOUNT_ID}:trail/{name}"
    multi_region = bool(props.get("IsMultiRegionTrail", False))
    global_events = bool(props.get("IncludeGlobalServiceEvents", True))
    if multi_region and not global_events:
        raise TrailRefused(
            f"trail {name}: InvalidParameterCombinationException: Multi-Region trail must include global service events"
        )
    s3 = clients.client("s3", region)
    for resource in resources.values():
        kind, settings = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::S3::Bucket" and resolve({"Ref": _logical(resources, resource)}) == bucket:
            _apply_bucket_settings(s3, bucket, settings)
        if kind == "AWS::S3::BucketPolicy" and resolve(settings["Bucket"]) == bucket:
            s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(resolve(settings["PolicyDocument"])))
    _check_bucket_policy(s3, bucket, arn)
    cloudtrail = clients.client("cloudtrail", region)
    cloudtrail.create_trail(
        Name=name,
        S3BucketName=bucket,
        IsMultiRegionTrail=multi_region,
        IncludeGlobalServiceEvents=global_events,
        EnableLogFileValidation=bool(props.get("EnableLogFileValidation", False)),
    )
    if "AdvancedEventSelectors" in props:
        cloudtrail.put_event_selectors(TrailName=name, AdvancedEventSelectors=props["AdvancedEventSelectors"])
    else:  # CloudTrail's default when none are given: every management event, read and write
        default = [{"ReadWriteType": "All", "IncludeManagementEvents": True}]
        cloudtrail.put_event_selectors(TrailName=name, EventSelectors=props.get("EventSelectors", default))
    if props.get("IsLogging"):
        cloudtrail.start_logging(Name=name)
    return arn


def _logical(resources: Mapping[str, Any], resource: Any) -> str:
    return next(logical for logical, found in resources.items() if found is resource)


def _apply_bucket_settings(s3: Any, bucket: str, props: dict[str, Any]) -> None:
    """What CloudFormation sets on the bucket and moto's CloudFormation skips."""
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(
            Bucket=bucket, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
        )
    if "OwnershipControls" in props:
        s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=props["OwnershipControls"])
    if "VersioningConfiguration" in props:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration=props["VersioningConfiguration"])
    rules = props.get("LifecycleConfiguration", {}).get("Rules", [])
    if rules:
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": [_lifecycle_rule(rule) for rule in rules]}
        )


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule as the S3 API takes it."""
    found: dict[str, Any] = {"ID": rule.get("Id", "rule"), "Status": rule["Status"], "Filter": {"Prefix": ""}}
    if "ExpirationInDays" in rule:
        found["Expiration"] = {"Days": rule["ExpirationInDays"]}
    if "NoncurrentVersionExpiration" in rule:
        found["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule["NoncurrentVersionExpiration"]["NoncurrentDays"]}
    if "AbortIncompleteMultipartUpload" in rule:
        found["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    return found


def _check_bucket_policy(s3: Any, bucket: str, trail_arn: str) -> None:
    """CreateTrail's own check: CloudTrail may read the bucket's ACL and write its files, for this trail."""
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except s3.exceptions.ClientError:
        policy = {"Statement": []}
    files = f"arn:aws:s3:::{bucket}/AWSLogs/{ACCOUNT_ID}/"
    needed = {"s3:GetBucketAcl": f"arn:aws:s3:::{bucket}", "s3:PutObject": files + "CloudTrail/x.json.gz"}
    for action, resource in needed.items():
        if not any(_allows(statement, action, resource, trail_arn) for statement in policy["Statement"]):
            raise TrailRefused(
                f"trail {trail_arn}: InsufficientS3BucketPolicyException: Incorrect S3 bucket policy is detected "
                f"for bucket: {bucket} (CloudTrail needs {action} on {resource})"
            )


def _allows(statement: dict[str, Any], action: str, resource: str, trail_arn: str) -> bool:
    principal = statement.get("Principal", {})
    services = principal.get("Service", []) if isinstance(principal, dict) else []
    if statement.get("Effect") != "Allow" or CLOUDTRAIL not in _listed(services):
        return False
    if action not in _listed(statement.get("Action", [])) and "s3:*" not in _listed(statement.get("Action", [])):
        return False
    if not any(_matches(pattern, resource) for pattern in _listed(statement.get("Resource", []))):
        return False
    source = statement.get("Condition", {}).get("StringEquals", {}).get("aws:SourceArn")
    return source is None or trail_arn in _listed(source)


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _matches(pattern: str, value: str) -> bool:
    return value == pattern or (pattern.endswith("*") and value.startswith(pattern[:-1]))
