"""What `p2pctl regions` and `p2pctl doctor` read of the account: every region at once, one row each.

Per region: whether the account has it enabled (account `ListRegions`), the standard Availability
Zones offering `instance.type` (the reconciler's own `zones_offering`), the on-demand vCPU quota
(`L-1216C47A`) and the vCPUs already running, and what the config needs there at its peak (on Spot,
also the Spot vCPU quota `L-34B43A08` of the selected regions against the instances above the base). Regions
are read in parallel threads, as Plan observes them, so 34 regions take about as long as one.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from p2p_core import STACK_TAG
from p2p_core.aws.clients import ClientFactory
from p2p_core.config import ConfigItem, parse_config
from p2p_core.quota import SPOT_QUOTA, peak_instances, peak_spot_instances, standard_vcpus_running, vcpu_quota
from p2p_core.regions import catalogue, commercial_regions
from p2p_core.resources.zones import zones_offering
from p2pctl.context import CliContext
from p2pctl.errors import CliError

ACCOUNT_API_REGION = "us-east-1"  # the account API is global, served from us-east-1
ENABLED = ("ENABLED", "ENABLED_BY_DEFAULT")
_THREADS = 34


@dataclass
class RegionFacts:
    """One region as the account sees it, and what the config wants there."""

    region: str
    description: str
    opt_status: str
    selected: bool
    instances: int = 0
    needed_vcpus: int = 0
    zones: list[str] | None = None
    quota_vcpus: float | None = None
    running_vcpus: int | None = None
    own_vcpus: int | None = None
    spot_instances: int = 0  # with instance.market spot: instances above the on-demand base
    spot_needed_vcpus: int = 0
    spot_quota_vcpus: float | None = None  # L-34B43A08, read only for selected regions on Spot
    errors: list[str] = field(default_factory=list)

    @property
    def enabled(self) -> bool:
        """True when the account can use the region (opt-in regions must be enabled first)."""
        return self.opt_status in ENABLED

    @property
    def vcpus_at_peak(self) -> int:
        """The fleet's peak need plus what else already runs there (the stack's own agents counted once)."""
        return self.needed_vcpus + (self.running_vcpus or 0) - (self.own_vcpus or 0)

    def over_quota(self) -> bool:
        """True when AWS would refuse part of the fleet's launches here."""
        return self.quota_vcpus is not None and self.vcpus_at_peak > self.quota_vcpus

    def as_dict(self) -> dict[str, Any]:
        """The row for `--json`."""
        return {**asdict(self), "enabled": self.enabled, "vcpus_at_peak": self.vcpus_at_peak}


@dataclass
class AccountFacts:
    """The instance type as EC2 describes it, and every region's facts."""

    instance_type: str
    architectures: list[str]
    vcpus_each: int
    regions: list[RegionFacts]
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The document for `--json`."""
        return {**asdict(self), "regions": [r.as_dict() for r in self.regions]}


@dataclass(frozen=True)
class ConfigSource:
    """The config the checks compare with, and where it came from."""

    config: ConfigItem
    origin: str
    stack_found: bool


def load_config(cli: CliContext, file: Path | None) -> ConfigSource:
    """--file, else the stored item, else (no stack deployed yet) the defaults."""
    from p2pctl.config_cmd import config_from_file
    from p2pctl.config_write import stored_config

    if file is not None:
        return ConfigSource(config_from_file(file), str(file), stack_found=_stack_found(cli))
    if not _stack_found(cli):
        return ConfigSource(parse_config({}), "defaults (no stack deployed yet)", stack_found=False)
    return ConfigSource(stored_config(cli), f"the config item of stack {cli.stack_name}", stack_found=True)


def _stack_found(cli: CliContext) -> bool:
    try:
        cli.outputs()
    except CliError:
        return False
    return True


def why(exc: Exception) -> str:
    """AWS's answer in one line."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code')}: {error.get('Message')}"
    return f"{type(exc).__name__}: {exc}"


def opt_statuses(clients: ClientFactory) -> dict[str, str]:
    """RegionOptStatus of every region the account API lists."""
    account = clients.client("account", ACCOUNT_API_REGION)
    pages = account.get_paginator("list_regions").paginate()
    return {str(r["RegionName"]): str(r["RegionOptStatus"]) for page in pages for r in page["Regions"]}


def read_facts(
    clients: ClientFactory,
    config: ConfigItem,
    home_region: str,
    *,
    stack_name: str | None = None,
    regions: list[str] | None = None,
    on_region: Callable[[RegionFacts], None] = lambda _: None,
) -> AccountFacts:
    """Every region's facts (default: all commercial regions), read in parallel; `on_region` sees each as it ends."""
    kind = config.instance.type
    statuses = opt_statuses(clients)
    selected = set(config.selected_regions())
    names = regions if regions is not None else list(commercial_regions())
    architectures, vcpus, errors = _describe_type(clients, kind, home_region)
    rows = [
        RegionFacts(
            region=name,
            description=catalogue()[name].description,
            opt_status=statuses.get(name, "UNKNOWN"),
            selected=name in selected,
            instances=peak_instances(config, name) if name in selected else 0,
            spot_instances=peak_spot_instances(config, name) if name in selected else 0,
        )
        for name in names
    ]
    for row in rows:
        row.needed_vcpus = row.instances * vcpus
        row.spot_needed_vcpus = row.spot_instances * vcpus
    on_spot = config.instance.market == "spot"

    def read(row: RegionFacts) -> RegionFacts:
        if row.enabled:
            _read_region(clients, row, kind, stack_name)
            if on_spot and row.selected:
                _read_spot_quota(clients, row)
        return row

    with ThreadPoolExecutor(max_workers=min(_THREADS, len(rows) or 1)) as pool:
        for done in as_completed([pool.submit(read, row) for row in rows]):
            on_region(done.result())
    return AccountFacts(instance_type=kind, architectures=architectures, vcpus_each=vcpus, regions=rows, errors=errors)


def _describe_type(clients: ClientFactory, kind: str, region: str) -> tuple[list[str], int, list[str]]:
    try:
        found = clients.client("ec2", region).describe_instance_types(InstanceTypes=[kind])["InstanceTypes"]
    except (ClientError, BotoCoreError) as exc:
        return [], 0, [f"{kind}: {why(exc)}"]
    if not found:
        return [], 0, [f"{kind}: EC2 does not describe it in {region}"]
    described = found[0]
    return list(described["ProcessorInfo"]["SupportedArchitectures"]), int(described["VCpuInfo"]["DefaultVCpus"]), []


def _read_spot_quota(clients: ClientFactory, row: RegionFacts) -> None:
    try:
        row.spot_quota_vcpus = vcpu_quota(clients.client("service-quotas", row.region), SPOT_QUOTA)
    except (ClientError, BotoCoreError) as exc:
        row.errors.append(f"spot quota: {why(exc)}")


def _read_region(clients: ClientFactory, row: RegionFacts, kind: str, stack_name: str | None) -> None:
    ec2 = clients.client("ec2", row.region)
    try:
        row.zones = zones_offering(ec2, kind)
    except (ClientError, BotoCoreError) as exc:
        row.errors.append(f"zones: {why(exc)}")
    try:
        row.quota_vcpus = vcpu_quota(clients.client("service-quotas", row.region))
    except (ClientError, BotoCoreError) as exc:
        row.errors.append(f"quota: {why(exc)}")
    try:
        row.running_vcpus = standard_vcpus_running(ec2)
        # the stack's own agents are already part of the fleet's peak need
        own = standard_vcpus_running(ec2, (STACK_TAG, stack_name)) if stack_name and row.running_vcpus else 0
        row.own_vcpus = own
    except (ClientError, BotoCoreError) as exc:
        row.errors.append(f"usage: {why(exc)}")
