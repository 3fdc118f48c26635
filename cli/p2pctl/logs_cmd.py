"""`p2pctl logs`: agent log events of every selected region, merged in time order; `--follow` keeps polling."""

from __future__ import annotations

import json
import sys
import time
from typing import Annotated

import typer

from p2p_core import names
from p2p_core.regions import is_known_region
from p2pctl.agent_logs import Follower, LogLine, Reading, millis, parse_since, read_regions
from p2pctl.config_write import stored_config
from p2pctl.context import CliContext, cli_context, now
from p2pctl.errors import CliError, Interrupted
from p2pctl.output import errors


def logs(
    ctx: typer.Context,
    regions: Annotated[
        list[str] | None,
        typer.Option(
            "--region",
            metavar="REGION",
            help="a region to read (repeatable; default: the config's selected regions). "
            "The stack's home region goes before 'logs': p2pctl --region HOME logs --region R",
        ),
    ] = None,
    since: Annotated[
        str, typer.Option("--since", metavar="WHEN", help="how far back: 1h, 30m, '2 days' or an RFC 3339 time")
    ] = "1h",
    follow: Annotated[bool, typer.Option("--follow", "-f", help="keep polling for new events (Ctrl-C stops)")] = False,
    grep: Annotated[
        str | None, typer.Option("--grep", metavar="TEXT", help="only events whose message contains TEXT")
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", min=1.0, metavar="SECONDS", help="seconds between polls with --follow")
    ] = 5.0,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per event")] = False,
) -> None:
    """Agent log events (runner log, cloud-init output) of all regions in time order, with region and instance."""
    cli = cli_context(ctx)
    start = parse_since(since, now())
    chosen = _regions(cli, regions)
    group = names.agents_log_group(str(cli.stack_name))
    follower = Follower(millis(start))
    reported: dict[str, str] = {}
    try:
        while True:
            reading = read_regions(cli.clients, chosen, group, follower.start, grep)
            reported = _report_problems(reading, reported)
            fresh = follower.fresh(reading.lines)
            for line in fresh:
                _emit(line, as_json)
            if not follow:
                if not reading.lines:
                    _note(f"no agent log events since {start.isoformat()} in {', '.join(chosen) or 'no region'}")
                return
            time.sleep(interval)
    except (KeyboardInterrupt, Interrupted):  # --follow ends with Ctrl-C: a normal end
        return


def _regions(cli: CliContext, given: list[str] | None) -> list[str]:
    """--region values (checked), else the stored config's selected regions."""
    if given:
        unknown = [region for region in given if not is_known_region(region)]
        if unknown:
            raise CliError(f"--region {unknown[0]!r} is not a known region", "see 'p2pctl regions' for their names")
        return sorted(set(given))
    config = stored_config(cli)
    if not config.logs.enabled:
        _note("logs.enabled is off: agents launched since ship no logs ('p2pctl config set logs.enabled true')")
    return config.selected_regions()


def _report_problems(reading: Reading, reported: dict[str, str]) -> dict[str, str]:
    """Each region's problem on stderr once (again only when it changes)."""
    for region, problem in sorted(reading.problems.items()):
        if reported.get(region) != problem:
            _note(f"{region}: {problem}")
    return dict(reading.problems)


def _emit(line: LogLine, as_json: bool) -> None:
    sys.stdout.write((json.dumps(line.as_dict()) if as_json else line.text()) + "\n")
    sys.stdout.flush()


def _note(text: str) -> None:
    errors.print(text, style="yellow", highlight=False, markup=False)


def register(cli: typer.Typer) -> None:
    """Add `logs` to the root command."""
    cli.command()(logs)
