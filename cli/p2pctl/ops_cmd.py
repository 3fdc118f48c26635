"""Operator commands about the fleet: headers agents see, cost, teardown."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated

import typer

from p2pctl.errors import CliError
from p2pctl.output import console, print_json
from p2pctl.run_cmd import cli_context, follow_run, now

# ------------------------------------------------------------------------------------------------ headers


def headers(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Option("--url", help="default: the stack's ControlCenterUrl output")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the headers as a JSON object")] = False,
) -> None:
    """The headers an agent sees when it polls the control center (HEAD, as agents do)."""
    cli = cli_context(ctx)
    target = url or cli.output("ControlCenterUrl")
    found = fetch_headers(target)
    if as_json:
        print_json(found)
        return
    for name, value in found.items():
        console.print(f"{name}: {value}", highlight=False, markup=False)


def fetch_headers(url: str, timeout: float = 10.0) -> dict[str, str]:
    """The `cc-*` headers served at `url`, decoded as UTF-8."""
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            pairs = response.headers.items()
    except urllib.error.HTTPError as exc:
        raise CliError(
            f"control center {url} answered {exc.code}", "check the URL and the path (stack output)"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        raise CliError(f"control center {url} did not answer: {exc}", "is the stack (or p2pctl local) up?") from None
    return {k.lower(): v.encode("latin-1").decode("utf-8", "replace") for k, v in pairs if k.lower().startswith("cc-")}


# ------------------------------------------------------------------------------------------------ cost


def cost(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Option("--file", help="a config file instead of the stored item")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the estimate as JSON")] = False,
) -> None:
    """Estimated cost of the configured fleet for its window, and of the control plane per month."""
    from p2p_core.config_store import ConfigStore
    from p2pctl.config_cmd import load_file
    from p2pctl.estimate import estimate

    cli = cli_context(ctx)
    if file is not None:
        from p2p_core.config import parse_config
        from p2p_core.errors import ConfigError

        try:
            config = parse_config(load_file(file))
        except ConfigError as exc:
            raise CliError(exc.summary(), "fix the file; 'p2pctl config validate' shows the same errors") from None
    else:
        config = ConfigStore(cli.client("dynamodb"), cli.config_table()).load()
    report = estimate(config, now())
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
    """Remove every agent, ASG and network the stack made, in every region (the stack itself stays)."""
    from p2p_core.regions import commercial_regions
    from p2p_core.workflow.teardown import sweep_regions
    from p2pctl.config_cmd import current_item, write_item
    from p2pctl.emulator.runs import run_name, start_run

    cli = cli_context(ctx)
    if not yes and not typer.confirm(f"Remove every managed resource of stack {cli.stack_name!r} in every region?"):
        raise CliError("teardown cancelled", "pass --yes to skip the question")
    raw, version = current_item(cli)
    if raw.get("regions") != []:
        written = write_item(cli, {**raw, "regions": []}, version)  # so no run brings the fleet back
        console.print(f"config version {written.version}: regions = [] (the schedule keeps nothing running)")
    sfn = cli.client("stepfunctions")
    arn = start_run(sfn, cli.output("StateMachineArn"), source="teardown", name=run_name("teardown"))
    outcome = follow_run(sfn, arn, timeout)
    console.print("sweeping every region for anything still tagged with the stack…")
    deployment = cli.deployment()
    results = sweep_regions(cli.clients, deployment, list(commercial_regions()))
    removed = [r.region for r in results if r.decommissioned]
    failed = [r for r in results if r.status == "failed"]
    console.print(f"swept {len(results)} regions: {len(removed)} had leftovers, removed ({', '.join(removed) or '-'})")
    if failed or outcome["status"] != "SUCCEEDED":
        names = ", ".join(f"{r.region} ({r.error_code})" for r in failed) or outcome["status"]
        raise CliError(f"teardown incomplete: {names}", "run 'p2pctl teardown --yes' again once the cause is fixed")
    console.print("teardown complete: nothing tagged p2p:managed remains")


def register(cli: typer.Typer) -> None:
    """Add the fleet commands to the root command."""
    for command in (headers, cost, teardown):
        cli.command()(command)
