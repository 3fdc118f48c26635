"""One client class per service and session (p2p_core/aws/client_classes.py): clients of other regions share it,
and nothing of one client (region, endpoint, hooks) reaches another."""

from __future__ import annotations

from typing import Any

import boto3
from moto import mock_aws

from p2p_core.aws.clients import ClientFactory


@mock_aws
def test_clients_of_one_service_share_their_class_and_keep_their_own_region_and_hooks() -> None:
    clients = ClientFactory(session=boto3.Session(aws_access_key_id="x", aws_secret_access_key="y"))
    frankfurt, sydney = clients.client("ec2", "eu-central-1"), clients.client("ec2", "ap-southeast-2")
    groups = clients.client("autoscaling", "eu-central-1")
    assert type(frankfurt) is type(sydney) and type(groups) is not type(frankfurt)
    assert (frankfurt.meta.region_name, sydney.meta.region_name) == ("eu-central-1", "ap-southeast-2")
    seen: list[str] = []

    def record(model: Any, **_: Any) -> None:
        seen.append(model.name)

    frankfurt.meta.events.register("after-call", record)
    frankfurt.create_vpc(CidrBlock="10.0.0.0/16")
    assert all(vpc["IsDefault"] for vpc in sydney.describe_vpcs()["Vpcs"])  # the VPC is Frankfurt's alone
    assert seen == ["CreateVpc"]  # the hook is the Frankfurt client's alone
    assert len(frankfurt.describe_vpcs()["Vpcs"]) == 2  # its new VPC beside the default one


def test_another_session_builds_its_own_classes() -> None:
    ClientFactory()  # installs the sharing (idempotent)
    first, second = (boto3.Session(region_name=r).client("ec2") for r in ("eu-central-1", "us-east-1"))
    assert type(first) is not type(
        second
    )  # two sessions: a class each, as their creating-client-class hooks may differ
