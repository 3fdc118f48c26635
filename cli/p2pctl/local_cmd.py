"""`p2pctl local`: the control plane on 127.0.0.1, until SIGINT/SIGTERM."""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
import threading
from typing import Annotated

import typer

from p2pctl.context import CliContext
from p2pctl.errors import CliError

LOCAL_EXTRA = "pip install 'p2p-control-plane[local]'"


def require_local_extra() -> None:
    """Import the emulator; without the `local` extra, one line saying how to install it."""
    try:
        import p2p_emulator.local  # noqa: F401  (moto, requests, samtranslator)
    except ImportError as exc:
        missing = exc.name or "a package"
        raise CliError(f"the local emulator needs the 'local' extra ({missing} is missing): {LOCAL_EXTRA}") from None


def local(
    ctx: typer.Context,
    port: Annotated[int, typer.Option("--port", help="emulator port (0: any free port)")] = 0,
    tick: Annotated[
        float | None, typer.Option("--tick", help="seconds between scheduled runs (default: the schedule's rate)")
    ] = None,
    fast_forward: Annotated[
        float,
        typer.Option(
            "--fast-forward",
            min=0,
            help="SECONDS: when nothing runs and the next scheduled run is at most this far away, the emulated "
            "account's clock moves to it instead of waiting (default 0: the clock keeps wall time)",
        ),
    ] = 0.0,
    disable_region: Annotated[
        list[str] | None,
        typer.Option(
            "--disable-region",
            help="an opt-in region the emulated account has not enabled (repeatable; 'opt-in' = all 17)",
        ),
    ] = None,
    fail_launches: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-launches",
            help="REGION[=CODE]: instance launches there fail (default InsufficientInstanceCapacity; repeatable)",
        ),
    ] = None,
    refresh_seconds: Annotated[
        float | None,
        typer.Option(
            "--refresh-seconds",
            min=0,
            help="seconds between two batches of an instance refresh (default 10; 0: all at the next look)",
        ),
    ] = None,
    quota: Annotated[
        list[str] | None,
        typer.Option(
            "--quota",
            help="REGION=VCPUS: the on-demand vCPU quota (L-1216C47A) there; REGION 'all' for every region "
            "(default 32, a new account's; repeatable)",
        ),
    ] = None,
    spot_quota: Annotated[
        list[str] | None,
        typer.Option(
            "--spot-quota",
            help="REGION=VCPUS: the Spot vCPU quota (L-34B43A08) there; REGION 'all' for every region "
            "(default 32; repeatable)",
        ),
    ] = None,
    lambda_concurrency: Annotated[
        int | None,
        typer.Option(
            "--lambda-concurrency",
            min=1,
            help="the account's Lambda concurrency quota: invokes beyond N in flight are throttled "
            "(TooManyRequestsException); new accounts often have 10 (default 1000)",
        ),
    ] = None,
    control_center_domain: Annotated[
        str,
        typer.Option(
            "--control-center-domain",
            help="deploy with ControlCenterDomainName (and a test certificate); a second local listener serves it",
        ),
    ] = "",
    aws_events: Annotated[
        bool,
        typer.Option(
            "--aws-events/--no-aws-events",
            help="AWS services' events on the default buses: CloudTrail's for write calls, Auto Scaling's launch "
            "failures (default on; off: drift is found by the scheduled checks only)",
        ),
    ] = True,
    trail: Annotated[
        bool,
        typer.Option("--trail/--no-trail", help="the account has a multi-region trail recording management events"),
    ] = True,
    create_trail: Annotated[
        bool,
        typer.Option(
            "--create-trail",
            help="deploy with CreateTrail=true: the stack's own multi-region trail of write management events",
        ),
    ] = False,
) -> None:
    """Start the emulated AWS account with the stack deployed; print one JSON line; run until stopped.

    Everything lives in this process's memory: stopping it forgets the config, runs and resources.
    """
    require_local_extra()
    from p2p_emulator.local import REFRESH_SECONDS, LocalRuntime

    cli: CliContext = ctx.obj
    assert cli.stack_name is not None and cli.region is not None
    runtime = LocalRuntime(
        stack_name=cli.stack_name,
        region=cli.region,
        port=port,
        tick=tick,
        fast_forward=fast_forward,
        disabled_regions=tuple(disable_region or ()),
        failing_launches=_failures(fail_launches or []),
        refresh_seconds=REFRESH_SECONDS if refresh_seconds is None else refresh_seconds,
        vcpu_quotas=_quotas(quota or [], "--quota"),
        spot_quotas=_quotas(spot_quota or [], "--spot-quota"),
        lambda_concurrency=lambda_concurrency,
        control_center_domain=control_center_domain,
        aws_events=aws_events,
        account_trail=trail,
        create_trail=create_trail,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        try:
            info = runtime.start()
        except ValueError as exc:  # a switch the emulator cannot honour, e.g. disabling eu-central-1
            raise CliError(str(exc), "see 'p2pctl local --help'") from None
        sys.stdout.write(json.dumps(info) + "\n")
        sys.stdout.flush()
        # from here on, handler logs (Powertools writes to stdout) go to stderr: stdout held one JSON line
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
        print(
            "p2pctl local: up. Everything (config, runs, regions) lives in memory and is gone when it stops; "
            f"try  p2pctl --endpoint-url {info['endpoint_url']} status",
            file=sys.stderr,
        )
        # wake up now and then: a signal the kernel delivers to another thread is handled only when the main
        # thread runs Python again, and a wait without timeout could sleep through SIGTERM
        while not stop.wait(0.5):
            pass
    finally:
        runtime.stop()
    print("p2pctl local: stopped", file=sys.stderr)
    sys.stderr.flush()
    # executions still running inside the emulator's engine (non-daemon threads) would keep retrying
    # their Lambda calls against the stopped server for their whole Retry budget: end the process now,
    # after what atexit holds (os._exit skips it): logging's flush, a coverage measurement's data
    atexit._run_exitfuncs()
    os._exit(0)


def _failures(options: list[str]) -> dict[str, str]:
    """`REGION[=CODE]` options as region -> EC2 error code of the failing launches."""
    found = {}
    for option in options:
        region, _, code = option.partition("=")
        found[region] = code or "InsufficientInstanceCapacity"
    return found


def _quotas(options: list[str], switch: str) -> dict[str, float]:
    """`REGION=VCPUS` options as region -> vCPU quota."""
    found = {}
    for option in options:
        region, _, vcpus = option.partition("=")
        try:
            found[region] = float(vcpus)
        except ValueError:
            raise CliError(
                f"{switch} {option!r}: expected REGION=VCPUS, e.g. eu-west-3=32", "see 'p2pctl local --help'"
            ) from None
    return found
