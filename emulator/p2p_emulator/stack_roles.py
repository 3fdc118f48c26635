"""The deployed stack's roles, enforced by the emulator as AWS enforces them (emulator/iam).

Each function's calls are authorized against its role, each state machine's tasks against its role, the
Scheduler's and the Pipe's stand-ins against theirs, and every call signed with the instance role's
credentials (the agents, from IMDS) against AgentRole.
"""

from __future__ import annotations

from typing import Any

from p2p_emulator import iam, shims
from p2p_emulator.template import Resolver

AGENT_ROLE = "AgentRole"


def enforce_roles(
    for_moto: dict[str, Any],
    transformed: dict[str, Any],
    resolve: Resolver,
    function_names: dict[str, str],
    machine_names: dict[str, str],
) -> dict[str, iam.Principal]:
    """Enforce every role of the stack; the principals by logical id (functions, state machines, roles)."""
    principals = _enforce_roles(for_moto, resolve, function_names)
    principals.update(_state_machine_roles(transformed, resolve, machine_names))
    principals.update(_service_roles(transformed, resolve))
    principals[AGENT_ROLE] = agent_role(transformed, resolve)
    iam.instance_role(principals[AGENT_ROLE])
    return principals


def agent_role(template: dict[str, Any], resolve: Resolver) -> iam.Principal:
    """The agents' instance role, named as AWS names its session (after the instance)."""
    roles = _role_arns(template, resolve)
    return iam.role_principal(template, resolve, AGENT_ROLE, iam.INSTANCE_ID, roles, shims.aws_managed_policy)


def first(template: dict[str, Any], kind: str) -> dict[str, Any]:
    """The properties of the template's first resource of type `kind`."""
    props: dict[str, Any] = next(r["Properties"] for r in template["Resources"].values() if r["Type"] == kind)
    return props


def _role_arns(template: dict[str, Any], resolve: Resolver) -> dict[str, str]:
    resources = template["Resources"]
    return {k: resolve({"Fn::GetAtt": [k, "Arn"]}) for k, r in resources.items() if r["Type"] == "AWS::IAM::Role"}


def _enforce_roles(template: dict[str, Any], resolve: Resolver, names: dict[str, str]) -> dict[str, iam.Principal]:
    """Authorize each function's calls against its role as the (transformed) template defines it."""
    roles = _role_arns(template, resolve)
    principals = iam.function_principals(template, resolve, names, roles, shims.aws_managed_policy)
    iam.enforce(principals)
    by_name = {p.function_name: p for p in principals}
    return {logical: by_name[name] for logical, name in names.items()}


def _state_machine_roles(template: dict[str, Any], resolve: Resolver, arns: dict[str, str]) -> dict[str, iam.Principal]:
    """Each state machine's role, authorizing its Lambda tasks' invokes (shims/task_roles.py)."""
    roles = _role_arns(template, resolve)
    found = iam.function_principals(template, resolve, arns, roles, shims.aws_managed_policy, role_property="RoleArn")
    iam.authorize_state_machines(found)
    return {logical: next(p for p in found if p.function_name == arn) for logical, arn in arns.items()}


def _service_roles(template: dict[str, Any], resolve: Resolver) -> dict[str, iam.Principal]:
    """The Scheduler's and the Pipe's roles (by role logical id), which the local stand-ins act as."""
    roles = _role_arns(template, resolve)
    used = [
        first(template, "AWS::Scheduler::Schedule")["Target"]["RoleArn"],
        first(template, "AWS::Pipes::Pipe")["RoleArn"],
    ]
    found = {}
    for reference in used:
        logical = reference["Fn::GetAtt"][0]
        found[logical] = iam.role_principal(template, resolve, logical, roles[logical], roles, shims.aws_managed_policy)
    iam.authorize_state_machines(list(found.values()))
    return found
