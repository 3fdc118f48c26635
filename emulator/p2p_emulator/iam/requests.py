"""Which authorization requests one API call makes: every resource the action authorizes, with its context.

The action's resource types and the condition keys each supports come from the Service
Authorization Reference (reference.py). What is ours is where each resource is named in the API
parameters, and AWS's documented extra checks ("implied" requests):
- an EC2 create with `TagSpecifications` also authorizes `ec2:CreateTags` with `ec2:CreateAction`;
- creating or updating an Auto Scaling group with a launch template, or starting an instance refresh
  whose desired configuration names one, authorizes `ec2:RunInstances` for the template and what it
  launches, `iam:PassRole` for its instance profile's role, and, on an account's first group,
  `iam:CreateServiceLinkedRole`;
- a Scheduler target role, or an EventBridge rule target's, is passed (`iam:PassRole`); a log group created
  with tags is tagged.

Request tags (`aws:RequestTag/*`, `aws:TagKeys`) are given only to the resource the call creates;
resource tags (`aws:ResourceTag/*`) are the live tags of the existing resource.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from p2p_emulator.iam import reference
from p2p_emulator.iam.calls import Call, Target, arn
from p2p_emulator.iam.evaluate import ContextValue, Request
from p2p_emulator.iam.event_resources import event_buses, rules
from p2p_emulator.iam.live import LiveState, Tags
from p2p_emulator.iam.reference import REQUEST_TAG, TAG_KEYS, ActionSpec, UnknownToReference

AUTOSCALING_SERVICE = "autoscaling.amazonaws.com"
_CREATING = ("Create", "Run", "Allocate", "Import", "Copy", "Request", "Register")
_TAG_FAMILIES = ("aws:ResourceTag", "ec2:ResourceTag", "autoscaling:ResourceTag")


class Unresolvable(Exception):
    """The emulator cannot tell which resource a call acts on: it denies rather than guess."""


def requests_for(call: Call, live: LiveState) -> list[Request]:
    """Every authorization request the call makes, the action's own first."""
    spec = reference.action(call.service, call.operation)
    return [*_direct(call, spec, live), *_implied(call, live)]


def _direct(call: Call, spec: ActionSpec, live: LiveState) -> Iterator[Request]:
    base = _global_context(call)
    if "cloudwatch:namespace" in spec.request_keys and "Namespace" in call.params:
        base["cloudwatch:namespace"] = str(call.params["Namespace"])
    if REQUEST_TAG in spec.request_keys:
        base |= _tag_context(_request_tags(call, None))
    if not spec.resources:
        yield Request(spec.action, "*", base)
        return
    involved = False
    for resource in spec.resources:
        targets = _targets(call, resource.name, live)
        if not targets and resource.required:
            if not call.operation.startswith(_CREATING):
                raise Unresolvable(f"the emulator cannot tell which {resource.name} {spec.action} acts on")
            targets = [Target(arn(call, spec.service, resource.name, "*"))]
        for target in targets:
            involved = True
            context = dict(base)
            if REQUEST_TAG in resource.condition_keys:
                context |= _tag_context(_request_tags(call, resource.name))
            if target.tags is not None:
                # SSM lists aws:ResourceTag among the action's keys, not the parameter's
                context |= _resource_tag_context(target.tags, resource.condition_keys | spec.request_keys)
            yield Request(spec.action, target.arn, context)
    if not involved:  # only optional resource types, none named: the action applies to "*"
        yield Request(spec.action, "*", base)


def _global_context(call: Call) -> dict[str, ContextValue]:
    return {"aws:RequestedRegion": call.region, "aws:SecureTransport": "true", "aws:PrincipalAccount": call.account}


def _tag_context(tags: Tags) -> dict[str, ContextValue]:
    if not tags:
        return {}
    return {**{f"aws:RequestTag/{k}": v for k, v in tags.items()}, TAG_KEYS: sorted(tags)}


def _resource_tag_context(tags: Tags, supported: frozenset[str]) -> dict[str, ContextValue]:
    context: dict[str, ContextValue] = {}
    for family in _TAG_FAMILIES:
        if f"{family}/${{TagKey}}" in supported:
            context |= {f"{family}/{k}": v for k, v in tags.items()}
    return context


def _request_tags(call: Call, resource_type: str | None) -> Tags:
    """Tags the call puts on the resource it creates (of `resource_type`, or the request's for None)."""
    params = call.params
    if "TagSpecifications" in params:
        return {
            t["Key"]: t.get("Value", "")
            for spec in params["TagSpecifications"]
            if resource_type is None or spec.get("ResourceType") == resource_type
            for t in spec.get("Tags", [])
        }
    if isinstance(params.get("Tags"), list):  # Auto Scaling, ec2:CreateTags
        return {t["Key"]: t.get("Value", "") for t in params["Tags"]}
    if isinstance(params.get("tags"), dict):  # CloudWatch Logs
        return dict(params["tags"])
    if isinstance(params.get("Tags"), dict):
        return dict(params["Tags"])
    return {}


# ---------------------------------------------------------------- where each resource type is named

Resolver = Callable[[Call, LiveState], list[Target]]


def _ids(params: Mapping[str, Any], *keys: str) -> list[str]:
    found: list[str] = []
    for key in keys:
        value = params.get(key)
        if isinstance(value, str) and value:
            found.append(value)
        elif isinstance(value, list):
            found += [str(v) for v in value]
    return found


def _ec2(resource_type: str, *keys: str) -> Resolver:
    def resolve(call: Call, live: LiveState) -> list[Target]:
        ids = _ids(call.params, *keys) + _through_association(call, live, resource_type)
        return [Target(arn(call, "ec2", resource_type, i), live.ec2_tags(call.region, i)) for i in ids]

    return resolve


def _through_association(call: Call, live: LiveState, resource_type: str) -> list[str]:
    if "AssociationId" not in call.params:
        return []
    holder = _CIDR_HOLDERS.get(call.operation)
    if holder is not None:  # Disassociate{Vpc,Subnet}CidrBlock name only the block's association
        found_holder = (
            live.cidr_association(call.region, call.params["AssociationId"]) if holder == resource_type else None
        )
        return [found_holder] if found_holder else []
    # DisassociateRouteTable names only the association: AWS authorizes its route table and subnet
    if resource_type not in ("route-table", "subnet"):
        return []
    found = live.association(call.region, call.params["AssociationId"])
    if found is None:
        return []
    table, subnet = found
    return [table] if resource_type == "route-table" else [subnet] if subnet else []


_CIDR_HOLDERS = {"DisassociateVpcCidrBlock": "vpc", "DisassociateSubnetCidrBlock": "subnet"}

# ec2:CreateTags / DeleteTags name their resources by id in `Resources`
_ID_PREFIXES = {
    "vpc": "vpc-",
    "subnet": "subnet-",
    "security-group": "sg-",
    "internet-gateway": "igw-",
    "route-table": "rtb-",
    "launch-template": "lt-",
    "instance": "i-",
    "volume": "vol-",
    "network-interface": "eni-",
}


def _tagged_by_id(call: Call, live: LiveState, resource_type: str) -> list[Target]:
    prefix = _ID_PREFIXES.get(resource_type)
    ids = [i for i in _ids(call.params, "Resources") if prefix and i.startswith(prefix)]
    return [Target(arn(call, "ec2", resource_type, i), live.ec2_tags(call.region, i)) for i in ids]


def _launch_template(call: Call, live: LiveState) -> list[Target]:
    if "LaunchTemplateId" not in call.params and "LaunchTemplateName" not in call.params:
        return []
    found = live.launch_template(call.region, {**call.params, "Version": "$Latest"})
    if found is None:
        return []
    return [Target(arn(call, "ec2", "launch-template", found.template_id), found.tags)]


def _auto_scaling_group(call: Call, live: LiveState) -> list[Target]:
    names = _ids(call.params, "AutoScalingGroupName", "AutoScalingGroupNames")
    # CreateOrUpdateTags / DeleteTags name their groups in each tag
    names += sorted({t["ResourceId"] for t in call.params.get("Tags", []) if isinstance(t, dict) and "ResourceId" in t})
    targets = []
    for name in names:
        group = live.auto_scaling_group(call.region, name)
        if group is None:
            targets.append(Target(arn(call, "autoscaling", "autoScalingGroup", "*", name)))
        else:
            tags = {t["Key"]: t["Value"] for t in group.get("Tags", [])}
            targets.append(Target(group["AutoScalingGroupARN"], tags))
    return targets


def _log_group(call: Call, live: LiveState) -> list[Target]:
    name = call.params.get("logGroupName")
    if not name:
        return []
    target = arn(call, "logs", "log-group", name)
    return [Target(target, live.log_group_tags(call.region, target))]


def _log_stream(call: Call, _: LiveState) -> list[Target]:
    group, stream = call.params.get("logGroupName"), call.params.get("logStreamName")
    return [Target(arn(call, "logs", "log-stream", group, stream))] if group and stream else []


def _parameter(call: Call, live: LiveState) -> list[Target]:
    names = _ids(call.params, "Name", "Names")
    # AWS's public parameters (/aws/service/...) belong to no account: their ARN has an empty account
    return [
        Target(arn(call, "ssm", "parameter", n.lstrip("/")).replace(f":{call.account}:", "::"))
        if n.startswith("/aws/")
        else Target(arn(call, "ssm", "parameter", n.lstrip("/")), live.parameter_tags(call.region, n))
        for n in names
    ]


def _named(service: str, resource_type: str, key: str) -> Resolver:
    def resolve(call: Call, _: LiveState) -> list[Target]:
        names = _ids(call.params, key)
        return [Target(n if n.startswith("arn:") else arn(call, service, resource_type, n)) for n in names]

    return resolve


def _quota(call: Call, _: LiveState) -> list[Target]:
    service, code = call.params.get("ServiceCode"), call.params.get("QuotaCode")
    return [Target(arn(call, "servicequotas", "quota", service, code))] if service and code else []


def _schedule(call: Call, _: LiveState) -> list[Target]:
    name, group = call.params.get("Name"), call.params.get("GroupName") or "default"
    return [Target(arn(call, "scheduler", "schedule", group, name))] if name else []


_RESOLVERS: dict[tuple[str, str], Resolver] = {
    ("ec2", "vpc"): _ec2("vpc", "VpcId"),
    ("ec2", "subnet"): _ec2("subnet", "SubnetId", "SubnetIds"),
    ("ec2", "security-group"): _ec2("security-group", "GroupId", "SecurityGroupIds"),
    ("ec2", "security-group-rule"): _ec2("security-group-rule", "SecurityGroupRuleIds"),
    ("ec2", "internet-gateway"): _ec2("internet-gateway", "InternetGatewayId"),
    ("ec2", "route-table"): _ec2("route-table", "RouteTableId"),
    ("ec2", "image"): _ec2("image", "ImageId"),
    ("ec2", "instance"): _ec2("instance", "InstanceIds", "InstanceId"),
    ("ec2", "launch-template"): _launch_template,
    ("autoscaling", "autoScalingGroup"): _auto_scaling_group,
    ("logs", "log-group"): _log_group,
    ("logs", "log-stream"): _log_stream,
    ("ssm", "parameter"): _parameter,
    ("dynamodb", "table"): _named("dynamodb", "table", "TableName"),
    ("cloudfront", "function"): _named("cloudfront", "function", "Name"),
    ("scheduler", "schedule"): _schedule,
    ("states", "statemachine"): _named("states", "statemachine", "stateMachineArn"),
    ("states", "execution"): _named("states", "execution", "executionArn"),
    ("iam", "role"): _named("iam", "role", "RoleArn"),
    ("servicequotas", "quota"): _quota,
    ("events", "event-bus"): event_buses,
    ("events", "rule-on-default-event-bus"): rules(on_default_bus=True),
    ("events", "rule-on-custom-event-bus"): rules(on_default_bus=False),
}


def _targets(call: Call, resource_type: str, live: LiveState) -> list[Target]:
    if call.service == "ec2" and call.operation in ("CreateTags", "DeleteTags"):
        return _tagged_by_id(call, live, resource_type)
    resolver = _RESOLVERS.get((call.service, resource_type))
    if resolver is None:
        if _mentions(call.params, resource_type):
            action = f"{call.service}:{call.operation}"
            raise Unresolvable(f"the emulator does not know where {action} names a {resource_type}")
        return []
    return resolver(call, live)


def _mentions(params: Mapping[str, Any], resource_type: str) -> bool:
    words = resource_type.replace("-", "").lower()
    return any(words in key.lower() for key in params)


# ---------------------------------------------------------------- AWS's extra checks


def _implied(call: Call, live: LiveState) -> Iterator[Request]:
    if call.service == "ec2" and call.operation != "CreateTags":
        yield from _tag_on_create(call, call.operation, call.params.get("TagSpecifications", []))
    if call.service == "autoscaling" and call.operation in _LAUNCHING:
        yield from _launch_checks(call, live)
    if call.service == "scheduler" and "RoleArn" in call.params.get("Target", {}):
        yield _pass_role(call.params["Target"]["RoleArn"], "scheduler.amazonaws.com", call)
    if call.service == "events" and call.operation == "PutTargets":  # each target's role is passed to EventBridge
        for role in sorted({str(t["RoleArn"]) for t in call.params.get("Targets", []) if t.get("RoleArn")}):
            yield _pass_role(role, "events.amazonaws.com", call)
    if call.service == "logs" and call.operation == "CreateLogGroup" and call.params.get("tags"):
        target = arn(call, "logs", "log-group", call.params["logGroupName"])
        context = _global_context(call) | _tag_context(dict(call.params["tags"]))
        yield Request("logs:TagResource", target, context, why=f"implied by logs:{call.operation} with tags")


def _tag_on_create(call: Call, action: str, specs: list[dict[str, Any]]) -> Iterator[Request]:
    for spec in specs:
        tags = {t["Key"]: t.get("Value", "") for t in spec.get("Tags", [])}
        context = _global_context(call) | _tag_context(tags) | {"ec2:CreateAction": action}
        target = arn(call, "ec2", spec["ResourceType"], "*")
        yield Request("ec2:CreateTags", target, context, why=f"implied by ec2:{action} with TagSpecifications")


# Auto Scaling calls that make the group launch from a launch template the caller names: AWS checks
# the caller's own right to launch from it ("You are not authorized to use launch template")
_LAUNCHING = ("CreateAutoScalingGroup", "UpdateAutoScalingGroup", "StartInstanceRefresh")


def _launch_checks(call: Call, live: LiveState) -> Iterator[Request]:
    # StartInstanceRefresh names its template in DesiredConfiguration, the group calls at the top level
    params = call.params.get("DesiredConfiguration") or call.params
    spec = params.get("LaunchTemplate") or (
        params.get("MixedInstancesPolicy", {}).get("LaunchTemplate", {}).get("LaunchTemplateSpecification")
    )
    why = f"implied by autoscaling:{call.operation} with a launch template"
    if call.operation == "CreateAutoScalingGroup" and not live.service_linked_role(AUTOSCALING_SERVICE):
        role = f"arn:aws:iam::{call.account}:role/aws-service-role/{AUTOSCALING_SERVICE}/AWSServiceRoleForAutoScaling"
        context = _global_context(call) | {"iam:AWSServiceName": AUTOSCALING_SERVICE}
        yield Request("iam:CreateServiceLinkedRole", role, context, why="first Auto Scaling group of the account")
    if not spec:
        return
    template = live.launch_template(call.region, spec)
    if template is None:
        raise Unresolvable(f"launch template {spec} not found ({why})")
    template_arn = arn(call, "ec2", "launch-template", template.template_id)
    launch = _global_context(call) | {"ec2:LaunchTemplate": template_arn}
    data = template.data
    yield Request("ec2:RunInstances", template_arn, launch | _resource_tag_context(template.tags, _ALL_TAGS), why=why)
    created = {s["ResourceType"]: s for s in data.get("TagSpecifications", [])}
    for kind in ("instance", "volume", "network-interface"):
        tags = {t["Key"]: t["Value"] for t in created.get(kind, {}).get("Tags", [])}
        yield Request("ec2:RunInstances", arn(call, "ec2", kind, "*"), launch | _tag_context(tags), why=why)
    subnets = str(params.get("VPCZoneIdentifier") or _group_subnets(call, live)).split(",")
    for kind, ids in (("subnet", subnets), ("security-group", data.get("SecurityGroupIds", []))):
        for resource_id in filter(None, ids):
            tags = live.ec2_tags(call.region, resource_id) or {}
            target = arn(call, "ec2", kind, resource_id)
            yield Request("ec2:RunInstances", target, launch | _resource_tag_context(tags, _ALL_TAGS), why=why)
    if "ImageId" in data:
        yield Request("ec2:RunInstances", arn(call, "ec2", "image", data["ImageId"]), launch, why=why)
    yield from _tag_on_create(call, "RunInstances", list(created.values()))
    for role in live.instance_profile_roles(data.get("IamInstanceProfile", {})) if "IamInstanceProfile" in data else []:
        yield _pass_role(role, "ec2.amazonaws.com", call)


_ALL_TAGS = frozenset(f"{family}/${{TagKey}}" for family in _TAG_FAMILIES)


def _group_subnets(call: Call, live: LiveState) -> str:
    group = live.auto_scaling_group(call.region, call.params.get("AutoScalingGroupName", ""))
    return str(group.get("VPCZoneIdentifier", "")) if group else ""


def _pass_role(role_arn: str, service: str, call: Call) -> Request:
    context = _global_context(call) | {"iam:PassedToService": service}
    return Request("iam:PassRole", role_arn, context, why=f"implied by {call.service}:{call.operation}")


__all__ = ["Call", "Target", "UnknownToReference", "Unresolvable", "arn", "requests_for"]
