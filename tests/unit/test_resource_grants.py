"""template.yaml's region policies are exactly the IAM grants the resource types name beside themselves."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from p2p_core.resources.kind import OBSERVE_POLICY, RECONCILE_POLICY, Grant
from p2p_core.resources.registry import REGION_GRANTS, REGISTRY
from p2p_emulator.template import load_template

ROOT = Path(__file__).resolve().parents[2]
RESOURCES: dict[str, dict[str, Any]] = load_template(ROOT / "template.yaml")["Resources"]

Shape = tuple[frozenset[str], frozenset[str], frozenset[str]]  # actions, EC2 ARN resource types, ec2:CreateAction


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _ec2_arn_type(resource: Any) -> str | None:
    text = resource.get("Fn::Sub", "") if isinstance(resource, dict) else str(resource)
    return text.rsplit(":", 1)[-1] if ":ec2:" in text else None


def template_statements(policy: str) -> dict[str, Shape]:
    """Each statement by Sid (or position): its actions, the EC2 resource types it lists, its CreateAction values."""
    out = {}
    for index, statement in enumerate(RESOURCES[policy]["Properties"]["PolicyDocument"]["Statement"]):
        types = {t for r in _listed(statement["Resource"]) if (t := _ec2_arn_type(r)) is not None}
        creating = statement.get("Condition", {}).get("StringEquals", {}).get("ec2:CreateAction", [])
        out[statement.get("Sid", f"#{index}")] = (
            frozenset(_listed(statement["Action"])),
            frozenset(types),
            frozenset(creating),
        )
    return out


def granted(policy: str, grants: tuple[Grant, ...]) -> dict[str, Shape]:
    """The union of the grants into each statement of the policy."""
    actions: dict[str, set[str]] = defaultdict(set)
    types: dict[str, set[str]] = defaultdict(set)
    creating: dict[str, set[str]] = defaultdict(set)
    for grant in (g for g in grants if g.policy == policy):
        actions[grant.sid] |= set(grant.actions)
        types[grant.sid] |= set(grant.resources)
        creating[grant.sid] |= set(grant.create_actions)
    return {sid: (frozenset(actions[sid]), frozenset(types[sid]), frozenset(creating[sid])) for sid in actions}


def test_the_region_policies_are_the_union_of_the_resource_types_grants() -> None:
    every = tuple(g for kind in REGISTRY for g in kind.grants) + REGION_GRANTS
    for policy in (OBSERVE_POLICY, RECONCILE_POLICY):
        assert template_statements(policy) == granted(policy, every), policy


def test_every_resource_type_names_its_reads_and_its_changes() -> None:
    for kind in REGISTRY:
        policies = {g.policy for g in kind.grants}
        assert policies == {OBSERVE_POLICY, RECONCILE_POLICY}, kind.words


def test_a_statement_missing_from_a_resource_type_is_caught() -> None:
    security_group = next(kind for kind in REGISTRY if kind.words == "security group")
    without = tuple(g for kind in REGISTRY if kind is not security_group for g in kind.grants) + REGION_GRANTS
    wanted, got = template_statements(RECONCILE_POLICY), granted(RECONCILE_POLICY, without)
    assert "ec2:AuthorizeSecurityGroupIngress" in wanted["ChangeOwnNetworkAndTemplates"][0]
    assert "ec2:AuthorizeSecurityGroupIngress" not in got["ChangeOwnNetworkAndTemplates"][0]
