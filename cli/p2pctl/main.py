"""The `p2pctl` entry point: global options, command groups, and one-line errors."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from p2pctl import config_cmd, ops_cmd, run_cmd
from p2pctl.context import CliContext
from p2pctl.errors import CliError
from p2pctl.local_cmd import local
from p2pctl.output import errors

cli = typer.Typer(
    name="p2pctl",
    help="Run fleets of P2P agents on AWS by editing one config item.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
cli.add_typer(config_cmd.app, name="config")
run_cmd.register(cli)
ops_cmd.register(cli)
cli.command()(local)


@cli.command()
def demo(
    stack_name: Annotated[str, typer.Option("--demo-stack", help="stack name inside the emulator")] = "p2p-demo",
) -> None:
    """Run the whole product locally (emulated AWS) and verify every step; exit 0 only if all held."""
    from p2pctl.demo import run_demo

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


def app() -> None:
    """Console-script entry: run the CLI, turning known failures into one line plus the fix."""
    debug = "--debug" in sys.argv
    try:
        cli()
    except CliError as exc:
        _fail(exc.message, exc.fix, exc.exit_code, debug)
    except Exception as exc:
        _fail_unexpected(exc, debug)


def _fail(message: str, fix: str, code: int, debug: bool) -> None:
    if debug:
        import traceback

        traceback.print_exc()
    errors.print(f"error: {message}", highlight=False, markup=False)
    if fix:
        errors.print(f"fix: {fix}", highlight=False, markup=False)
    raise SystemExit(code)


def _fail_unexpected(exc: Exception, debug: bool) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        fix = "check credentials, region and --endpoint-url"
        _fail(f"AWS said {err.get('Code')}: {err.get('Message')}", fix, 1, debug)
    if isinstance(exc, BotoCoreError):
        _fail(str(exc), "check --endpoint-url / AWS_ENDPOINT_URL and your network", 1, debug)
    _fail(f"{type(exc).__name__}: {exc}", "re-run with --debug and report the traceback", 1, debug)


if __name__ == "__main__":
    app()
