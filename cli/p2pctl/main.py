"""The `p2pctl` entry point: global options, command groups, and one-line errors."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType
from typing import Annotated

import typer

from p2pctl import (
    config_cmd,
    cost_cmd,
    deploy_key_cmd,
    doctor_cmd,
    fleet_cmd,
    headers_cmd,
    logs_cmd,
    radar_cmd,
    regions_cmd,
    run_cmd,
    status_cmd,
    teardown_cmd,
)
from p2pctl.config_write import CONFLICT_EXIT
from p2pctl.context import CliContext
from p2pctl.errors import CREDENTIALS_FIX, CliError, Interrupted
from p2pctl.local_cmd import local, require_local_extra
from p2pctl.output import errors

cli = typer.Typer(
    name="p2pctl",
    help="Run fleets of P2P agents on AWS by editing one config item. "
    "Global options work before or after the command. "
    "Exit codes: 0 ok, 1 error, 2 usage, 3 conflict, 130 interrupted (Ctrl-C).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: values like [eu-west-1] are text, flags show no <bool>
)
cli.add_typer(config_cmd.app, name="config")
cli.add_typer(deploy_key_cmd.app, name="deploy-key")
cli.add_typer(radar_cmd.app, name="radar")
run_cmd.register(cli)
status_cmd.register(cli)
headers_cmd.register(cli)
cost_cmd.register(cli)
teardown_cmd.register(cli)
regions_cmd.register(cli)
doctor_cmd.register(cli)
logs_cmd.register(cli)
fleet_cmd.register(cli)
cli.command()(local)


@cli.command()
def demo(
    stack_name: Annotated[str, typer.Option("--demo-stack", help="stack name inside the emulator")] = "p2p-demo",
) -> None:
    """Run the whole product locally (emulated AWS) and verify every step; exit 0 only if all held."""
    from p2pctl.demo import run_demo

    require_local_extra()
    run_demo(stack_name)


@cli.callback()
def options(
    ctx: typer.Context,
    endpoint_url: Annotated[
        str | None, typer.Option("--endpoint-url", envvar="AWS_ENDPOINT_URL", help="AWS endpoint (p2pctl local)")
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="the stack's home region")] = None,
    stack_name: Annotated[str | None, typer.Option("--stack-name", help="default: samconfig.toml")] = None,
    table: Annotated[str | None, typer.Option("--table", help="config table (default: from the stack)")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False,
) -> None:
    """Global options shared by every command."""
    ctx.obj = CliContext(endpoint_url=endpoint_url, region=region, stack_name=stack_name, table=table, debug=debug)


GLOBAL_VALUE_OPTIONS = ("--endpoint-url", "--region", "--stack-name", "--table")
GLOBAL_FLAGS = ("--debug",)
# a command's own option named like a global one: after that command it is the command's
# (`p2pctl --region HOME logs --region R`: the stack's home region, then the regions to read)
COMMAND_OPTIONS = {"logs": frozenset({"--region"})}


def hoist_global_options(argv: list[str]) -> list[str]:
    """Global options anywhere on the line (as the aws CLI takes them), moved in front of the command."""
    front: list[str] = []
    rest: list[str] = []
    own: frozenset[str] = frozenset()
    index = 0
    while index < len(argv):
        arg = argv[index]
        name = arg.split("=", 1)[0]
        if arg == "--":  # everything after "--" is a value
            rest += argv[index:]
            break
        if name in own:
            rest.append(arg)
        elif arg in GLOBAL_FLAGS or (name in GLOBAL_VALUE_OPTIONS and "=" in arg):
            front.append(arg)
        elif arg in GLOBAL_VALUE_OPTIONS and index + 1 < len(argv):
            front += argv[index : index + 2]
            index += 1
        else:
            if not rest:  # the command
                own = COMMAND_OPTIONS.get(arg, frozenset())
            rest.append(arg)
        index += 1
    return front + rest


INTERRUPTED_EXIT = 130  # 128 + SIGINT, as shells report it


def _on_sigint(_signum: int, _frame: FrameType | None) -> None:
    raise Interrupted


def _stop_interrupted() -> None:
    """One line and exit 130 at once: no traceback, no waiting for worker threads (a second Ctrl-C)."""
    errors.print(
        "interrupted (Ctrl-C): what was already sent to AWS stands; 'p2pctl status' shows where things are",
        highlight=False,
        markup=False,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(INTERRUPTED_EXIT)


def app() -> None:
    """Console-script entry: Ctrl-C stops at once with exit 130, then the CLI runs on the command line."""
    signal.signal(signal.SIGINT, _on_sigint)
    try:
        run(sys.argv[1:])
    except Interrupted:
        _stop_interrupted()


def run(args: list[str]) -> None:
    """The CLI on `args` (global options anywhere), known failures as one line plus the fix; ends in SystemExit.

    Process-wide state is the caller's: `app` owns the SIGINT handler, the streams and the environment.
    """
    argv = hoist_global_options(args)
    debug = "--debug" in argv
    try:
        cli(args=argv, prog_name="p2pctl")
    except CliError as exc:
        _fail(exc.message, exc.fix, exc.exit_code, debug)
    except Exception as exc:
        _fail_known(exc, debug)
        _fail(f"{type(exc).__name__}: {exc}", "re-run with --debug and report the traceback", 1, debug)


def _fail(message: str, fix: str, code: int, debug: bool) -> None:
    if debug:
        import traceback

        traceback.print_exc()
    errors.print(f"error: {message}", highlight=False, markup=False)
    if fix:
        errors.print(f"fix: {fix}", highlight=False, markup=False)
    raise SystemExit(code)


def _fail_known(exc: Exception, debug: bool) -> None:
    """Operator errors that reach the top: one line and the fix, never "report the traceback"."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

    from p2p_core.config.validation import ConfigError
    from p2p_core.storage.config import ConfigConflict

    if isinstance(exc, ConfigError):
        _fail(exc.summary(), "see 'p2pctl config show' and 'p2pctl config schema'", 1, debug)
    if isinstance(exc, ConfigConflict):
        _fail(str(exc), "run 'p2pctl config show' and apply the change again", CONFLICT_EXIT, debug)
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        _fail(f"no AWS credentials: {exc}", CREDENTIALS_FIX, 1, debug)
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        fix = "check credentials, region and --endpoint-url"
        _fail(f"AWS said {err.get('Code')}: {err.get('Message')}", fix, 1, debug)
    if isinstance(exc, BotoCoreError):
        _fail(str(exc), "check --endpoint-url / AWS_ENDPOINT_URL and your network", 1, debug)


if __name__ == "__main__":
    app()
