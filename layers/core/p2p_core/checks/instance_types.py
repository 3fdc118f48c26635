"""Plan's check of `instance.type` against EC2, before any region is touched.

Only EC2 knows whether a type runs `instance.architecture` and where it is offered, so this reads —
but only when some region's infrastructure will be (re)built in this run: a no-op run, or a run
that only changes capacity, reads nothing more. (A changed `instance` changes the infrastructure
hash, so every region is rebuilt and the new type is checked.)

- wrong architecture, or a type EC2 does not know: the config is invalid (ConfigError naming
  `instance.type` and `instance.architecture`): the run fails in Plan and nothing is touched;
- not offered in a region: that region's plan is refused (it fails naming `instance.type`, untouched),
  the other regions go ahead.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import BotoCoreError, ClientError

from p2p_core.aws.clients import ClientFactory
from p2p_core.config import ConfigItem
from p2p_core.models.deployment import Deployment
from p2p_core.models.plan import Plan, RegionPlan
from p2p_core.reconciler.errors import error_code
from p2p_core.validation import ConfigError, FieldError, show_value

NOT_OFFERED = "InstanceTypeNotOffered"
_THREADS = 34  # one offerings call per rebuilt region, all at once like Plan's observation


def check_instance_type(clients: ClientFactory, deployment: Deployment, config: ConfigItem, the_plan: Plan) -> Plan:
    """The plan with regions that do not offer the type refused; raises ConfigError for a wrong type."""
    rebuilt = [r.region for r in the_plan.regions if r.ensure_infrastructure and not (r.decommission or r.refused)]
    if not rebuilt:
        return the_plan
    kind = config.instance.type
    with ThreadPoolExecutor(max_workers=min(_THREADS, len(rebuilt))) as pool:
        offered = dict(zip(rebuilt, pool.map(lambda region: _offered(clients, kind, region), rebuilt), strict=True))
    # the architecture is the same everywhere: ask a region that offers the type, else the home region
    where = next((r for r in rebuilt if offered[r]), deployment.home_region)
    _check_architecture(clients, config, where)
    refused = {r for r, yes in offered.items() if yes is False}
    if not refused:
        return the_plan

    def refuse(region_plan: RegionPlan) -> RegionPlan:
        reason = not_offered_reason(kind, region_plan.region)
        update = {"refused": reason, "refused_code": NOT_OFFERED, "reasons": [*region_plan.reasons, reason]}
        return region_plan.model_copy(update=update)

    regions = [refuse(r) if r.region in refused else r for r in the_plan.regions]
    return the_plan.model_copy(update={"regions": regions})


def not_offered_reason(kind: str, region: str) -> str:
    """Why a region is refused, naming the field."""
    return f"instance.type {show_value(kind)} is not offered in {region}: pick a type offered there or drop the region"


def _offered(clients: ClientFactory, kind: str, region: str) -> bool | None:
    """Whether the region offers the type; None when EC2 could not say (the reconciler meets that error)."""
    try:
        found = clients.client("ec2", region).describe_instance_type_offerings(
            LocationType="region", Filters=[{"Name": "instance-type", "Values": [kind]}]
        )["InstanceTypeOfferings"]
    except (ClientError, BotoCoreError):
        return None
    return any(o.get("InstanceType") == kind for o in found)


def _check_architecture(clients: ClientFactory, config: ConfigItem, region: str) -> None:
    instance = config.instance
    try:
        described = clients.client("ec2", region).describe_instance_types(InstanceTypes=[instance.type])
    except ClientError as exc:
        if error_code(exc) == "InvalidInstanceType":  # asked in the home region only when no built region has it
            message = f"{show_value(instance.type)} is not an EC2 instance type offered in {region} or a region built"
            raise ConfigError([FieldError("instance.type", instance.type, message)]) from None
        return  # EC2 could not say: launching will, and the reconciler names it
    except BotoCoreError:
        return
    types = described["InstanceTypes"]
    architectures = types[0]["ProcessorInfo"]["SupportedArchitectures"] if types else []
    if instance.architecture not in architectures:
        runs = ", ".join(architectures) or "no listed architecture"
        message = (
            f"{show_value(instance.type)} runs {runs}, not instance.architecture {show_value(instance.architecture)}: "
            "pick a type for that architecture or change instance.architecture"
        )
        raise ConfigError([FieldError("instance.type", instance.type, message)])
