"""`p2pctl radar`: the line for an agent's /opt/p2p-radar.url (`<url> <auth>`), and `rotate` to replace the token.

Upstream's agents (p2p-way/p2p-agent-infra, Ansible role `radar`) read that file and report to every line of it;
our runner gets the URL from its user data and the token from SSM. The token is made on first use (here or by
the radar's first report), since CloudFormation cannot create a SecureString.
"""

from __future__ import annotations

from typing import Annotated

import typer

from p2pctl.context import cli_context, now
from p2pctl.output import console, errors, print_json

app = typer.Typer(
    help="The radar agents report to: print the line for /opt/p2p-radar.url, or rotate its token.",
    invoke_without_command=True,
    rich_markup_mode=None,
)
JsonOption = Annotated[bool, typer.Option("--json", help='print {"url", "auth"} as JSON')]


def _print_line(url: str, auth: str, as_json: bool, *notes: str) -> None:
    if as_json:
        print_json({"url": url, "auth": auth})
        return
    console.print(f"{url} {auth}", highlight=False, markup=False, soft_wrap=True)
    for note in notes:
        errors.print(note, highlight=False, markup=False)


@app.callback()
def radar(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Print `<url> <auth>`, the line upstream's agents read from /opt/p2p-radar.url (the token made if none)."""
    if ctx.invoked_subcommand is not None:
        return
    from p2p_core.radar.token import TokenStore

    cli = cli_context(ctx)
    url = cli.output("RadarUrl")
    token = TokenStore(cli.client("ssm"), str(cli.stack_name)).ensure()
    _print_line(url, token.current, as_json)


@app.command()
def rotate(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Replace the token; the old one keeps working for one report interval (our runner fetches the new one)."""
    from p2p_core.radar.token import ROTATION_GRACE, TokenStore

    cli = cli_context(ctx)
    url = cli.output("RadarUrl")
    token = TokenStore(cli.client("ssm"), str(cli.stack_name)).rotate(now(), ROTATION_GRACE)
    minutes = int(ROTATION_GRACE.total_seconds() // 60)
    note = f"the previous token is accepted until {token.previous_until:%Y-%m-%d %H:%M:%S} UTC ({minutes} minutes)"
    _print_line(url, token.current, as_json, note, "write the new line to /opt/p2p-radar.url on upstream's agents")
