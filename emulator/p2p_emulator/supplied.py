"""What the harness gives references to the resources it creates itself, and the attributes it reads back.

moto's CloudFormation creates what it supports; the rest (state machines, the CloudFront Function, the
schedule, alarms, ...) the harness creates from the same template values (stack.py). These name them as
CloudFormation would, so references resolve the same way on both sides.
"""

from __future__ import annotations

from typing import Any

from p2p_core.aws.clients import ClientFactory
from p2p_emulator import shims

ACCOUNT_ID = "123456789012"


def supplied_by_harness(resource_type: str) -> bool:
    # moto's CloudFormation puts state machines where its executing Step Functions engine does not look
    return resource_type == "AWS::StepFunctions::StateMachine" or not shims.cloudformation_supports(resource_type)


class Supplied:
    """Values the harness gives references to resources it creates itself instead of moto's CloudFormation.

    A name is the template's own expression (CloudFormation resolves it from the stack's id), so moto
    resolves it where a reference stays in the template, and the harness once the stack exists.
    """

    def __init__(self, template: dict[str, Any], region: str) -> None:
        self._template = template
        self._region = region

    def _name(self, resource: dict[str, Any]) -> Any:
        props = resource["Properties"]
        return props.get("Name") or props["StateMachineName"]

    def __call__(self, logical: str, attribute: str | None) -> Any:
        resource = self._template["Resources"].get(logical, {})
        if resource.get("Type") == "AWS::CloudFront::Function":
            name = self._name(resource)
            return name if attribute is None else _joined(f"arn:aws:cloudfront::{ACCOUNT_ID}:function/", name)
        if resource.get("Type") == "AWS::StepFunctions::StateMachine":
            return _joined(f"arn:aws:states:{self._region}:{ACCOUNT_ID}:stateMachine:", self._name(resource))
        if resource.get("Type") == "AWS::CloudWatch::Alarm":  # CloudFormation names an alarm <stack>-<logical>-<id>
            name = {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, logical]]}
            prefix = f"arn:aws:cloudwatch:{self._region}:{ACCOUNT_ID}:alarm:"
            return name if attribute is None else _joined(prefix, name)
        if resource.get("Type") == "AWS::CloudFront::Distribution" and attribute == "DomainName":
            return "control-center.emulator.invalid"  # the local runtime serves the control center itself
        return f"emulated-{logical}" if attribute is None else f"emulated-{logical}-{attribute}"


def _joined(prefix: str, name: Any) -> dict[str, Any]:
    return {"Fn::Join": ["", [prefix, name]]}


class Attributes:
    """Fn::GetAtt for the attributes the harness needs, read from the emulator."""

    def __init__(
        self, clients: ClientFactory, region: str, physical: dict[str, str], kinds: dict[str, str] | None = None
    ) -> None:
        self._clients = clients
        self._region = region
        self._physical = physical
        self._kinds = kinds or {}

    def __call__(self, logical: str, attribute: str) -> str:
        name = self._physical.get(logical, logical)
        if attribute == "Arn" and name.startswith("arn:"):
            return name
        if attribute == "Arn" and self._kinds.get(logical) == "AWS::DynamoDB::Table":
            return str(
                self._clients.client("dynamodb", self._region).describe_table(TableName=name)["Table"]["TableArn"]
            )
        if attribute == "Arn" and self._kinds.get(logical) == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{name}"
        if attribute == "Arn" and logical.endswith("Role"):
            arn: str = self._clients.client("iam", self._region).get_role(RoleName=name)["Role"]["Arn"]
            return arn
        if attribute == "Arn":
            conf = self._clients.client("lambda", self._region).get_function(FunctionName=name)["Configuration"]
            return str(conf["FunctionArn"])
        if attribute == "StreamArn":
            table = self._clients.client("dynamodb", self._region).describe_table(TableName=name)["Table"]
            return str(table["LatestStreamArn"])
        raise KeyError(f"the emulator harness cannot resolve {logical}.{attribute}")
