"""template.yaml and the handlers as security policy: least privilege, tag-scoped writes, no logged secret path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import samtranslator
from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor

from p2p_emulator.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
STACK_NAME = {"Ref": "AWS::StackName"}

# conditions that tie a write to resources carrying (or being created with) this stack's tag
STACK_TAG_KEYS = frozenset(
    {"aws:RequestTag/p2p:stack", "aws:ResourceTag/p2p:stack", "autoscaling:ResourceTag/p2p:stack"}
)
TAG_SCOPED_SERVICES = ("ec2", "autoscaling")
MUTATING_VERBS = (
    "Create", "Delete", "Modify", "Update", "Put", "Attach", "Detach", "Associate", "Disassociate",
    "Authorize", "Revoke", "Run", "Terminate", "Set", "Replace",
)  # fmt: skip
# Writes AWS cannot scope by the stack tag, and the condition key each must be scoped by instead.
UNTAGGABLE_WRITES: dict[str, frozenset[str]] = {
    # tags are authorized before the resource exists; allowed only as part of the tag-checked Create* calls
    "ec2:CreateTags": frozenset({"ec2:CreateAction"}),
    # instance/volume/ENI/subnet/image carry no stack tag at authorization; the call's launch template is tag-checked
    "ec2:RunInstances": frozenset({"ec2:LaunchTemplate"}),
}
# AWS managed policies we attach on purpose (their content is AWS's, not walked here)
AWS_MANAGED_POLICIES = frozenset({"AmazonSSMManagedInstanceCore"})


@dataclass(frozen=True)
class Statement:
    """One statement of one permission policy, and where it lives in the template."""

    resource: str
    where: str
    body: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.resource}/{self.where}/Sid={self.body.get('Sid', '-')}"

    @property
    def actions(self) -> list[str]:
        action = self.body.get("Action", [])
        return [action] if isinstance(action, str) else list(action)

    @property
    def condition_keys(self) -> dict[str, Any]:
        """Condition key -> value, across every operator (StringEquals, ArnLike, ...)."""
        return {key: value for block in self.body.get("Condition", {}).values() for key, value in block.items()}


def _sam_policy_templates() -> dict[str, Any]:
    templates: dict[str, Any] = PolicyTemplatesProcessor.get_default_policy_templates_json()["Templates"]
    return templates


SAM_POLICY_TEMPLATES = _sam_policy_templates()


def _document_statements(resource: str, where: str, document: dict[str, Any]) -> Iterator[Statement]:
    statements = document.get("Statement", [])
    for index, body in enumerate([statements] if isinstance(statements, dict) else statements):
        yield Statement(resource, f"{where}[{index}]", body)


def _sam_policies(resource: str, policies: Any) -> Iterator[Statement]:
    """SAM `Policies`: a statement document, a policy template (expanded from SAM's own data), or a managed policy."""
    for index, entry in enumerate(policies if isinstance(policies, list) else [policies]):
        if isinstance(entry, dict) and "Statement" in entry:
            yield from _document_statements(resource, f"Policies[{index}]", entry)
        elif isinstance(entry, dict) and len(entry) == 1 and next(iter(entry)) in SAM_POLICY_TEMPLATES:
            (name,) = entry
            definition = SAM_POLICY_TEMPLATES[name]["Definition"]
            yield from _document_statements(resource, f"Policies[{index}]:{name}", definition)
        elif isinstance(entry, dict) and set(entry) == {"Ref"}:
            assert RESOURCES[entry["Ref"]]["Type"] == "AWS::IAM::ManagedPolicy", f"{resource}: {entry}"
        else:
            assert entry in AWS_MANAGED_POLICIES, f"{resource} attaches an unreviewed policy {entry!r}"


def permission_statements() -> list[Statement]:
    """Every statement of every permission policy in the template (trust policies excluded)."""
    found: list[Statement] = []
    for name, resource in RESOURCES.items():
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                found += _document_statements(name, f"Policies:{policy['PolicyName']}", policy["PolicyDocument"])
        elif kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            found += _document_statements(name, "PolicyDocument", props["PolicyDocument"])
        elif kind in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
            found += _sam_policies(name, props.get("Policies", []))
    return found


STATEMENTS = permission_statements()
ALLOWS = [s for s in STATEMENTS if s.body.get("Effect") == "Allow"]


def _is_tag_scoped_write(action: str) -> bool:
    service, _, verb = action.partition(":")
    return service in TAG_SCOPED_SERVICES and verb.startswith(MUTATING_VERBS)


def _scoped_to_stack(statement: Statement) -> bool:
    keys = statement.condition_keys
    return any(keys.get(key) == STACK_NAME for key in STACK_TAG_KEYS)


# ---------------------------------------------------------------- IAM


def test_the_walk_sees_every_kind_of_policy() -> None:
    where = {s.resource for s in STATEMENTS}
    assert {"ReconcileRegionsPolicy", "ObserveRegionsPolicy", "SchedulerRole", "ConfigPipeRole", "AgentRole"} <= where
    assert {"PlanFunction", "FinalizeFunction", "ReconcileStateMachine"} <= where  # inline and SAM templates
    assert any(":DynamoDBCrudPolicy" in s.where for s in STATEMENTS)
    assert any(":LambdaInvokePolicy" in s.where for s in STATEMENTS)


def test_no_policy_grants_every_action_or_a_whole_service() -> None:
    offending = [
        f"{s.label}: {action}" for s in STATEMENTS for action in s.actions if action == "*" or action.endswith(":*")
    ]
    assert not offending, "wildcard actions:\n" + "\n".join(offending)


def test_no_policy_uses_not_action_or_not_resource() -> None:
    offending = [s.label for s in STATEMENTS if {"NotAction", "NotResource"} & set(s.body)]
    assert not offending, f"NotAction/NotResource in: {offending}"


def test_ec2_and_auto_scaling_writes_only_touch_this_stacks_resources() -> None:
    offending = []
    for statement in ALLOWS:
        for action in filter(_is_tag_scoped_write, statement.actions):
            if _scoped_to_stack(statement):
                continue
            alternatives = UNTAGGABLE_WRITES.get(action, frozenset())
            if not alternatives & set(statement.condition_keys):
                offending.append(f"{statement.label}: {action}")
    assert not offending, "EC2/Auto Scaling writes without a p2p:stack tag condition:\n" + "\n".join(offending)


def test_the_tag_scoped_policy_really_grants_its_writes() -> None:
    # guards the test above against passing because the actions vanished from the walk
    granted = {action for s in ALLOWS for action in s.actions}
    assert {"ec2:CreateVpc", "ec2:DeleteVpc", "autoscaling:CreateAutoScalingGroup", "ec2:RunInstances"} <= granted


def test_agents_launch_only_from_this_stacks_launch_templates() -> None:
    run_instances = [s for s in ALLOWS if "ec2:RunInstances" in s.actions]
    template_statements = [s for s in run_instances if ":launch-template/" in json.dumps(s.body["Resource"])]
    assert template_statements, "no statement covers the launch template resource of RunInstances"
    assert all(_scoped_to_stack(s) for s in template_statements)
    assert all(s.body["Resource"] != "*" for s in run_instances)


# the only tags set on an existing resource: a decommission's count of blocked runs, on the stack's own VPC
COUNTER_TAG_KEYS = ["p2p:blocked-runs"]
AGENTS_NAME = {"Fn::Sub": "${AWS::StackName}-agents*"}


def test_tagging_is_allowed_only_while_creating_or_for_a_counter_on_the_stacks_own_resources() -> None:
    create_tags = [s for s in ALLOWS if "ec2:CreateTags" in s.actions]
    assert create_tags
    for statement in create_tags:
        if statement.condition_keys.get("aws:TagKeys") == COUNTER_TAG_KEYS:
            assert "ForAllValues:StringEquals" in statement.body["Condition"], statement.label
            assert _scoped_to_stack(statement), statement.label
            continue
        if "aws:ResourceTag/Name" in statement.condition_keys:  # tagging again what lost its p2p tags by hand
            assert statement.condition_keys["aws:ResourceTag/Name"] == AGENTS_NAME, statement.label
            assert statement.condition_keys.get("aws:RequestTag/p2p:stack") == STACK_NAME, statement.label
            continue
        actions = statement.condition_keys.get("ec2:CreateAction")
        assert actions, statement.label
        assert all(a.startswith(("Create", "Run")) for a in actions), statement.label


def _granted(resource: str) -> dict[str, list[Any]]:
    """Action -> the Resource of each Allow statement of `resource` that grants it (logs delivery left out)."""
    granted: dict[str, list[Any]] = {}
    for statement in ALLOWS:
        if statement.resource == resource:
            for action in statement.actions:
                if not action.startswith("logs:"):
                    granted.setdefault(action, []).append(statement.body.get("Resource"))
    return granted


def test_the_scheduled_check_invokes_plan_and_finalize_and_starts_only_the_reconcile_workflow() -> None:
    granted = _granted("ScheduledCheckStateMachine")
    assert set(granted) == {"lambda:InvokeFunction", "states:StartExecution", "dynamodb:UpdateItem"}
    # a drift event names its region in status#verified, and no other item
    coalesce = next(
        s for s in ALLOWS if s.resource == "ScheduledCheckStateMachine" and "dynamodb:UpdateItem" in s.actions
    )
    assert coalesce.body["Resource"] == {"Fn::GetAtt": ["ConfigTable", "Arn"]}
    assert coalesce.body["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["status#verified"]}}
    assert granted["states:StartExecution"] == [{"Ref": "ReconcileStateMachine"}]
    invoked = [str(resource) for resource in granted["lambda:InvokeFunction"]]
    assert len(invoked) == 2 and all("${functionName}" in arn for arn in invoked)  # SAM's LambdaInvokePolicy
    policies = RESOURCES["ScheduledCheckStateMachine"]["Properties"]["Policies"]
    assert [p["LambdaInvokePolicy"] for p in policies if "LambdaInvokePolicy" in p] == [
        {"FunctionName": {"Ref": "PlanFunction"}},
        {"FunctionName": {"Ref": "FinalizeFunction"}},
    ]


def test_the_schedule_may_start_only_the_scheduled_check_and_the_pipe_only_the_reconcile_workflow() -> None:
    schedule = _granted("SchedulerRole")
    assert set(schedule) == {"states:StartExecution"}
    assert len(schedule["states:StartExecution"]) == 1 and "-check" in str(schedule["states:StartExecution"])
    assert RESOURCES["ReconcileSchedule"]["Properties"]["Target"]["Arn"] == {"Ref": "ScheduledCheckStateMachine"}
    pipe = _granted("ConfigPipeRole")
    assert pipe["states:StartExecution"] == [{"Ref": "ReconcileStateMachine"}]
    assert RESOURCES["ConfigEditPipe"]["Properties"]["Target"] == {"Ref": "ReconcileStateMachine"}


def test_only_the_schedule_the_pipe_the_scheduled_check_and_the_runs_recorders_start_executions() -> None:
    starters = {s.resource for s in ALLOWS if "states:StartExecution" in s.actions}
    assert starters == {
        "SchedulerRole",
        "ConfigPipeRole",
        "ScheduledCheckStateMachine",
        "PlanFunction",
        "FinalizeFunction",
        "DriftStartRole",
    }
    drift = _granted("DriftStartRole")
    assert drift == {"states:StartExecution": [{"Ref": "ScheduledCheckStateMachine"}]}  # the check, nothing else
    assert RESOURCES["DriftRule"]["Properties"]["Targets"][0]["Arn"] == {"Ref": "ScheduledCheckStateMachine"}
    # Plan (the check's, recording a run with nothing to do) and Finalize start a run after an edit during theirs:
    # the same statement, the reconcile workflow by name (a !Ref would be a cycle: it references both functions)
    follow_ups = [
        s for s in ALLOWS if s.resource in ("PlanFunction", "FinalizeFunction") and "states:" in str(s.actions)
    ]
    assert [s.resource for s in follow_ups] == ["PlanFunction", "FinalizeFunction"]
    assert all(s.body == follow_ups[0].body for s in follow_ups)
    assert follow_ups[0].body["Sid"] == "FollowUpRunAfterAnEditDuringThisRun"
    assert follow_ups[0].body["Action"] == "states:StartExecution"
    assert str(follow_ups[0].body["Resource"]).count(":stateMachine:p2p-${StackIdPart}-reconcile") == 1


def test_pass_role_names_its_role_and_its_service() -> None:
    for statement in (s for s in ALLOWS if "iam:PassRole" in s.actions):
        assert statement.body["Resource"] != "*", statement.label
        assert "iam:PassedToService" in statement.condition_keys, statement.label


def test_only_reviewed_aws_managed_policies_are_attached() -> None:
    for name, resource in RESOURCES.items():
        for arn in resource.get("Properties", {}).get("ManagedPolicyArns", []):
            text = arn["Fn::Sub"] if isinstance(arn, dict) else arn
            assert text.rsplit("/", 1)[-1] in AWS_MANAGED_POLICIES, f"{name}: {arn}"


# ---------------------------------------------------------------- data at rest and in transit


def _resources_of(kind: str) -> dict[str, dict[str, Any]]:
    found = {name: r.get("Properties", {}) for name, r in RESOURCES.items() if r["Type"] == kind}
    assert found, f"no {kind} in the template"
    return found


def test_buckets_block_public_access_and_are_encrypted() -> None:
    for name, props in _resources_of("AWS::S3::Bucket").items():
        block = props["PublicAccessBlockConfiguration"]
        flags = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
        assert all(block.get(flag) is True for flag in flags), name
        rules = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rules and all(r["ServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules), name


def test_buckets_refuse_requests_without_tls() -> None:
    policies = _resources_of("AWS::S3::BucketPolicy")
    for name in _resources_of("AWS::S3::Bucket"):
        statements = [
            s
            for props in policies.values()
            if props["Bucket"] == {"Ref": name}
            for s in props["PolicyDocument"]["Statement"]
        ]
        assert any(
            s["Effect"] == "Deny"
            and s.get("Principal") == "*"
            and str(s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")).lower() == "false"
            for s in statements
        ), f"{name} has no Deny on aws:SecureTransport=false"


def test_the_config_table_is_recoverable_encrypted_and_streams_new_images() -> None:
    for name, props in _resources_of("AWS::DynamoDB::Table").items():
        if name == "RadarTable":  # last-seen records, rewritten by the agents within 90 minutes: below
            continue
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, name
        assert props["DeletionProtectionEnabled"] is True, name
        assert props["SSESpecification"]["SSEEnabled"] is True, name
        assert props["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE", name


def test_the_radar_table_is_encrypted_and_its_records_expire() -> None:
    props = _resources_of("AWS::DynamoDB::Table")["RadarTable"]
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}
    assert "StreamSpecification" not in props  # a report never starts a run


def test_sam_policy_templates_come_from_the_installed_translator() -> None:
    # the expansion above is only as good as this data; fail loudly if SAM moves it
    assert Path(samtranslator.__file__).parent.joinpath("policy_templates_data", "policy_templates.json").exists()
    assert "DynamoDBCrudPolicy" in SAM_POLICY_TEMPLATES


# ---------------------------------------------------------------- the optional trail (CreateTrail=true)

TRAIL_RESOURCES = ("DriftTrailBucket", "DriftTrailBucketPolicy", "DriftTrail")


def test_the_trail_and_its_bucket_exist_only_with_create_trail_true() -> None:
    assert TEMPLATE["Parameters"]["CreateTrail"]["Default"] == "false"
    assert TEMPLATE["Conditions"]["CreateDriftTrail"] == {"Fn::Equals": [{"Ref": "CreateTrail"}, "true"]}
    assert {RESOURCES[name]["Condition"] for name in TRAIL_RESOURCES} == {"CreateDriftTrail"}


def test_the_trail_records_write_management_events_of_every_region_and_no_data_events() -> None:
    trail = _resources_of("AWS::CloudTrail::Trail")["DriftTrail"]
    assert trail["IsLogging"] is True and trail["IsMultiRegionTrail"] is True
    assert trail["IncludeGlobalServiceEvents"] is True  # CloudTrail refuses a multi-region trail without them
    assert trail["EventSelectors"] == [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]
    assert "AdvancedEventSelectors" not in trail and "InsightSelectors" not in trail
    assert trail["S3BucketName"] == {"Ref": "DriftTrailBucket"}
    assert RESOURCES["DriftTrail"]["DependsOn"] == "DriftTrailBucketPolicy"  # CloudTrail checks it on create


def test_the_trails_files_expire_after_a_day_old_versions_too() -> None:
    bucket = _resources_of("AWS::S3::Bucket")["DriftTrailBucket"]
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] == 1
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


def test_only_this_stacks_trail_may_check_and_write_the_trail_bucket() -> None:
    policy = _resources_of("AWS::S3::BucketPolicy")["DriftTrailBucketPolicy"]
    assert policy["Bucket"] == {"Ref": "DriftTrailBucket"}
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    trail_name = _resources_of("AWS::CloudTrail::Trail")["DriftTrail"]["TrailName"]
    name_text, name_values = trail_name["Fn::Sub"]
    for sid, action in (("CloudTrailAclCheck", "s3:GetBucketAcl"), ("CloudTrailWrite", "s3:PutObject")):
        grant = statements[sid]
        assert grant["Effect"] == "Allow" and grant["Action"] == action
        assert grant["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        source_text, source_values = grant["Condition"]["StringEquals"]["aws:SourceArn"]["Fn::Sub"]
        # the trail's own ARN, built from the same name (a !Ref to the trail would be a dependency cycle)
        prefix = "arn:${AWS::Partition}:cloudtrail:${AWS::Region}:${AWS::AccountId}:trail/"
        assert source_text == prefix + name_text and source_values == name_values
    assert statements["CloudTrailAclCheck"]["Resource"] == {"Fn::GetAtt": ["DriftTrailBucket", "Arn"]}
    write = statements["CloudTrailWrite"]
    assert write["Resource"] == {"Fn::Sub": "${DriftTrailBucket.Arn}/AWSLogs/${AWS::AccountId}/*"}
    assert write["Condition"]["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"
    allows = [s for s in statements.values() if s["Effect"] == "Allow"]
    assert {s["Sid"] for s in allows} == {"CloudTrailAclCheck", "CloudTrailWrite"}  # nobody else is granted
