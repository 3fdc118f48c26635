"""Every reach into moto's internals lives here, so a moto upgrade touches one small module.

1. Lambda: moto's "simple" Lambda backend answers every invoke with a canned string. We route an
   invoke of a function deployed from template.yaml to its real handler (`CodeUri` + `Handler`),
   in-process, with that function's settings; an exception becomes a Lambda function error, which is
   what Step Functions' Retry/Catch see in AWS.
2. CloudFront Functions (`cloudfront`): moto stores a function but has no UpdateFunction / PublishFunction
   and only one stage. We add both operations and a LIVE stage, with ETag checks, so the workflow's
   publish path runs unchanged against the emulator. EC2 images, their public SSM parameters and the
   instance type offerings of newer regions: `images`.
3. AWS behaviours moto lacks, modelled at moto's side so every client sees the same AWS (the modules
   of this package, each with its switch): eventual consistency after creates (`consistency`),
   launches failing after the group accepted capacity and scaling activities (`launches`), regions
   not enabled in the account (`regions`), EC2's vCPU quota and the account's ListRegions (`quotas`),
   Local Zones (`zones`), ClientToken idempotency (`idempotency`), blackhole routes and subnets in
   use (`network`), IPv6 blocks released or assigned in an order AWS refuses (`ipv6`),
   DynamoDB's atomic conditional writes (`wire.atomic`), Auto Scaling instance
   refreshes and each instance's launch template version (`refresh`), Step Functions' validation of a
   definition (`asl`), the account's Lambda concurrency and GetAccountSettings (`lambda_concurrency`).
   `wire` is the one hook on moto's request dispatch they share. For speed, not behaviour: one generated
   key pair per KMS key spec (`keys`), one botocore loader per process (`models`).
4. Step Functions: the `states:startExecution` integration the scheduled check (Express) uses, which moto
   passes to boto3 with the ASL's casing (`express`); a refused Lambda invoke named `Lambda.<code>`
   in the Task's failure, as the Retry blocks expect (`task_errors`); the 256 KiB payload quota at
   AWS's boundary, `States.DataLimitExceeded` terminal, StartExecution's input limit (`payload`); each
   Lambda task's invoke authorized against its state machine's role (`task_roles`).
5. EventBridge: the events AWS services put on a region's default bus — CloudTrail's for recorded write calls
   (`cloudtrail`), Auto Scaling's launch failures and EC2's Spot warnings (`aws_events`, with the switch
   `set_aws_events`), CloudWatch alarm state changes (`alarm_events`) — delivered to SNS, state machine and
   other regions' bus targets as AWS does (`event_targets`), matched by type (`event_patterns`).
   `reset_behaviours()` gives the default account: eventual consistency on (1 failing use), the
   us-east-1 Local Zone, every region enabled, a new account's vCPU quota, launches succeeding,
   refreshes done at the first look, the wall clock. `clock`: the account's time, which tests move forward.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
import os
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.common_types import TYPE_RESPONSE  # noqa: F401 - documents the shape moto expects

from p2p_core.models.deployment import Deployment
from p2p_emulator import handler_clients
from p2p_emulator.models import share_loader
from p2p_emulator.shims import (
    alarm_events,
    asl,
    aws_events,
    clock,
    cloudfront,
    cloudtrail,
    consistency,
    event_patterns,
    event_targets,
    express,
    idempotency,
    ipv6,
    keys,
    lambda_concurrency,
    launches,
    mixed,
    network,
    payload,
    quotas,
    refresh,
    regions,
    stream_records,
    task_errors,
    task_roles,
    wire,
    zones,
)
from p2p_emulator.shims.aws_events import aws_events_emitted as aws_events_emitted
from p2p_emulator.shims.aws_events import rebalance_recommendation as rebalance_recommendation
from p2p_emulator.shims.aws_events import set_aws_events as set_aws_events
from p2p_emulator.shims.aws_events import spot_interruption_warning as spot_interruption_warning
from p2p_emulator.shims.clock import advance_clock as advance_clock
from p2p_emulator.shims.clock import advance_clock_to as advance_clock_to
from p2p_emulator.shims.cloudtrail import write_events_recorded as write_events_recorded
from p2p_emulator.shims.consistency import eventual_consistency as eventual_consistency
from p2p_emulator.shims.images import UBUNTU_IMAGES as UBUNTU_IMAGES
from p2p_emulator.shims.images import complete_instance_type_offerings as complete_instance_type_offerings
from p2p_emulator.shims.images import seed_public_parameters as seed_public_parameters
from p2p_emulator.shims.images import use_small_image_catalogue as use_small_image_catalogue
from p2p_emulator.shims.lambda_concurrency import set_lambda_concurrency as set_lambda_concurrency
from p2p_emulator.shims.launches import LAUNCH_FAILURES as LAUNCH_FAILURES
from p2p_emulator.shims.launches import clear_launch_failures as clear_launch_failures
from p2p_emulator.shims.launches import fail_launches as fail_launches
from p2p_emulator.shims.quotas import quotas_applied as quotas_applied
from p2p_emulator.shims.quotas import reset_quotas as reset_quotas
from p2p_emulator.shims.quotas import set_quota as set_quota
from p2p_emulator.shims.refresh import advance_refreshes as advance_refreshes
from p2p_emulator.shims.refresh import refresh_pace as refresh_pace
from p2p_emulator.shims.regions import disable_regions as disable_regions
from p2p_emulator.shims.regions import disabled_regions as disabled_regions
from p2p_emulator.shims.zones import add_local_zone as add_local_zone

# A fault hook sees (function logical id, event) and returns an exception to raise instead of running.
FaultHook = Callable[[str, dict[str, Any]], Exception | None]


@dataclass(frozen=True)
class HandlerTarget:
    """Where a deployed function's code lives and the settings it runs with."""

    logical_id: str
    code_dir: Path
    handler: str
    deployment: Deployment
    function_arn: str
    environment: dict[str, str] = field(default_factory=dict)


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that Powertools reads."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = ""
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        """Emulated invokes have no deadline; report Lambda's maximum."""
        return 900_000


_targets: dict[str, HandlerTarget] = {}
# idle execution environments per handler file: one loaded module each, used by one invoke at a time
_environments: dict[Path, list[ModuleType]] = {}
_faults: list[FaultHook] = []
_lock = threading.Lock()
_cold_start = threading.Lock()
_installed = False
_original_invoke = LambdaSimpleBackend.invoke


def install() -> None:
    """Patch moto once per process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        share_loader()  # one parse of each service model per process, not per client factory
        handler_clients.install()
        LambdaSimpleBackend.invoke = _invoke  # type: ignore[method-assign]
        clock.install()
        cloudfront.install()
        express.install()
        task_errors.install()
        task_roles.install()
        payload.install()
        event_targets.install()
        event_patterns.install()
        aws_events.install()
        alarm_events.install()
        cloudtrail.install()
        wire.install()
        keys.install()
        stream_records.install()
        wire.atomic("dynamodb", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")
        for behaviour in (
            asl,
            regions,
            lambda_concurrency,
            quotas,
            consistency,
            idempotency,
            launches,
            zones,
            network,
            ipv6,
            refresh,
            mixed,
        ):  # rules run in this order
            behaviour.install()
        _installed = True


def reset_behaviours() -> None:
    """The default emulated account: eventual consistency (1 failing use), all regions enabled, launches ok,
    a new account's on-demand vCPU quota, Lambda's default concurrency (1,000), the wall clock, and no AWS
    service events (`set_aws_events`)."""
    eventual_consistency(consistency.DEFAULT_UNSEEN_USES)
    disable_regions([])
    reset_quotas()
    clear_launch_failures()
    refresh_pace(0)
    idempotency.forget_tokens()
    set_lambda_concurrency(lambda_concurrency.DEFAULT_CONCURRENCY)
    clock.reset_clock()
    set_aws_events(False)  # tests make drift by hand and run by hand: no run started by an event races them


def register_function(name: str, target: HandlerTarget) -> None:
    """Route invokes of `name` (and of its ARN) to `target`'s handler."""
    with _lock:
        _targets[name] = target
        _targets[target.function_arn] = target


def add_fault(hook: FaultHook) -> None:
    """Make matching invokes fail as a Lambda function error (reliability tests)."""
    with _lock:
        _faults.append(hook)


def clear_faults() -> None:
    """Remove every fault hook."""
    with _lock:
        _faults.clear()


def _invoke(
    self: LambdaSimpleBackend, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
) -> str | bytes | None:
    target = _targets.get(function_name) or _targets.get(function_name.split(":function:")[-1].split(":")[0])
    if target is None:
        return _original_invoke(self, function_name, qualifier, body, headers, response_headers)
    event = json.loads(body) if body else {}
    with lambda_concurrency.admitted():  # beyond the account's concurrency: TooManyRequestsException, as Lambda
        return _run_handler(target, function_name, event, response_headers)


def _run_handler(target: HandlerTarget, function_name: str, event: Any, response_headers: Any) -> bytes:
    try:
        for hook in list(_faults):
            fault = hook(target.logical_id, event)
            if fault is not None:
                raise fault
        _process_settings(target)
        handler_clients.adopt(target.deployment)  # its clients get the emulator's hooks (IAM, tests' faults)
        context = LambdaContext(
            function_name=function_name.split(":")[-1],
            invoked_function_arn=target.function_arn,
            aws_request_id=str(uuid.uuid4()),
        )
        with _environment(target) as handler, handler_clients.deployment_scope(target.deployment):
            result = handler(event, context)
        return json.dumps(result).encode()
    except Exception as exc:  # what Lambda does with an unhandled exception
        response_headers["x-amz-function-error"] = "Unhandled"
        error = {
            "errorType": type(exc).__name__,
            "errorMessage": str(exc),
            "stackTrace": traceback.format_tb(exc.__traceback__),
        }
        return json.dumps(error).encode()


def _process_settings(target: HandlerTarget) -> None:
    # In-process handlers share one os.environ: the template gives every function the same
    # POWERTOOLS_* settings (Globals), which Powertools reads when the handler module is imported.
    for key, value in target.environment.items():
        if key.startswith("POWERTOOLS_"):
            os.environ.setdefault(key, value)


@contextmanager
def _environment(target: HandlerTarget) -> Iterator[Callable[[dict[str, Any], LambdaContext], Any]]:
    """A handler from an idle execution environment, or a new one (a cold start), as Lambda does.

    Lambda runs one invoke at a time per environment, so module-level state (Powertools' Metrics,
    cached clients) is never shared by concurrent invokes; in-process, each concurrent invoke gets
    its own copy of the handler module.
    """
    module_name, _, attr = target.handler.rpartition(".")
    path = (target.code_dir / f"{module_name.replace('.', '/')}.py").resolve()
    with _lock:
        idle = _environments.setdefault(path, [])
        module = idle.pop() if idle else None
    if module is None:
        # Powertools configures its shared logger on import: one import at a time; the module's INIT code
        # (functions/plan prepares its clients) sees the function's settings, as on Lambda
        with _cold_start, handler_clients.deployment_scope(target.deployment):
            spec = importlib.util.spec_from_file_location(f"p2p_function_{target.code_dir.name}", path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load handler {target.handler} from {target.code_dir}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            _own_metrics(module)
    try:
        yield getattr(module, attr)
    finally:
        with _lock:
            _environments[path].append(module)


def _own_metrics(module: ModuleType) -> None:
    """Give the environment's Powertools Metrics their own metric sets.

    Powertools shares them between Metrics instances through class attributes, which is right for
    one Lambda process but mixes (and races on) the metrics of concurrent in-process invokes.
    """
    from aws_lambda_powertools import Metrics

    for value in vars(module).values():
        if isinstance(value, Metrics):
            provider = value.provider
            provider.metric_set, provider.metadata_set = {}, {}
            provider.dimension_set = dict(provider.dimension_set)
            value.metric_set, value.metadata_set = provider.metric_set, provider.metadata_set
            value.dimension_set = provider.dimension_set


# ---------------------------------------------------------------- CloudFormation: what moto can create


def cloudformation_supports(resource_type: str) -> bool:
    """True when moto's CloudFormation creates resources of this type."""
    from moto.cloudformation.parsing import get_model_map

    return resource_type in get_model_map()


def set_stack_output(stack_name: str, region: str, key: str, value: str) -> None:
    """Give a stack output the value the emulator really serves (e.g. the local control center URL)."""
    from moto.cloudformation.models import cloudformation_backends

    for stack in cloudformation_backends[ACCOUNT][region].stacks.values():
        if stack.name == stack_name:
            for output in stack.output_map.values():
                if output is not None and output.key == key:  # None: an output whose Condition is false
                    output.value = value


ACCOUNT = "123456789012"


# ---------------------------------------------------------------- IAM: AWS managed policies


def aws_managed_policy(arn: str) -> dict[str, Any] | None:
    """The document of an AWS managed policy (`arn:aws:iam::aws:policy/...`) from moto's copy, or None."""
    prefix = "arn:aws:iam::aws:policy/"
    if not arn.startswith(prefix):
        return None
    found = _aws_managed_policies().get(arn.rsplit("/", 1)[-1])
    if found is None or arn.removeprefix(prefix) != (found["Path"].lstrip("/") + arn.rsplit("/", 1)[-1]):
        return None
    document: dict[str, Any] = copy.deepcopy(found["Document"])  # the caller's own: the parsed catalogue stays
    return document


@functools.cache
def _aws_managed_policies() -> dict[str, Any]:
    """moto's AWS managed policies, parsed once per process (a few MB of JSON; every deploy reads several)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    parsed: dict[str, Any] = json.loads(aws_managed_policies_data)
    return parsed
