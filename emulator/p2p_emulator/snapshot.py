"""A snapshot of the emulated account, restored in place: deploy the stack once, then reset what a test changed.

`take()` deep-copies the state of every moto backend in use (every service, account and region), the
moto catalogues the shims extend (Local Zones, instance type offerings) and the emulator's own process
state (the deployed functions' handlers, IAM principals and denials, the handler clients' hooks). `restore(snapshot)`
first lets executions still running end (their threads would write into the restored account), then
gives every saved backend a fresh deep copy of its saved state *in place*: the objects that hold a backend
(Auto Scaling holds EC2's, a state machine its Step Functions backend) keep holding the live one, so the
copy's references between backends point at live backends too. Services, accounts and regions first used
after the snapshot are dropped (a later use makes them fresh, as in a new account), and the shims are set
back to the default account (`shims.reset_behaviours`, no fault hooks). A restore costs milliseconds where
a deploy costs seconds; `tests/integration/test_world_reset.py` proves a restored account is the baseline.
"""

from __future__ import annotations

import copy
import copyreg
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.core.base_backend import AccountSpecificBackend, BackendDict, BaseBackend
from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend
from moto.ec2.models.instance_types import INSTANCE_TYPE_OFFERINGS
from moto.s3.models import s3_backends
from moto.ssm.models import ParameterDict

from p2p_emulator import handler_clients, shims
from p2p_emulator.iam import ENFORCER
from p2p_emulator.iam import sessions as iam_sessions
from p2p_emulator.shims import cloudtrail, consistency, idempotency, task_roles

RUNNING_GRACE_SECONDS = 60.0  # executions a test left running get this long to end before they are stopped

Saved = tuple[BackendDict[Any], str, AccountSpecificBackend[Any], str, BaseBackend]


def _process_state() -> list[dict[Any, Any] | list[Any]]:
    """The emulator's module-level containers a deploy fills and a test may change (restored in place)."""
    return [
        shims._targets,
        shims._faults,
        ENFORCER.principals,
        ENFORCER.denials,
        ENFORCER._live,
        iam_sessions._roles,
        cloudtrail._signed,  # the instance roles' key ids, for CloudTrail's records of their calls
        s3_backends.bucket_accounts,  # S3's bucket names, global: a bucket a test made is gone, its name free
        task_roles._authorizer,
        consistency._unseen,  # ids of resources just created, failing their first uses
        idempotency._seen,  # the ClientTokens used
        handler_clients._hooks,  # what every handler client gets (tests: recorders, faults)
        handler_clients._callbacks,
    ]


def _catalogues() -> list[dict[str, Any]]:
    """moto's module-level catalogues the shims extend (`zones.add_local_zone`, `complete_instance_type_offerings`):
    dicts of lists, each list changed only by appending."""
    return [RegionsAndZonesBackend.zones, *INSTANCE_TYPE_OFFERINGS.values()]


@dataclass(frozen=True)
class Snapshot:
    """What `take` saved: the live backend objects with a private copy of each one's state."""

    backends: list[Saved]
    states: dict[int, dict[str, Any]]  # id(backend) -> its saved __dict__ (never handed out: restored from copies)
    process: list[dict[Any, Any] | list[Any]]
    catalogues: list[dict[str, list[Any]]]


def _in_use() -> list[BackendDict[Any]]:
    """moto's registry of the services in use (the list itself: changed in place)."""
    services: list[BackendDict[Any]] = BackendDict._instances  # type: ignore[misc]
    return services


def _backends() -> Iterator[Saved]:
    for service in list(_in_use()):
        for account, regions in list(service.items()):
            for region, backend in list(regions.items()):
                yield service, account, regions, region, backend


def _copy_state(backends: list[Saved], states: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    memo: dict[int, Any] = {id(backend): backend for *_, backend in backends}  # live backends stay shared
    for state in states.values():  # an ended execution's worker (its thread, locks, history) is shared, never copied
        for machine in state.get("state_machines", []):
            for execution in getattr(machine, "executions", []):
                memo[id(execution.exec_worker)] = execution.exec_worker
    copied: dict[int, dict[str, Any]] = copy.deepcopy(states, memo)
    return copied


def take() -> Snapshot:
    """Save the account as it is now (call it with no execution running)."""
    backends = list(_backends())
    states = _copy_state(backends, {id(b): b.__dict__ for *_, b in backends})
    process = [copy.copy(container) for container in _process_state()]
    catalogues = [{key: list(values) for key, values in catalogue.items()} for catalogue in _catalogues()]
    return Snapshot(backends, states, process, catalogues)


def restore(snapshot: Snapshot) -> None:
    """Put the account back as it was at `take` (in place), with the default account's behaviours."""
    settle_executions()
    saved_services = {id(service) for service, *_ in snapshot.backends}
    for service in list(_in_use()):
        if id(service) not in saved_services:  # a service first used after the snapshot
            for regions in service.values():
                regions.reset()
            service.clear()
            _in_use().remove(service)
    kept: dict[int, set[str]] = {}
    for service, account, regions, region, backend in snapshot.backends:
        if service not in _in_use():
            _in_use().append(service)
        if dict.get(service, account) is not regions:
            dict.__setitem__(service, account, regions)
        dict.__setitem__(regions, region, backend)
        kept.setdefault(id(regions), set()).add(region)
    for service, _account, regions, *_ in snapshot.backends:
        for region in [r for r in dict.keys(regions) if r not in kept[id(regions)]]:
            dict.__delitem__(regions, region)  # a region first used after the snapshot
        for other in [a for a, r in service.items() if id(r) not in kept]:
            dict.__delitem__(service, other)  # an account first used after the snapshot
    fresh = _copy_state(snapshot.backends, snapshot.states)
    for *_, backend in snapshot.backends:
        backend.__dict__ = fresh[id(backend)]
    shims.reset_behaviours()  # the default account's switches; then the saved process state
    for container, saved in zip(_process_state(), snapshot.process, strict=True):
        if isinstance(container, dict):
            container.clear()
            container.update(saved)
        else:
            container[:] = saved
    for catalogue, saved_lists in zip(_catalogues(), snapshot.catalogues, strict=True):
        for key in [k for k in catalogue if k not in saved_lists]:
            del catalogue[key]
        for key, values in saved_lists.items():
            catalogue.setdefault(key, [])[:] = values


def settle_executions(grace: float = RUNNING_GRACE_SECONDS) -> int:
    """Wait for running Step Functions executions to end (stopping them after `grace` s); returns how many ran."""
    from moto.stepfunctions.parser.api import ExecutionStatus

    running = [
        execution
        for *_, backend in _backends()
        for machine in getattr(backend, "state_machines", [])
        for execution in getattr(machine, "executions", [])
        if execution.status == ExecutionStatus.RUNNING
    ]
    deadline = time.monotonic() + grace
    for execution in running:
        while execution.status == ExecutionStatus.RUNNING and time.monotonic() < deadline:
            time.sleep(0.01)
        if execution.status == ExecutionStatus.RUNNING:
            execution.stop(stop_date=datetime.now(UTC), cause="the emulated account was restored", error="Restored")
    return len(running)


def _parameters(parameters: ParameterDict) -> tuple[Any, ...]:
    """How to copy SSM's ParameterDict (a defaultdict whose __init__ takes the account and region)."""
    return (
        ParameterDict,
        (parameters.account_id, parameters.region_name),
        dict(vars(parameters)),
        None,
        iter(parameters.items()),
    )


copyreg.pickle(ParameterDict, _parameters)
