"""Plan's check of `instance.type` against EC2, before any region is touched.

Only EC2 knows whether a type runs `instance.architecture` and where it is offered, so this reads —
but only when some region's infrastructure will be (re)built in this run: a no-op run, or a run
that only changes capacity, reads nothing more. (A changed `instance` changes the infrastructure
hash, so every region is rebuilt and the new type is checked.)

- wrong architecture, or a type EC2 does not know: the config is invalid (ConfigError naming
  `instance.type` and `instance.architecture`): the run fails in Plan and nothing is touched;
- not offered in a region: that region's plan is refused (it fails naming `instance.type`, untouched),
  the other regions go ahead.

A group over several types (`instance.market: spot` or `instance.types`, p2p_core.market) is checked
the same way, with one call each for all its types: every type must run `instance.architecture`; a
region that does not offer some of them drops those (a warning in the region's result, and the group
records them, so later no-op runs know without reading); a region offering none of them is refused
naming `instance.types`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from p2p_core.aws.clients import ClientFactory
from p2p_core.config import ConfigItem
from p2p_core.config.validation import ConfigError, FieldError, show_value
from p2p_core.models.deployment import Deployment
from p2p_core.models.plan import Plan, RegionPlan
from p2p_core.reconciler.errors import AWS_ERRORS, error_code

NOT_OFFERED = "InstanceTypeNotOffered"
NONE_OFFERED = "InstanceTypesNotOffered"
_THREADS = 34  # one offerings call per rebuilt region, all at once like Plan's observation


def check_instance_type(clients: ClientFactory, deployment: Deployment, config: ConfigItem, the_plan: Plan) -> Plan:
    """The plan with regions that do not offer the type refused; raises ConfigError for a wrong type."""
    rebuilt = [r.region for r in the_plan.regions if r.ensure_infrastructure and not (r.decommission or r.refused)]
    if not rebuilt:
        return the_plan
    buying = config.instance.buying()
    kinds = buying.types if buying else (config.instance.type,)
    with ThreadPoolExecutor(max_workers=min(_THREADS, len(rebuilt))) as pool:
        offered = dict(zip(rebuilt, pool.map(lambda region: _offered(clients, kinds, region), rebuilt), strict=True))
    # the architecture is the same everywhere: ask a region that offers the types, else the home region
    where = next((r for r in rebuilt if offered[r]), deployment.home_region)
    _check_architecture(clients, config, [k for k in kinds if k in (offered.get(where) or kinds)], where)

    def checked(region_plan: RegionPlan) -> RegionPlan:
        there = offered.get(region_plan.region)
        if there is None:  # not rebuilt, or EC2 could not say (the reconciler meets that error)
            return region_plan
        if buying is None:
            return region_plan if kinds[0] in there else _refuse(region_plan, NOT_OFFERED, not_offered_reason)
        dropped = [k for k in kinds if k not in there]
        if len(dropped) == len(kinds):
            return _refuse(region_plan, NONE_OFFERED, lambda _, region: none_offered_reason(kinds, region))
        kept = ", ".join(k for k in kinds if k in there)
        warnings = [f"instance.types: {', '.join(dropped)} not offered in {region_plan.region}: dropped, using {kept}"]
        return region_plan.model_copy(update={"not_offered": dropped, "warnings": warnings if dropped else []})

    def _refuse(region_plan: RegionPlan, code: str, why: Callable[[str, str], str]) -> RegionPlan:
        reason = why(kinds[0], region_plan.region)
        update = {"refused": reason, "refused_code": code, "reasons": [*region_plan.reasons, reason]}
        return region_plan.model_copy(update=update)

    return the_plan.model_copy(update={"regions": [checked(r) for r in the_plan.regions]})


def not_offered_reason(kind: str, region: str) -> str:
    """Why a region is refused, naming the field."""
    return f"instance.type {show_value(kind)} is not offered in {region}: pick a type offered there or drop the region"


def none_offered_reason(kinds: tuple[str, ...], region: str) -> str:
    """Why a region offering none of a group's types is refused, naming the field."""
    return (
        f"instance.types: none of {', '.join(kinds)} is offered in {region}: "
        "add a type offered there to instance.types or drop the region"
    )


def _offered(clients: ClientFactory, kinds: tuple[str, ...], region: str) -> set[str] | None:
    """The types the region offers (one call for all); None when EC2 could not say (the reconciler meets that)."""
    try:
        found = clients.client("ec2", region).describe_instance_type_offerings(
            LocationType="region", Filters=[{"Name": "instance-type", "Values": list(kinds)}]
        )["InstanceTypeOfferings"]
    except AWS_ERRORS:
        return None
    return {str(o.get("InstanceType")) for o in found} & set(kinds)


def _check_architecture(clients: ClientFactory, config: ConfigItem, kinds: list[str], region: str) -> None:
    instance = config.instance
    asked = kinds or [instance.type]
    field = "instance.type" if asked == [instance.type] else "instance.types"
    try:
        described = clients.client("ec2", region).describe_instance_types(InstanceTypes=asked)
    except ClientError as exc:
        if error_code(exc) == "InvalidInstanceType":  # asked in the home region only when no built region has it
            shown = show_value(asked[0] if len(asked) == 1 else asked)
            message = f"{shown} is not an EC2 instance type offered in {region} or a region built"
            raise ConfigError([FieldError(field, asked[0] if len(asked) == 1 else asked, message)]) from None
        return  # EC2 could not say: launching will, and the reconciler names it
    except AWS_ERRORS:
        return
    wrong = []
    for described_type in described["InstanceTypes"]:
        kind = str(described_type["InstanceType"])
        architectures = described_type["ProcessorInfo"]["SupportedArchitectures"]
        if instance.architecture not in architectures:
            runs = ", ".join(architectures) or "no listed architecture"
            message = (
                f"{show_value(kind)} runs {runs}, not instance.architecture {show_value(instance.architecture)}: "
                "pick a type for that architecture or change instance.architecture"
            )
            wrong.append(FieldError("instance.type" if kind == instance.type else "instance.types", kind, message))
    if wrong:
        raise ConfigError(wrong)
