"""`p2pctl headers`: the headers agents see when they poll the control center."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Annotated, Any

import typer

from p2pctl.context import cli_context
from p2pctl.errors import CliError
from p2pctl.output import console, print_json


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


def register(cli: typer.Typer) -> None:
    """Add the command to the root command."""
    cli.command()(headers)
