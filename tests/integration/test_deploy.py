"""Deploying template.yaml into the emulator as CloudFormation would: any legal stack name deploys and
provisions regions with names AWS accepts (moto checks no name lengths: they are checked here), and a
template Rule refuses what AWS would not create."""

from __future__ import annotations

import pytest
from moto import mock_aws

from p2p_core import names
from p2p_core.aws.clients import ClientFactory
from p2p_emulator.stack import deploy_stack
from p2p_emulator.template import TemplateRuleFailed
from p2p_emulator.world import EMULATOR_CONFIG, HOME, deployed_world

pytestmark = pytest.mark.integration

LONGEST_SG_LIKE = "sg-" + "0123456789abcdef" * 7 + "x" * 13


def test_a_128_character_stack_name_starting_with_sg_deploys_and_provisions_a_region() -> None:
    assert len(LONGEST_SG_LIKE) == names.STACK_NAME_LIMIT
    with deployed_world(LONGEST_SG_LIKE) as world:
        assert len(world.stack.control_center_function) <= 64
        assert len(world.stack.schedule_name) <= 64
        assert len(world.stack.pipe.name) <= 64
        assert len(world.stack.state_machine_arn.rsplit(":", 1)[-1]) <= 80
        world.put_config(regions=[HOME], desired_capacity=1, start_offset="0 minutes")
        run = world.run()
        assert run.status == "SUCCEEDED", run.cause
        asg = world.asg(HOME)
        assert asg is not None and asg["DesiredCapacity"] == 1
        ec2 = world.clients.client("ec2", HOME)
        template = asg["LaunchTemplate"]["LaunchTemplateName"]
        assert len(template) <= names.LAUNCH_TEMPLATE_NAME_LIMIT
        groups = ec2.describe_security_groups(GroupIds=_group_ids(ec2, asg))["SecurityGroups"]
        assert [g["GroupName"] for g in groups] == [names.security_group_name(LONGEST_SG_LIKE)]
        assert not groups[0]["GroupName"].startswith("sg-")


def _group_ids(ec2: object, asg: dict[str, object]) -> list[str]:
    """The security groups of the group's launch template."""
    template = asg["LaunchTemplate"]
    assert isinstance(template, dict)
    version = ec2.describe_launch_template_versions(  # type: ignore[attr-defined]
        LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Latest"]
    )["LaunchTemplateVersions"][0]
    ids: list[str] = version["LaunchTemplateData"]["SecurityGroupIds"]
    return ids


def test_enable_waf_outside_us_east_1_is_refused_before_anything_is_created(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", HOME)
    with mock_aws(config=EMULATOR_CONFIG):
        clients = ClientFactory()
        with pytest.raises(TemplateRuleFailed, match="WafNeedsUsEast1: EnableWaf=true needs the stack in us-east-1"):
            deploy_stack(clients, stack_name="p2p-waf", region=HOME, parameters={"EnableWaf": "true"})
        assert clients.client("cloudformation", HOME).list_stacks()["StackSummaries"] == []
        assert clients.client("s3", HOME).list_buckets()["Buckets"] == []
