"""What is left of the stack in a region, and what keeps its network from being deleted.

A decommission (and `p2pctl teardown`) must end with nothing left to bill, or say what is left and
why. Three kinds of thing can be left:
- the stack's own resources, found by tag (`observe.discover`, every type of the registry), the group's scheduled
  actions going with the group;
- the stack's own instances outside any group (detached by hand): they carry the stack's tags from
  the launch template, so they are found by tag and terminated; AWS terminates asynchronously, so
  the VPC waits until they are gone;
- resources the stack did not make, in its VPC (a hand-made subnet, ENI, instance, security group,
  route table or gateway): never deleted here, but named with the command that removes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from p2p_core.reconciler.context import RegionContext
from p2p_core.resources.kind import Found
from p2p_core.resources.registry import REGISTRY

ALIVE = ("pending", "running", "stopping", "stopped", "shutting-down")
TERMINATING = "shutting-down"


@dataclass(frozen=True)
class Leftover:
    """One resource left in a region: ours (the next pass deletes it) or not (`fix` removes it)."""

    kind: str
    resource_id: str
    ours: bool = True
    state: str = ""
    fix: str = ""

    def words(self) -> str:
        """The resource in operator words, with its state or the command that removes it."""
        text = f"{self.kind} {self.resource_id}" + (f" ({self.state})" if self.state else "")
        return text if self.ours else f"{text}, not made by the stack: {self.fix}"


def own_instances(ctx: RegionContext) -> list[dict[str, Any]]:
    """The stack's instances not yet terminated, in or out of a group (found by the tags they launch with)."""
    wanted = [*ctx.filters(), {"Name": "instance-state-name", "Values": list(ALIVE)}]
    pages = ctx.ec2.get_paginator("describe_instances").paginate(Filters=wanted)
    found = [i for page in pages for r in page["Reservations"] for i in r["Instances"]]
    return sorted(found, key=lambda i: str(i["InstanceId"]))


def terminate_own_instances(ctx: RegionContext, found: Found) -> None:
    """Terminate the stack's instances outside its groups (a group being deleted takes its own with it)."""
    in_groups = {i["InstanceId"] for group in found.asgs for i in group.get("Instances", [])}
    ids = [
        i["InstanceId"]
        for i in own_instances(ctx)
        if i["State"]["Name"] != TERMINATING and i["InstanceId"] not in in_groups
    ]
    if ids:
        ctx.ec2.terminate_instances(InstanceIds=ids)
        ctx.did(f"terminated instance(s) outside the group: {', '.join(ids)}")


def managed_leftovers(found: Found, instances: list[dict[str, Any]]) -> list[Leftover]:
    """The stack's own resources in `found` (in reverse registry order), and its live instances, as leftovers."""
    left = [Leftover("instance", i["InstanceId"], state=i["State"]["Name"]) for i in instances]
    for kind in reversed(REGISTRY):
        left += [
            Leftover(
                kind.words, str(raw[kind.id_field]), state=raw.get(kind.state_field, "") if kind.state_field else ""
            )
            for raw in found.of(kind.key)
        ]
    return left


def foreign_in_vpcs(ctx: RegionContext, found: Found) -> list[Leftover]:
    """What the stack did not make inside its VPCs, each with the aws command that removes it."""
    vpc_ids = [v["VpcId"] for v in found.vpcs]
    if not vpc_ids:
        return []
    ec2, in_vpc, region = ctx.ec2, [{"Name": "vpc-id", "Values": vpc_ids}], ctx.region
    own = {i for kind in REGISTRY if kind.in_vpcs is not None for i in kind.ids(found)}
    left: list[Leftover] = []
    stack_tagged = {k: v for k, v in ctx.tag_map().items() if k != "Name"}
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[*in_vpc, {"Name": "instance-state-name", "Values": list(ALIVE)}]
    )
    for instance in (i for page in pages for r in page["Reservations"] for i in r["Instances"]):
        tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
        if any(tags.get(k) != v for k, v in stack_tagged.items()):
            iid = instance["InstanceId"]
            fix = f"aws ec2 terminate-instances --instance-ids {iid} --region {region}"
            left.append(Leftover("instance", iid, ours=False, state=instance["State"]["Name"], fix=fix))
    for eni in ec2.describe_network_interfaces(Filters=in_vpc)["NetworkInterfaces"]:
        if not eni.get("Attachment", {}).get("InstanceId"):  # an instance's own interface goes with it
            eni_id = eni["NetworkInterfaceId"]
            fix = f"aws ec2 delete-network-interface --network-interface-id {eni_id} --region {region}"
            left.append(Leftover("network interface", eni_id, ours=False, fix=fix))
    for kind in REGISTRY:  # the subnets, route tables, groups and gateways of the VPC the stack did not make
        if kind.in_vpcs is not None:
            left += [
                Leftover(kind.words, resource_id, ours=False, fix=fix)
                for resource_id, fix in kind.in_vpcs(ctx, vpc_ids)
                if resource_id not in own
            ]
    return left
