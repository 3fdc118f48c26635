"""Following a run to its end (`run --wait`, `teardown`): each region as it finishes, the lease holder, the outcome."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

from p2p_core.models.results import RefreshProgress
from p2p_core.workflow.finalize_step import MAX_MESSAGE, shorten
from p2pctl.context import CliContext
from p2pctl.errors import CliError
from p2pctl.output import console

FAILED_EXIT = 1
MAX_HOPS = 5  # own run -> lease holder -> its follow-up: a chain longer than this is not followed
REGION_STATES = {"ReconcileRegion", "RecordRegionFailure"}  # a region's result leaves one of these


def say(text: str, style: str | None = None) -> None:
    """One line as is (AWS and config text is never rich markup)."""
    console.print(text, style=style, highlight=False, markup=False)


def finished_regions(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The region results in an execution's history, as the Map's iterations ended (reconciled or caught)."""
    found = []
    for event in events:
        details = event.get("stateExitedEventDetails") or {}
        if details.get("name") not in REGION_STATES:
            continue
        with contextlib.suppress(ValueError):
            result = json.loads(details.get("output") or "{}")
            # a Task whose error was caught may exit with its input (the region's plan): not a result
            if isinstance(result, dict) and "region" in result and "status" in result:
                found.append(result)
    return found


def region_line(result: dict[str, Any]) -> str:
    """One region's result as `run --wait` prints it."""
    region, status = result["region"], result["status"]
    message = shorten(result.get("error_message"), MAX_MESSAGE)  # a caught error's Cause is the Lambda error JSON
    if status == "failed":
        return f"  ✗ {region}: failed: {result.get('error_code')}: {message}"
    if status == "degraded":
        return f"  ⚠ {region}: degraded: {message}"
    if status == "skipped":
        return f"  - {region}: skipped: {message}"
    actions = result.get("actions") or ["no change"]
    line = f"  ✓ {region}: {'; '.join(actions[:4])}{' …' if len(actions) > 4 else ''}"
    refresh = RefreshProgress.model_validate(result["refresh"]) if result.get("refresh") else None
    return f"{line}\n      {refresh.summary}" if refresh else line


def follow_run(sfn: Any, arn: str, timeout: float, *, quiet: bool = False) -> dict[str, Any]:
    """Wait for an execution, printing each region's result as its Map iteration ends."""
    from p2pctl.runs import execution_history

    began, seen, shown = time.monotonic(), 0, 0
    with console.status("run in progress", spinner="dots") as spinner:
        while True:
            found = sfn.describe_execution(executionArn=arn)
            events = execution_history(sfn, arn)
            for result in finished_regions(events[seen:]):
                shown += 1
                if not quiet:
                    say(region_line(result))
            seen = len(events)
            spinner.update(f"run in progress: {shown} region(s) done, {seen} events")
            if found["status"] != "RUNNING":
                break
            if time.monotonic() - began > timeout:
                raise CliError(
                    f"run still {found['status']} after {timeout:.0f} s: {arn}", "wait longer with --timeout"
                )
            time.sleep(0.2)
    entered = [e for e in execution_history(sfn, arn) if e["type"].endswith("StateEntered")]
    outcome = {
        "name": found["name"],
        "execution_arn": arn,
        "status": found["status"],
        "transitions": len(entered),
        "seconds": round(time.monotonic() - began, 2),
        "error": found.get("error"),
        "cause": found.get("cause"),
        "output": json.loads(found["output"]) if found.get("output") else None,
    }
    if not quiet:
        _print_outcome(outcome)
    return outcome


def _print_outcome(outcome: dict[str, Any]) -> None:
    took = f"{outcome['status']} in {outcome['seconds']} s, {outcome['transitions']} state transitions"
    say(f"run {outcome['name']}: {took}")
    record = outcome["output"] or {}
    if record.get("status") == "skipped":
        say(f"skipped: {record.get('skip_reason')}")
    for result in record.get("regions") or []:
        if result.get("status") == "skipped":  # never reaches the Map: not enabled in the account
            say(region_line(result))
    if record.get("status") == "degraded":
        degraded = [r["region"] for r in record.get("regions") or [] if r.get("status") == "degraded"]
        say(
            f"degraded: launches fail in {', '.join(degraded)} (AWS's reason above; 'p2pctl status' keeps it)", "yellow"
        )
    if record.get("follow_up"):
        say(f"the config changed meanwhile: follow-up run {record['follow_up']} started")


def follow_lease_holders(sfn: Any, outcome: dict[str, Any], timeout: float, *, quiet: bool = False) -> dict[str, Any]:
    """A run skipped for the lease: follow the run holding it, then the follow-up it starts for a newer config.

    Returns the outcome of the last run followed: that run's result is what the skipped run would have done.
    """
    for _ in range(MAX_HOPS):
        record = outcome["output"] or {}
        following = record.get("held_by") if record.get("status") == "skipped" else None
        following = following or record.get("follow_up")
        if not following:
            return outcome
        if not quiet:
            why = "it holds the lease" if record.get("status") == "skipped" else "it applies the newer config"
            say(f"following run {following}: {why}")
        arn = _sibling_arn(outcome["execution_arn"], str(following))
        try:
            outcome = follow_run(sfn, arn, timeout, quiet=quiet)
        except sfn.exceptions.ExecutionDoesNotExist:
            raise CliError(
                f"the lease is held by {following!r}, which is not a run of this state machine",
                "the lease expires on its own (LeaseSeconds after it was taken): run 'p2pctl run --wait' again then",
            ) from None
    return outcome


def _sibling_arn(execution_arn: str, name: str) -> str:
    """The ARN of execution `name` of the same state machine (arn:...:execution:<machine>:<name>)."""
    return execution_arn.rsplit(":", 1)[0] + ":" + name


def run_failed(cli: CliContext, outcome: dict[str, Any]) -> CliError:
    """A failed run as one error line naming what failed, with a fix that is true for that failure."""
    from p2p_core.storage.status import StatusStore

    name, status = outcome["name"], outcome["status"]
    record = StatusStore(cli.client("dynamodb"), cli.config_table()).load().run(name)
    if record is not None and record.stopped_by == "ConfigInvalid":
        return CliError(
            f"run {name} stopped in Plan, nothing was changed: {_plan_error(record.errors)}",
            _invalid_config_fix(cli),
            FAILED_EXIT,
        )
    if record is not None and record.errors:
        failed = [f"{r.region} ({r.error_code})" for r in record.failed_regions]
        return CliError(
            f"run {name} failed: " + "; ".join(record.errors),
            f"fix the cause above; the next run retries {', '.join(failed) or 'the failed steps'} "
            "(the schedule, or 'p2pctl run --wait')",
            FAILED_EXIT,
        )
    cause = shorten(outcome.get("cause"), 400)
    return CliError(f"run {name} {status}: {outcome.get('error')}: {cause}", "see 'p2pctl status'", FAILED_EXIT)


def _plan_error(errors: list[str]) -> str:
    text = errors[0] if errors else "the config item is invalid"
    return " ".join(text.removeprefix("plan: ConfigInvalid: ").split())


def _invalid_config_fix(cli: CliContext) -> str:
    """The command that removes the stored item's bad fields; for a check only Plan makes, how to fix it."""
    from p2pctl.config_write import stored_config

    try:
        stored_config(cli)
    except CliError as bad:
        return bad.fix
    return "fix the fields named above with 'p2pctl config set'; 'p2pctl plan' checks the item as a run would"
