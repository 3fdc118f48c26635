"""Each function's role as template.yaml defines it, after the SAM transform: its inline and managed policies.

Read from the template the emulator deploys (not from moto's IAM, whose CloudFormation drops
`ManagedPolicyArns`), with every intrinsic function resolved to the deployed stack's values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from p2p_emulator.iam.enforce import Principal, Statement

Resolve = Callable[[Any], Any]
ManagedPolicy = Callable[[str], dict[str, Any] | None]


class PolicyNotFound(Exception):
    """A managed policy ARN the emulator cannot read: the role would be evaluated wrongly, so deploying stops."""


def function_principals(
    template: Mapping[str, Any],
    resolve: Resolve,
    function_names: Mapping[str, str],
    role_arns: Mapping[str, str],
    aws_managed: ManagedPolicy,
    role_property: str = "Role",
) -> list[Principal]:
    """One Principal per function (or state machine, `role_property` "RoleArn"): `function_names` and `role_arns`
    map logical ids to the deployed names."""
    resources: Mapping[str, Any] = template["Resources"]
    principals = []
    for logical, function_name in function_names.items():
        role_ref = resources[logical]["Properties"][role_property]
        role_logical = role_ref["Fn::GetAtt"][0] if isinstance(role_ref, dict) else None
        if role_logical is None:
            raise PolicyNotFound(f"{logical} has no role from this template ({role_ref!r})")
        principals.append(role_principal(template, resolve, role_logical, function_name, role_arns, aws_managed))
    return principals


def role_principal(
    template: Mapping[str, Any],
    resolve: Resolve,
    role_logical: str,
    name: str,
    role_arns: Mapping[str, str],
    aws_managed: ManagedPolicy,
) -> Principal:
    """The role `role_logical` as a Principal named `name` (a function, a state machine, a service's role)."""
    resources: Mapping[str, Any] = template["Resources"]
    role = resources[role_logical]["Properties"]
    statements: list[Statement] = []
    for policy in role.get("Policies", []):
        statements += _statements(str(policy["PolicyName"]), resolve(policy["PolicyDocument"]))
    for reference in role.get("ManagedPolicyArns", []):
        managed_name, document = _managed(reference, resources, resolve, aws_managed)
        statements += _statements(managed_name, document)
    return Principal(name, role_arns[role_logical], statements)


def _managed(
    reference: Any, resources: Mapping[str, Any], resolve: Resolve, aws_managed: ManagedPolicy
) -> tuple[str, dict[str, Any]]:
    if isinstance(reference, dict) and "Ref" in reference and reference["Ref"] in resources:
        logical = reference["Ref"]
        return logical, resolve(resources[logical]["Properties"]["PolicyDocument"])
    arn = str(resolve(reference))
    document = aws_managed(arn)
    if document is None:
        raise PolicyNotFound(f"managed policy {arn} is unknown to the emulator")
    return arn.rsplit("/", 1)[-1], document


def _statements(policy: str, document: Mapping[str, Any]) -> list[Statement]:
    found = document.get("Statement", [])
    items = [found] if isinstance(found, dict) else list(found)
    return [Statement(f"{policy}/{s.get('Sid') or f'#{i}'}", s) for i, s in enumerate(items)]
