"""`p2pctl deploy-key`: the private agent repository's deploy key, kept as an SSM SecureString.

The private key goes from this process straight into SSM Parameter Store (home region, `/p2p/<stack>/deploy-key`)
and is never printed; agents read it with their instance role before each `ansible-pull`. What the operator
sees is the public key, in OpenSSH format, to paste as the repository's deploy key (read-only).

Rotation takes two steps, so agents never hold only a key the repository does not know: `rotate` stages
a new key beside the current one (`/p2p/<stack>/deploy-key-next`; agents try it first, then the current
one), `rotate --finish` makes it the key once the operator has added it to the repository.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from p2pctl.context import cli_context
from p2pctl.errors import CliError
from p2pctl.output import confirmed, console, print_json

app = typer.Typer(
    help="The private agent repository's deploy key (ed25519, kept as an SSM SecureString in the home region).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
JsonOption = Annotated[bool, typer.Option("--json", help="print the result as JSON")]


@dataclass(frozen=True)
class KeyPair:
    """An ed25519 key pair as OpenSSH writes it: the private key file and the `ssh-ed25519 AAAA… comment` line."""

    private_key: str
    public_key: str


def new_key_pair(comment: str) -> KeyPair:
    """A fresh ed25519 key pair (the `cryptography` library; the private key in OpenSSH format)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    return KeyPair(private, public_key_of(private, comment))


def public_key_of(private_key: str, comment: str) -> str:
    """The OpenSSH public key line of an OpenSSH private key."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_ssh_private_key(private_key.encode(), password=None)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return f"{public.decode()} {comment}"


def fingerprint(public_key: str) -> str:
    """`SHA256:…` as `ssh-keygen -l` and GitHub's deploy-key page show it."""
    blob = base64.b64decode(public_key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


class DeployKeyStore:
    """The deploy key's SSM parameter in the stack's home region."""

    def __init__(self, cli: Any) -> None:
        from p2p_core.models.deployment import deploy_key_parameter, staged_deploy_key_parameter

        self.stack = str(cli.stack_name)
        self.region = cli.home_region
        self.name = deploy_key_parameter(self.stack)
        self.staged_name = staged_deploy_key_parameter(self.stack)
        self.ssm = cli.client("ssm")
        self.comment = f"p2p-{self.stack}-deploy-key"

    def private_key(self, name: str | None = None) -> str | None:
        """The stored private key (the staged one with `name=staged_name`), or None when there is none."""
        try:
            found = self.ssm.get_parameter(Name=name or self.name, WithDecryption=True)
        except self.ssm.exceptions.ParameterNotFound:
            return None
        return str(found["Parameter"]["Value"])

    def write(self, pair: KeyPair, replace: bool, name: str | None = None) -> None:
        """Store the private key (a new parameter, tagged with the stack; or a new version of it)."""
        settings: dict[str, Any] = {
            "Name": name or self.name,
            "Value": pair.private_key,
            "Type": "SecureString",
            "Description": f"deploy key of the p2p stack {self.stack} (p2pctl deploy-key)",
        }
        if replace:  # AWS refuses Tags together with Overwrite; the parameter keeps the tags it has
            self.ssm.put_parameter(**settings, Overwrite=True)
        else:
            self.ssm.put_parameter(**settings, Tags=[{"Key": "p2p:stack", "Value": self.stack}])

    def describe(self, public_key: str) -> dict[str, str]:
        """What the commands print: where the private key is, and the public key with its fingerprint."""
        return {
            "parameter": self.name,
            "region": self.region,
            "public_key": public_key,
            "fingerprint": fingerprint(public_key),
        }

    def missing(self) -> CliError:
        """The error for a command that needs a key when there is none."""
        return CliError(
            f"no deploy key for stack {self.stack!r}: SSM parameter {self.name} does not exist in {self.region}",
            "p2pctl deploy-key create",
        )


def _print_key(described: dict[str, str], as_json: bool, *notes: str) -> None:
    if as_json:
        print_json(described)
        return
    console.print(described["public_key"], highlight=False, markup=False, soft_wrap=True)
    console.print(
        f"fingerprint {described['fingerprint']}; private key in SSM {described['parameter']} ({described['region']})",
        highlight=False,
        markup=False,
    )
    for note in notes:
        console.print(note, highlight=False, markup=False)


PASTE = "add the public key above to the Git repository: Settings → Deploy keys (read access is enough)"


@app.command()
def create(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Generate a key pair, keep the private key in SSM and print the public key to paste as a deploy key."""
    store = DeployKeyStore(cli_context(ctx))
    if store.private_key() is not None:
        raise CliError(
            f"stack {store.stack!r} already has a deploy key ({store.name} in {store.region})",
            "p2pctl deploy-key show prints its public key; p2pctl deploy-key rotate replaces it",
        )
    pair = new_key_pair(store.comment)
    store.write(pair, replace=False)
    _print_key(store.describe(pair.public_key), as_json, PASTE)


@app.command()
def show(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Print the public key of the stored deploy key (derived from it, so it always matches)."""
    store = DeployKeyStore(cli_context(ctx))
    private = store.private_key()
    if private is None:
        raise store.missing()
    _print_key(store.describe(public_key_of(private, store.comment)), as_json)


@app.command()
def rotate(
    ctx: typer.Context,
    finish: Annotated[
        bool, typer.Option("--finish", help="make the staged key the deploy key (once the repository has it)")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Stage a new key (agents try it first, then the current one); `--finish` swaps once the repository has it."""
    store = DeployKeyStore(cli_context(ctx))
    current = store.private_key()
    if current is None:
        raise store.missing()
    current_print = fingerprint(public_key_of(current, store.comment))
    staged = store.private_key(store.staged_name)
    if finish:
        if staged is None:
            raise CliError(f"no staged deploy key ({store.staged_name} does not exist)", "p2pctl deploy-key rotate")
        store.write(KeyPair(staged, public_key_of(staged, store.comment)), replace=True)
        store.ssm.delete_parameter(Name=store.staged_name)
        described = store.describe(public_key_of(staged, store.comment)) | {"retired_fingerprint": current_print}
        _print_key(described, as_json, f"agents use it from their next run: delete {current_print} from the repository")
        return
    if staged is None:
        staged = new_key_pair(store.comment).private_key
        store.write(KeyPair(staged, ""), replace=False, name=store.staged_name)
    described = store.describe(public_key_of(staged, store.comment)) | {
        "parameter": store.staged_name,
        "staged_fingerprint": fingerprint(public_key_of(staged, store.comment)),
        "current_fingerprint": current_print,
    }
    _print_key(
        described,
        as_json,
        PASTE,
        f"agents try this staged key first, then the current one ({current_print})",
        "once the repository has it: p2pctl deploy-key rotate --finish",
    )


@app.command()
def delete(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
    as_json: JsonOption = False,
) -> None:
    """Delete the deploy key from SSM; agents then clone without a key (and remove the key file they hold)."""
    store = DeployKeyStore(cli_context(ctx))
    private = store.private_key()
    if private is None:
        raise store.missing()
    retired = fingerprint(public_key_of(private, store.comment))
    if not yes and not confirmed(f"Delete the deploy key {retired} of stack {store.stack!r}?"):
        console.print("deploy key kept: nothing was changed", highlight=False)
        raise typer.Exit(1)
    store.ssm.delete_parameter(Name=store.name)
    if store.private_key(store.staged_name) is not None:  # agents would still try a staged key
        store.ssm.delete_parameter(Name=store.staged_name)
    if as_json:
        print_json({"deleted": store.name, "region": store.region, "fingerprint": retired})
        return
    console.print(f"deleted {store.name} in {store.region}", highlight=False, markup=False)
    console.print(f"remove the deploy key {retired} from the repository too", highlight=False, markup=False)
