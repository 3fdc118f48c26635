"""Operator commands about the fleet: headers agents see, cost, teardown."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated, Any

import typer

from p2p_core.cost.fleet import DEFAULT_EGRESS_GB_PER_DAY
from p2pctl.errors import CliError
from p2pctl.follow import follow_run
from p2pctl.output import console, print_json
from p2pctl.run_cmd import cli_context, now

# ------------------------------------------------------------------------------------------------ headers


def headers(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Option("--url", help="default: the stack's ControlCenterUrl output")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the headers as a JSON object")] = False,
) -> None:
    """The headers an agent sees when it polls the control center (HEAD, as agents do)."""
    cli = cli_context(ctx)
    target = url or cli.output("ControlCenterUrl")
    try:
        found = fetch_headers(target)
    except NotServed as exc:
        raise _why_not_served(cli, exc) from None
    if as_json:
        print_json(found)
        return
    for name, value in found.items():
        console.print(f"{name}: {value}", highlight=False, markup=False)


class NotServed(CliError):
    """The control center answered with an HTTP error status."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"control center {url} answered {status}", "check the URL and the path (stack output)")
        self.status = status


def fetch_headers(url: str, timeout: float = 10.0) -> dict[str, str]:
    """The `cc-*` headers served at `url`, decoded as UTF-8; NotServed for an HTTP error status."""
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            pairs = response.headers.items()
    except urllib.error.HTTPError as exc:
        raise NotServed(url, exc.code) from None
    except (urllib.error.URLError, OSError) as exc:
        raise CliError(f"control center {url} did not answer: {exc}", "is the stack (or p2pctl local) up?") from None
    return {k.lower(): v.encode("latin-1").decode("utf-8", "replace") for k, v in pairs if k.lower().startswith("cc-")}


def _why_not_served(cli: Any, answer: NotServed) -> CliError:
    """Why the control center answers an error: never published, switched off, or the URL is wrong."""
    from p2p_core.control_center.publish import live_code
    from p2p_core.control_center.render import serving_state
    from p2p_core.workflow.control_center_step import CLOUDFRONT_REGION

    function = cli.deployment().control_center_function
    state = serving_state(live_code(cli.client("cloudfront", CLOUDFRONT_REGION), function) if function else None)
    if state == "unpublished":
        return CliError(
            f"the control center function {function} is not published yet (no run has rendered it from the config)",
            "p2pctl run --wait",
        )
    if state == "switched off":
        return CliError(
            "the control center is switched off (control_center.enabled is false): agents get 404",
            "p2pctl config set control_center.enabled true",
        )
    return answer


# ------------------------------------------------------------------------------------------------ cost


def cost(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Option("--file", help="a config file instead of the stored item")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the estimate as JSON")] = False,
    egress_gb_per_day: Annotated[
        float,
        typer.Option("--egress-gb-per-day", help="data each instance sends to the internet per day, GB (assumed)"),
    ] = DEFAULT_EGRESS_GB_PER_DAY,
) -> None:
    """Estimated cost of the configured fleet for its window, and of the control plane per month.

    Per instance: compute, root volume, public IPv4 address and data transfer out, each line with its source.
    """
    from p2pctl.config_cmd import config_from_file
    from p2pctl.config_write import stored_config
    from p2pctl.cost_facts import read_facts
    from p2pctl.estimate import estimate

    cli = cli_context(ctx)
    config = config_from_file(file) if file is not None else stored_config(cli)
    at = now()
    facts = read_facts(cli.clients, cli.home_region, str(cli.stack_name), config, at)
    report = estimate(config, at, facts, egress_gb_per_day)
    if as_json:
        print_json(report.as_dict())
    else:
        report.print(console)


# ------------------------------------------------------------------------------------------------ teardown


def teardown(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds to wait for the run")] = 900.0,
) -> None:
    """Remove every agent, ASG and network the stack made, in every region (the stack itself stays).

    Works whatever else the config item holds: it writes only `regions: []`, and when the item has a bad
    field (so a run would stop in Plan) the sweep of every region does the removing.
    """
    from p2p_core.reconciler.teardown import sweep_regions
    from p2p_core.regions import commercial_regions
    from p2pctl.runs import run_name, start_run

    cli = cli_context(ctx)
    if not yes and not confirmed(f"Remove every managed resource of stack {cli.stack_name!r} in every region?"):
        console.print("teardown cancelled: nothing was changed", highlight=False)
        raise typer.Exit(1)
    bad_fields = _select_no_regions(cli)
    outcome: dict[str, Any] = {"status": "SUCCEEDED"}
    if bad_fields is None:  # a valid item: the workflow decommissions the regions it manages
        sfn = cli.client("stepfunctions")
        arn = start_run(sfn, cli.output("StateMachineArn"), source="teardown", name=run_name("teardown"))
        outcome = follow_run(sfn, arn, timeout)
    console.print("sweeping every region for anything still tagged with the stack…")
    results = sweep_regions(cli.fleet_clients, cli.deployment(), list(commercial_regions()))
    removed = [r.region for r in results if r.outcome == "removed"]
    console.print(f"swept {len(results)} regions: {len(removed)} had leftovers, removed ({', '.join(removed) or '-'})")
    left = [r for r in results if r.outcome in ("remaining", "failed")]
    for region in left:
        console.print(f"left in {region.words()}", style="yellow", highlight=False, markup=False)
    if left or outcome["status"] != "SUCCEEDED":
        names = ", ".join(r.region for r in left) or f"the teardown run {outcome['status']}"
        raise CliError(
            f"teardown incomplete: resources remain in {names}" if left else f"teardown incomplete: {names}",
            "remove what is named above if the stack did not make it, then run 'p2pctl teardown --yes' again",
        )
    console.print("teardown complete: nothing of the stack remains in any region")
    if bad_fields is not None:
        console.print(
            f"the config item still has a bad field, so scheduled runs fail until it is removed: {bad_fields}",
            style="yellow",
            highlight=False,
            markup=False,
        )


def confirmed(question: str) -> bool:
    """Ask yes/no on the terminal; no answer is no."""
    try:
        return typer.confirm(question, default=False)
    except typer.Abort:  # no answer (Ctrl-C, or no terminal): nothing happens
        return False


def _select_no_regions(cli: Any) -> str | None:
    """Write `regions: []` unless it is there; returns the command removing the item's bad fields, if any."""
    from p2p_core.config import parse_config
    from p2p_core.storage.config import ConfigStore
    from p2p_core.validation import ConfigError
    from p2pctl.config_write import current_item, now, removal_fix, who

    raw, version = current_item(cli)
    if raw.get("regions") != []:
        store = ConfigStore(cli.client("dynamodb"), cli.config_table())
        store.select_no_regions(expected_version=version, updated_by=who(), now=now())  # so no run brings agents back
        console.print(f"config version {version + 1}: regions = [] (the schedule keeps nothing running)")
    try:
        parse_config({**raw, "regions": []})
    except ConfigError as exc:
        return removal_fix(raw, exc.errors)
    return None


def register(cli: typer.Typer) -> None:
    """Add the fleet commands to the root command."""
    for command in (headers, cost, teardown):
        cli.command()(command)
