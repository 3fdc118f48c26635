"""Deploy the real template.yaml into the emulator: the harness `p2pctl local`, the demo and the tests share.

moto's CloudFormation creates what it supports (DynamoDB, Lambda, IAM, the state machine, ...).
The harness then does what moto's CloudFormation skips, from the same template values:
`DefinitionSubstitutions`, the Scheduler schedule, the Pipe (kept as a spec the local runtime
follows) and the CloudFront Function (created and published through the CloudFront API).
"""

from __future__ import annotations

import copy
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform

from p2p_core.aws.clients import ClientFactory
from p2p_core.models.deployment import Deployment
from p2p_core.names import fit_name
from p2p_emulator import iam, shims, stack_roles
from p2p_emulator.stack_roles import first as _first
from p2p_emulator.supplied import ACCOUNT_ID, Attributes, Supplied, supplied_by_harness
from p2p_emulator.template import Resolver, check_rules, load_template, replace_resources, without_absent
from p2p_emulator.trail import create_trails

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
BUCKET_NAME_LIMIT = 63


@dataclass(frozen=True)
class PipeSpec:
    """The config-edit Pipe as the template declares it; the local runtime plays its part."""

    name: str
    source_stream_arn: str
    filter_patterns: list[dict[str, Any]]
    target_arn: str
    input_template: str
    role_arn: str = ""  # the role the Pipe reads the stream and starts the target with


@dataclass
class EmulatedStack:
    """What a deployment into the emulator produced."""

    stack_name: str
    region: str
    endpoint_url: str | None
    outputs: dict[str, str]
    state_machine_arn: str  # the reconcile workflow (Standard)
    scheduled_check_arn: str | None  # the Express workflow the schedule starts ("Scheduled runs")
    config_table: str
    schedule_name: str
    schedule_group: str
    control_center_function: str
    control_center_path: str
    pipe: PipeSpec
    functions: dict[str, shims.HandlerTarget] = field(default_factory=dict)
    principals: dict[str, iam.Principal] = field(default_factory=dict)  # by function logical id, when enforced


class _NoManagedPolicies:
    """samtranslator asks IAM for AWS managed policy ARNs only for policies given by name; we give ARNs."""

    def load(self) -> dict[str, str]:
        return {}


def deploy_stack(
    clients: ClientFactory,
    *,
    stack_name: str,
    region: str,
    endpoint_url: str | None = None,
    control_center_bases: list[str] | None = None,
    parameters: dict[str, str] | None = None,
    template_path: Path = TEMPLATE,
    enforce_iam: bool = True,
    radar_url: str = "",
) -> EmulatedStack:
    """Transform template.yaml with samtranslator, create it in moto, and fill in what moto skips.

    With `enforce_iam` every AWS call a handler makes is authorized against its role (emulator/iam).
    """
    shims.install()
    template = load_template(template_path)
    params = {name: str(p.get("Default", "")) for name, p in template.get("Parameters", {}).items()}
    params.update(parameters or {})
    check_rules(template, {**params, "AWS::Region": region, "AWS::StackName": stack_name})  # as CloudFormation does
    prepared, code_dirs = _package(clients, template, template_path.parent, stack_name, region)
    transformed = transform(prepared, params, _NoManagedPolicies())
    transformed = without_absent(transformed, {**params, "AWS::Region": region, "AWS::StackName": stack_name})
    transformed.pop("Rules", None)  # checked above; moto's CloudFormation does not evaluate them
    supplied = {k for k, r in transformed["Resources"].items() if supplied_by_harness(r["Type"])}
    supplier = Supplied(transformed, region)
    for_moto = replace_resources(transformed, supplied, supplier)
    cfn = clients.client("cloudformation", region)
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(for_moto),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    }
    kinds_of = {logical: r["Type"] for logical, r in transformed["Resources"].items()}
    attributes = Attributes(clients, region, physical, kinds_of)
    known = {
        **params,
        **physical,
        "AWS::StackName": stack_name,
        "AWS::Region": region,
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::Partition": "aws",
        "AWS::StackId": stack["StackId"],
        "AWS::URLSuffix": "amazonaws.com",
    }
    # what the harness supplies is named from the stack's id, known only now that the stack exists
    resolve_known = Resolver(known, attributes)
    names = {**known, **{logical: str(resolve_known(supplier(logical, None))) for logical in supplied}}
    resolve = Resolver(names, attributes)
    resources: dict[str, Any] = transformed["Resources"]
    machines = {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::StepFunctions::StateMachine"}
    for props in machines.values():
        _create_state_machine(clients, region, props, resolve)
    kinds = {props.get("StateMachineType", "STANDARD"): names[logical] for logical, props in machines.items()}
    machine_arn = kinds["STANDARD"]
    _create_schedule(clients, region, _first(template, "AWS::Scheduler::Schedule"), resolve)
    for logical, resource in resources.items():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            props = resolve(resource["Properties"])
            clients.client("cloudwatch", region).put_metric_alarm(AlarmName=names[logical], **props)
    cc_props = _first(template, "AWS::CloudFront::Function")
    _create_cloudfront_function(clients, cc_props, resolve)
    pipe_props = _first(template, "AWS::Pipes::Pipe")
    pipe_filters = pipe_props["SourceParameters"]["FilterCriteria"]["Filters"]
    _create_pipe(clients, region, pipe_props, resolve)
    create_trails(clients, region, resources, resolve)  # CreateTrail=true
    outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])}
    emulated = EmulatedStack(
        stack_name=stack_name,
        region=region,
        endpoint_url=endpoint_url,
        outputs=outputs,
        state_machine_arn=machine_arn,
        scheduled_check_arn=names.get("ScheduledCheckStateMachine"),
        config_table=physical["ConfigTable"],
        schedule_name=resolve(_first(template, "AWS::Scheduler::Schedule")["Name"]),
        schedule_group="default",
        control_center_function=resolve(cc_props["Name"]),
        control_center_path=resolve(
            template["Globals"]["Function"]["Environment"]["Variables"]["P2P_CONTROL_CENTER_PATH"]
        ),
        pipe=PipeSpec(
            name=resolve(pipe_props["Name"]),
            source_stream_arn=resolve(pipe_props["Source"]),
            filter_patterns=[json.loads(f["Pattern"]) for f in pipe_filters],
            target_arn=resolve(pipe_props["Target"]),
            input_template=pipe_props["TargetParameters"]["InputTemplate"],
            role_arn=resolve(pipe_props["RoleArn"]),
        ),
    )
    urls = [base.rstrip("/") + emulated.control_center_path for base in control_center_bases or []]
    _register_handlers(clients, emulated, code_dirs, physical, urls, radar_url)
    if enforce_iam:
        function_names = {logical: target.function_arn.split(":")[-1] for logical, target in emulated.functions.items()}
        machine_names = {logical: names[logical] for logical in machines}
        emulated.principals = stack_roles.enforce_roles(for_moto, transformed, resolve, function_names, machine_names)
    return emulated


def _package(
    clients: ClientFactory, template: dict[str, Any], root: Path, stack_name: str, region: str
) -> tuple[dict[str, Any], dict[str, Path]]:
    """Upload every CodeUri/ContentUri as a zip to the emulator's S3 and inline the ASL (as `sam package` would)."""
    s3 = clients.client("s3", region)
    bucket = fit_name(f"{stack_name.lower()}-artifacts", BUCKET_NAME_LIMIT)
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **location)
    prepared = copy.deepcopy(template)
    code_dirs: dict[str, Path] = {}
    for logical, resource in prepared["Resources"].items():
        props = resource.get("Properties", {})
        kind = resource["Type"]
        key = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}.get(kind)
        if key:
            source = (root / props[key]).resolve()
            if kind == "AWS::Serverless::Function":
                code_dirs[logical] = source
            s3.put_object(Bucket=bucket, Key=f"{logical}.zip", Body=_zip_sources(source))
            props[key] = f"s3://{bucket}/{logical}.zip"
        elif kind == "AWS::Serverless::StateMachine" and "DefinitionUri" in props:
            props["Definition"] = json.loads((root / props.pop("DefinitionUri")).read_text())
    return prepared, code_dirs


def _zip_sources(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*.py")):
            if "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def _create_state_machine(clients: ClientFactory, region: str, props: dict[str, Any], resolve: Resolver) -> None:
    """Create the state machine with its DefinitionSubstitutions applied, as Step Functions' CloudFormation does."""
    body = props.get("Definition")
    definition = json.dumps(body) if body is not None else str(resolve(props["DefinitionString"]))
    for key, value in props.get("DefinitionSubstitutions", {}).items():
        definition = definition.replace("${" + key + "}", str(resolve(value)))
    clients.client("stepfunctions", region).create_state_machine(
        name=resolve(props["StateMachineName"]),
        definition=definition,
        roleArn=resolve(props["RoleArn"]),
        type=props.get("StateMachineType", "STANDARD"),
    )


def _create_schedule(clients: ClientFactory, region: str, props: dict[str, Any], resolve: Resolver) -> None:
    target = resolve(props["Target"])
    clients.client("scheduler", region).create_schedule(
        Name=resolve(props["Name"]),
        ScheduleExpression=resolve(props["ScheduleExpression"]),
        FlexibleTimeWindow=props["FlexibleTimeWindow"],
        State=props.get("State", "ENABLED"),
        Description=props.get("Description", ""),
        Target={"Arn": target["Arn"], "RoleArn": target["RoleArn"], "Input": target.get("Input", "{}")},
    )


def _create_pipe(clients: ClientFactory, region: str, props: dict[str, Any], resolve: Resolver) -> None:
    """The Pipe as EventBridge Pipes lists it (RUNNING); the local runtime plays its part (it follows the stream)."""
    pipes = clients.client("pipes", region)
    name = resolve(props["Name"])
    pipes.create_pipe(
        Name=name,
        Description=props.get("Description", ""),
        RoleArn=resolve(props["RoleArn"]),
        Source=resolve(props["Source"]),
        SourceParameters=props["SourceParameters"],
        Target=resolve(props["Target"]),
        TargetParameters=props["TargetParameters"],
    )
    pipes.describe_pipe(Name=name)  # moto's pipe is CREATING until first described, then RUNNING


def _create_cloudfront_function(clients: ClientFactory, props: dict[str, Any], resolve: Resolver) -> None:
    cloudfront = clients.client("cloudfront", "us-east-1")
    created = cloudfront.create_function(
        Name=resolve(props["Name"]), FunctionConfig=props["FunctionConfig"], FunctionCode=props["FunctionCode"].encode()
    )
    if props.get("AutoPublish"):
        cloudfront.publish_function(Name=resolve(props["Name"]), IfMatch=created["ETag"])


def _register_handlers(
    clients: ClientFactory,
    stack: EmulatedStack,
    code_dirs: dict[str, Path],
    physical: dict[str, str],
    control_center_urls: list[str],
    radar_url: str = "",
) -> None:
    """Point each deployed function at its handler, with the settings the template gave it."""
    lam = clients.client("lambda", stack.region)
    for logical, code_dir in code_dirs.items():
        conf = lam.get_function(FunctionName=physical[logical])["Configuration"]
        env = {k: str(v) for k, v in conf.get("Environment", {}).get("Variables", {}).items()}
        # what only the emulator knows: its endpoint and where its control center really listens
        env.update({"AWS_REGION": stack.region, "AWS_ENDPOINT_URL": stack.endpoint_url or ""})
        env["AWS_LAMBDA_FUNCTION_NAME"] = conf["FunctionName"]  # Lambda sets it: one client factory per function
        env.update(
            {
                "P2P_CONTROL_CENTER_URLS": ",".join(control_center_urls),  # the custom domain's stand-in included
                "P2P_CONTROL_CENTER_DOMAIN": "",
                "P2P_CONTROL_CENTER_PATH": stack.control_center_path,
                "P2P_CONTROL_CENTER_FUNCTION": stack.control_center_function,
                "P2P_SCHEDULE_NAME": stack.schedule_name,
            }
        )
        if "P2P_RADAR_URL" in env:  # moto has no function URLs: where the local radar really listens, or none
            env["P2P_RADAR_URL"] = radar_url
        target = shims.HandlerTarget(
            logical_id=logical,
            code_dir=code_dir,
            handler=conf["Handler"],
            deployment=Deployment.from_env(env),
            function_arn=conf["FunctionArn"],
            environment=env,
        )
        shims.register_function(conf["FunctionName"], target)
        # the function's configuration says what the handler really runs with (the CLI reads it)
        settings = {k: v for k, v in env.items() if not k.startswith("AWS_")}
        lam.update_function_configuration(FunctionName=conf["FunctionName"], Environment={"Variables": settings})
        stack.functions[logical] = target
