"""Before a config write: say what the next run does to running agents, and ask when it stops or removes any.

`config set`, `unset`, `put`, `edit` and `restart-window` call `confirm_write` between validating the new
item and writing it. The running instances come from the stack's groups (DescribeAutoScalingGroups by the
`p2p:stack` tag, every region at once); what they mean is `p2p_core.write_impact`. A write that stops running
agents or removes regions is written only after a yes on the terminal, or with `--yes`; without a terminal
and without `--yes` nothing is written (exit 1).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from p2p_core.config import ConfigItem, parse_config
from p2p_core.config.validation import ConfigError
from p2pctl.context import CliContext
from p2pctl.errors import CliError
from p2pctl.output import errors

if TYPE_CHECKING:  # the planner and the launch template are imported only by a write, not by every command
    from p2p_core.write_impact import WriteImpact

MAX_PARALLEL_REGIONS = 16
GONE = ("Terminat", "Detach", "Warmed")  # instances on their way out (or in a warm pool) run no agent
YES_HELP = "write without asking, also when the next run stops running agents or removes regions"


def running_instances(cli: CliContext, regions: list[str]) -> dict[str, int]:
    """Instances of the stack's group in each region that has one (every region read at once); raises on errors."""
    from p2pctl.fleet import managed_asg

    def count(region: str) -> tuple[str, int | None]:
        group = managed_asg(cli.client("autoscaling", region), str(cli.stack_name))
        if group is None:
            return region, None
        return region, sum(1 for i in group.get("Instances", []) if not i["LifecycleState"].startswith(GONE))

    if not regions:
        return {}
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_REGIONS, len(regions))) as pool:
        found = list(pool.map(count, regions))
    return {region: n for region, n in found if n is not None}


def write_effect(cli: CliContext, before_fields: Mapping[str, Any], after: ConfigItem) -> WriteImpact:
    """What writing `after` over the stored fields does at the next run, read from the groups (or the config)."""
    from p2p_core.storage.status import StatusStore
    from p2p_core.write_impact import write_impact
    from p2pctl.context import now

    before = stored_without_bad_fields(before_fields)
    status = StatusStore(cli.client("dynamodb"), cli.config_table()).load()
    chosen = set(after.selected_regions()) | set(before.selected_regions() if before else [])
    regions = sorted(chosen | set(status.managed_regions))
    try:
        running: dict[str, int] | None = running_instances(cli, regions)
    except Exception as exc:  # any failure to read: say so, and ask from the config alone
        running = None
        errors.print(f"cannot read the running instances ({_reason(exc)}): judging from the config alone")
    return write_impact(
        before,
        after,
        running,
        now(),
        recorded=status.recorded_anchor(before or after),
        managed=status.managed_regions,
        new_template=before is not None and _new_template(cli, before, after),
    )


def stored_without_bad_fields(fields: Mapping[str, Any]) -> ConfigItem | None:
    """The stored item as a config, its bad fields (written by another client) left out; None if still invalid."""
    try:
        return parse_config(fields)
    except ConfigError as exc:
        bad = {error.field.split(".")[0] for error in exc.errors}
    try:
        return parse_config({k: v for k, v in fields.items() if k not in bad})
    except ConfigError:  # nothing to compare with but what runs
        return None


def confirm_write(cli: CliContext, before_fields: Mapping[str, Any], after: ConfigItem, *, yes: bool) -> None:
    """Print what the write does to running agents; ask when it stops or removes any (CliError: nothing written)."""
    impact = write_effect(cli, before_fields, after)
    for line in impact.lines():
        errors.print(f"the next run {line}", highlight=False, markup=False)  # stdout stays the command's data
    if not impact.destructive or yes:
        return
    if not sys.stdin.isatty():
        raise CliError(
            "nothing written: the next run would stop running agents or remove regions (above), and there is no "
            "terminal to ask on",
            "check what it does, then run the same command with --yes",
        )
    from p2pctl.output import confirmed

    if not confirmed("Write it?"):
        raise CliError("cancelled: nothing written", "run the command again and answer y, or pass --yes")


def _new_template(cli: CliContext, before: ConfigItem, after: ConfigItem) -> bool:
    from p2p_core.wanted import build_inputs
    from p2p_core.write_impact import makes_new_template_version
    from p2pctl.config_write import TYPICAL_DEPLOYMENT

    try:
        deployment = cli.deployment()
    except CliError:  # --table without a stack: the same assumed deployment on both sides
        deployment = TYPICAL_DEPLOYMENT
    try:
        return makes_new_template_version(
            before, build_inputs(before, deployment), after, build_inputs(after, deployment)
        )
    except ValueError:  # user data over EC2's limit: validation names it; no version is made
        return False


def _reason(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", type(exc).__name__))
    return type(exc).__name__
