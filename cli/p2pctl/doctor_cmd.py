"""`p2pctl doctor`: can a deployment work? Account, stack, each selected region and the control plane.

Every check prints ✓ / ⚠ / ✗; a ✗ comes with the exact fix (an aws CLI command, the Service Quotas
request, or a p2pctl command). Exit 0 only when nothing is ✗. Before `sam deploy` the stack is a ⚠
and the stored config's place is taken by `--file` or the defaults.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Annotated, Any

import typer
from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError

from p2p_core.config import ConfigItem
from p2p_core.config.schedule_expression import normalize_schedule
from p2pctl.context import CliContext, cli_context
from p2pctl.doctor_checks import SYMBOLS, Check, lambda_concurrency_check, region_checks, service_linked_role
from p2pctl.doctor_trail import drift_events_check
from p2pctl.errors import CREDENTIALS_FIX
from p2pctl.output import console, print_json
from p2pctl.preflight import load_config, why
from p2pctl.reach import repository_reach
from p2pctl.regions_cmd import read_with_progress

DEPLOY_FIX = "sam deploy --guided (then p2pctl doctor again)"


def doctor(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Option("--file", help="a config file instead of the stored item")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the checks as JSON")] = False,
) -> None:
    """Check that a deployment can work: account, stack, selected regions, control plane (✓ / ⚠ / ✗ with fixes)."""
    cli = cli_context(ctx)
    found = [_credentials(cli)]
    if found[0].mark == "ok":
        source = load_config(cli, file)
        stack = cli.stack_name if source.stack_found else None
        found.append(_stack(cli, source.stack_found))
        found.append(service_linked_role(cli.clients, cli.home_region, _reconciler_can_create(cli, stack)))
        facts = read_with_progress(cli.fleet_clients, source.config, cli.home_region, stack, quiet=as_json)
        usable = sum(1 for row in facts.regions if row.selected and row.enabled)
        found.append(lambda_concurrency_check(cli.clients, cli.home_region, usable))
        watched = [row.region for row in facts.regions if row.selected and row.enabled]
        found.append(drift_events_check(cli.clients, cli.home_region, watched))
        found += region_checks(cli.fleet_clients, source.config, facts, stack)
        reach = repository_reach(source.config)  # only when agents have no public IPv4
        found += [reach] if reach is not None else []
        if stack is not None:
            found += control_plane_checks(cli, source.config)
    failed = [c for c in found if c.mark == "fail"]
    if as_json:
        print_json({"ok": not failed, "checks": [c.as_dict() for c in found]})
    else:
        _print(found)
    if failed:
        raise typer.Exit(1)


def _print(found: list[Check]) -> None:
    group = None
    for check in found:
        if check.group != group:
            group = check.group
            console.print(group, style="bold", highlight=False, markup=False)
        console.print(f"  {SYMBOLS[check.mark]} {check.name}: {check.detail}", highlight=False, markup=False)
        if check.fix:
            console.print(f"      fix: {check.fix}", highlight=False, markup=False)
    counts = {mark: sum(c.mark == mark for c in found) for mark in SYMBOLS}
    console.print(f"{counts['ok']} ✓, {counts['warn']} ⚠, {counts['fail']} ✗", highlight=False, markup=False)


def _credentials(cli: CliContext) -> Check:
    try:
        identity = cli.client("sts").get_caller_identity()
    except (EndpointConnectionError, ConnectTimeoutError) as exc:  # nothing answers: no credentials would help
        where = cli.endpoint_url or getattr(exc, "kwargs", {}).get("endpoint_url", "the AWS endpoint")
        fix = "is p2pctl local (or your network) up? check --endpoint-url / AWS_ENDPOINT_URL"
        return Check("account", "endpoint", "fail", f"cannot reach the endpoint {where}", fix)
    except (ClientError, BotoCoreError) as exc:
        return Check("account", "credentials", "fail", why(exc), CREDENTIALS_FIX)
    return Check("account", "credentials", "ok", f"account {identity['Account']} as {identity['Arn']}")


def _stack(cli: CliContext, found: bool) -> Check:
    if not found:
        detail = f"stack {cli.stack_name!r} not found in {cli.region}: checking the config as it would be deployed"
        return Check("account", "stack", "warn", detail, DEPLOY_FIX)
    outputs = cli.outputs()
    return Check("account", "stack", "ok", f"{cli.stack_name} in {cli.region}: {len(outputs)} outputs")


def _reconciler_can_create(cli: CliContext, stack: str | None) -> bool | None:
    """Whether the workflow's reconciler role may create the Auto Scaling service-linked role."""
    if stack is None:
        return None
    try:
        found = cli.client("cloudformation").describe_stack_resource(
            StackName=stack, LogicalResourceId="ReconcileRegionFunction"
        )
        name = found["StackResourceDetail"]["PhysicalResourceId"]
        role = cli.client("lambda").get_function_configuration(FunctionName=name)["Role"]
        return _role_allows(cli, role.rsplit("/", 1)[-1], "iam:CreateServiceLinkedRole")
    except (ClientError, BotoCoreError):
        return None


def _role_allows(cli: CliContext, role: str, action: str) -> bool:
    iam = cli.client("iam")
    documents: list[Any] = []
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        documents.append(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
    for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"])
        documents.append(version["PolicyVersion"]["Document"])
    return action in urllib.parse.unquote(json.dumps(documents))  # IAM may answer URL-encoded documents


# ------------------------------------------------------------------------------------------------ control plane


def control_plane_checks(cli: CliContext, config: ConfigItem) -> list[Check]:
    """The schedule, the Pipe, the control center and the last run."""
    return [_schedule(cli, config), _pipe(cli), _last_run(cli), *_control_center(cli, config)]


def _schedule(cli: CliContext, config: ConfigItem) -> Check:
    name = cli.output("ScheduleName")
    try:
        found = cli.client("scheduler").get_schedule(Name=name)
    except (ClientError, BotoCoreError) as exc:
        return Check("control plane", "schedule", "fail", f"{name}: {why(exc)}", DEPLOY_FIX)
    wanted, actual = normalize_schedule(config.schedule_expression), found["ScheduleExpression"]
    if found.get("State") != "ENABLED":
        fix = f"aws scheduler get-schedule --name {name}, then update-schedule with the same fields and --state ENABLED"
        return Check("control plane", "schedule", "fail", f"{name} is {found.get('State')}", fix)
    if actual != wanted:
        detail = f"{name} runs {actual}, the config says {wanted}"
        return Check(
            "control plane", "schedule", "warn", detail, "p2pctl run --wait (UpdateSchedule follows the config)"
        )
    return Check("control plane", "schedule", "ok", f"{name}: enabled, {actual}")


def _pipe(cli: CliContext) -> Check:
    name = cli.output("ConfigEditPipeName")
    try:
        state = cli.client("pipes").describe_pipe(Name=name).get("CurrentState")
    except (ClientError, BotoCoreError) as exc:
        return Check("control plane", "config-edit Pipe", "fail", f"{name}: {why(exc)}", DEPLOY_FIX)
    if state != "RUNNING":
        fix = f"aws pipes start-pipe --name {name}"
        return Check("control plane", "config-edit Pipe", "fail", f"{name} is {state}: edits start no run", fix)
    return Check("control plane", "config-edit Pipe", "ok", f"{name}: RUNNING")


def _control_center(cli: CliContext, config: ConfigItem) -> list[Check]:
    url = cli.output("ControlCenterUrl")
    served, headers = _head(url)
    if not config.control_center.enabled:  # switched off on purpose: the secret path answers 404 like any other
        on_path = Check("control center", "secret path", "ok", "skipped: control_center.enabled is false")
    elif served == 200 and any(h.startswith("cc-") for h in headers):
        count = sum(h.startswith("cc-") for h in headers)
        on_path = Check("control center", "secret path", "ok", f"200 with {count} cc- headers")
    else:
        fix = "p2pctl run --wait (publishes the control center from the config); 'p2pctl headers' says more"
        on_path = Check("control center", "secret path", "fail", f"{url} answered {served}, no cc- headers", fix)
    elsewhere = url.rstrip("/").rsplit("/", 1)[0] + "/not-the-secret-path"
    status, _ = _head(elsewhere)
    off_path = (
        Check("control center", "other paths", "ok", "404")
        if status == 404
        else Check("control center", "other paths", "fail", f"{elsewhere} answered {status}", "p2pctl run --wait")
    )
    return [on_path, off_path]


def _head(url: str) -> tuple[int | str, list[str]]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10) as response:
            return int(response.status), [k.lower() for k in response.headers]
    except urllib.error.HTTPError as exc:
        return exc.code, []
    except (urllib.error.URLError, OSError) as exc:
        return f"nothing ({exc})", []


def _last_run(cli: CliContext) -> Check:
    from p2p_core.storage.status import StatusStore

    last = StatusStore(cli.client("dynamodb"), cli.config_table()).load().latest  # a run or a quiet check
    if last is None:
        return Check("control plane", "last run", "warn", "no run recorded yet", "p2pctl run --wait")
    detail = f"{last.execution} ({last.source}) {last.status} at {last.finished_at}"
    if last.status == "failed":
        return Check("control plane", "last run", "fail", detail + "; " + "; ".join(last.errors[:2]), "p2pctl status")
    if last.status == "degraded":
        return Check("control plane", "last run", "warn", detail, "p2pctl status")
    return Check("control plane", "last run", "ok", detail)


def register(cli: typer.Typer) -> None:
    """Add `doctor` to the root command."""
    cli.command()(doctor)
