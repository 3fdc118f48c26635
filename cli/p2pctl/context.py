"""Where the CLI talks to: endpoint, region, stack and the stack's outputs."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import typer

from p2pctl.errors import CliError

DEFAULT_STACK = "p2p-control-plane"
DEFAULT_REGION = "eu-central-1"
STACK_FIX = (
    "pass the stack's region with --region (or set region in samconfig.toml) and its name with --stack-name; "
    "no stack yet: sam deploy --guided, or the local emulator: p2pctl local"
)


def _cli_client_config() -> Any:
    from botocore.config import Config

    # a person is waiting: 2 s to connect and one retry, so nothing listening fails in seconds, not a minute
    return Config(retries={"total_max_attempts": 2, "mode": "standard"}, connect_timeout=2, read_timeout=30)


@cache
def _service_models() -> Any:
    """One botocore loader for every session of the process: each service's model (ec2's is megabytes of JSON) is
    parsed once, not once per client factory (and per command when commands run in one process, as in tests)."""
    from botocore.loaders import create_loader

    return create_loader(os.environ.get("AWS_DATA_PATH"))  # as a session would read it


def samconfig_defaults(path: Path = Path("samconfig.toml")) -> dict[str, Any]:
    """`stack_name` and `region` from samconfig.toml's default deploy parameters, if the file is here."""
    if not path.is_file():
        return {}
    data = tomllib.loads(path.read_text())
    params: dict[str, Any] = data.get("default", {}).get("deploy", {}).get("parameters", {})
    glob: dict[str, Any] = data.get("default", {}).get("global", {}).get("parameters", {})
    return {**glob, **params}


@dataclass
class CliContext:
    """Options shared by every command, resolved lazily so `config validate` needs no AWS at all."""

    endpoint_url: str | None = None
    region: str | None = None
    stack_name: str | None = None
    table: str | None = None
    debug: bool = False
    _outputs: dict[str, str] | None = field(default=None, repr=False)
    _deployment: Any = field(default=None, repr=False)

    region_source: str = "default"

    def __post_init__(self) -> None:
        defaults = samconfig_defaults()
        self.endpoint_url = self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        # the stack's own region (samconfig.toml) wins over the shell's general default region
        for source, value in (
            ("--region", self.region),
            (f"samconfig.toml in {Path.cwd()}", defaults.get("region")),
            ("AWS_REGION", os.environ.get("AWS_REGION")),
            ("AWS_DEFAULT_REGION", os.environ.get("AWS_DEFAULT_REGION")),
            ("default", DEFAULT_REGION),
        ):
            if value:
                self.region, self.region_source = str(value), source
                break
        self.stack_name = self.stack_name or os.environ.get("P2P_STACK_NAME") or defaults.get("stack_name")
        self.stack_name = self.stack_name or DEFAULT_STACK

    @cached_property
    def clients(self) -> Any:
        """Clients for the CLI's own calls: short connect timeout, few retries, so a dead endpoint fails fast."""
        from p2p_core.aws.clients import ClientFactory

        return ClientFactory(endpoint_url=self.endpoint_url, session=self._session(), config=_cli_client_config())

    @cached_property
    def fleet_clients(self) -> Any:
        """Clients for work across every region (plan, teardown sweep), with the handlers' retry policy."""
        from p2p_core.aws.clients import ClientFactory

        return ClientFactory(endpoint_url=self.endpoint_url, session=self._session())

    def _session(self) -> Any:
        """A boto3 session; against an endpoint (`p2pctl local`) with no key in the shell, the emulator's any-key.

        Passed to the session, never written to os.environ: the process's environment stays the caller's.
        """
        import boto3
        import botocore.session

        core = botocore.session.Session()
        core.register_component("data_loader", _service_models())
        if self.endpoint_url and not os.environ.get("AWS_ACCESS_KEY_ID"):
            # the local emulator accepts any credentials; don't make users invent some
            return boto3.Session(botocore_session=core, aws_access_key_id="testing", aws_secret_access_key="testing")
        return boto3.Session(botocore_session=core)

    def client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client in `region` (default: the stack's home region)."""
        return self.clients.client(service, region or self.home_region)

    @property
    def home_region(self) -> str:
        """The region the stack is deployed in."""
        assert self.region is not None
        return self.region

    def outputs(self) -> dict[str, str]:
        """The stack's Outputs, read once."""
        if self._outputs is None:
            cfn = self.client("cloudformation")
            try:
                stacks = cfn.describe_stacks(StackName=self.stack_name)["Stacks"]
            except cfn.exceptions.ClientError as exc:
                raise CliError(
                    f"stack {self.stack_name!r} not found in {self.region} (region from {self.region_source})"
                    + (f" at {self.endpoint_url}" if self.endpoint_url else "")
                    + f" ({exc.response['Error'].get('Message', 'error')})",
                    STACK_FIX,
                ) from None
            self._outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
        return self._outputs

    def output(self, key: str) -> str:
        """One stack output, or a clear error naming it."""
        value = self.outputs().get(key)
        if not value:
            raise CliError(f"stack {self.stack_name!r} has no output {key!r}", "redeploy the current template.yaml")
        return value

    def deployment(self) -> Any:
        """The settings the stack's handlers run with, read once from the Plan function's configuration."""
        if self._deployment is None:
            self._deployment = self._read_deployment()
        return self._deployment

    def _read_deployment(self) -> Any:
        from p2p_core.models.deployment import Deployment

        cfn = self.client("cloudformation")
        try:
            found = cfn.describe_stack_resource(StackName=self.stack_name, LogicalResourceId="PlanFunction")
        except cfn.exceptions.ClientError as exc:
            raise CliError(
                f"cannot read the stack {self.stack_name!r} in {self.region} (region from {self.region_source}): "
                + exc.response["Error"].get("Message", "error"),
                STACK_FIX,
            ) from None
        name = found["StackResourceDetail"]["PhysicalResourceId"]
        conf = self.client("lambda").get_function_configuration(FunctionName=name)
        env = {k: str(v) for k, v in conf.get("Environment", {}).get("Variables", {}).items()}
        env.update({"AWS_REGION": self.home_region, "AWS_ENDPOINT_URL": self.endpoint_url or ""})
        if self.table:
            env["P2P_CONFIG_TABLE"] = self.table
        return Deployment.from_env(env)

    def config_table(self) -> str:
        """--table, else the stack's ConfigTableName output."""
        return self.table or self.output("ConfigTableName")


def cli_context(ctx: typer.Context) -> CliContext:
    """The options every command shares (set by the root callback)."""
    cli: CliContext = ctx.obj
    return cli


def now() -> datetime:
    """The current time, to the second (what a run started now would use)."""
    return datetime.now(UTC).replace(microsecond=0)
