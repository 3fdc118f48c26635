"""What IAM reads from the account itself: the live tags of existing resources and the launch template in use.

Read with the emulator's own unenforced clients (as AWS reads its own state), never with the
caller's, so these reads neither need the caller's permissions nor count as the caller's calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from p2p_core.aws.clients import ClientFactory

Tags = dict[str, str]


@dataclass(frozen=True)
class LaunchTemplate:
    """A launch template version as Auto Scaling would launch it."""

    template_id: str
    tags: Tags
    data: dict[str, Any]


class LiveState:
    """Reads of the emulated account made on behalf of IAM (one instance per endpoint)."""

    def __init__(self, clients: ClientFactory) -> None:
        self._clients = clients

    def ec2_tags(self, region: str, resource_id: str) -> Tags | None:
        """Tags of an EC2 resource by id; None when no such resource is known (a new or unknown id)."""
        ec2 = self._clients.client("ec2", region)
        found = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [resource_id]}])["Tags"]
        if found:
            return {t["Key"]: t["Value"] for t in found}
        return {} if self._ec2_exists(region, resource_id) else None

    def _ec2_exists(self, region: str, resource_id: str) -> bool:
        describe = {
            "vpc-": ("describe_vpcs", "VpcIds"),
            "subnet-": ("describe_subnets", "SubnetIds"),
            "sg-": ("describe_security_groups", "GroupIds"),
            "igw-": ("describe_internet_gateways", "InternetGatewayIds"),
            "rtb-": ("describe_route_tables", "RouteTableIds"),
            "lt-": ("describe_launch_templates", "LaunchTemplateIds"),
            "i-": ("describe_instances", "InstanceIds"),
        }
        for prefix, (operation, key) in describe.items():
            if resource_id.startswith(prefix):
                try:
                    getattr(self._clients.client("ec2", region), operation)(**{key: [resource_id]})
                except ClientError:
                    return False
                return True
        return False

    def association(self, region: str, association_id: str) -> tuple[str, str | None] | None:
        """(route table id, subnet id) of a route table association, as AWS resolves it to authorize."""
        ec2 = self._clients.client("ec2", region)
        flt = [{"Name": "association.route-table-association-id", "Values": [association_id]}]
        for table in ec2.describe_route_tables(Filters=flt)["RouteTables"]:
            for found in table.get("Associations", []):
                if found.get("RouteTableAssociationId") == association_id:
                    return str(table["RouteTableId"]), found.get("SubnetId")
        return None

    def cidr_association(self, region: str, association_id: str) -> str | None:
        """The VPC or subnet holding a CIDR block association (IPv4 or IPv6), as AWS resolves it to authorize."""
        ec2 = self._clients.client("ec2", region)
        held = [*ec2.describe_vpcs()["Vpcs"], *ec2.describe_subnets()["Subnets"]]
        for item in held:
            sets = item.get("CidrBlockAssociationSet", []) + item.get("Ipv6CidrBlockAssociationSet", [])
            if any(a.get("AssociationId") == association_id for a in sets):
                return str(item.get("SubnetId") or item["VpcId"])
        return None

    def auto_scaling_group(self, region: str, name: str) -> dict[str, Any] | None:
        """The group's description (ARN, tags, subnets), or None."""
        groups = self._clients.client("autoscaling", region).describe_auto_scaling_groups(AutoScalingGroupNames=[name])
        found: list[dict[str, Any]] = groups["AutoScalingGroups"]
        return found[0] if found else None

    def log_group_tags(self, region: str, arn: str) -> Tags | None:
        """Tags of a log group, or None when it does not exist."""
        try:
            found = self._clients.client("logs", region).list_tags_for_resource(resourceArn=arn)
        except ClientError:
            return None
        return dict(found.get("tags", {}))

    def parameter_tags(self, region: str, name: str) -> Tags | None:
        """Tags of an SSM parameter, or None when it does not exist."""
        ssm = self._clients.client("ssm", region)
        try:
            found = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)
        except ClientError:
            return None
        return {t["Key"]: t["Value"] for t in found.get("TagList", [])}

    def launch_template(self, region: str, spec: dict[str, Any]) -> LaunchTemplate | None:
        """The version a LaunchTemplate specification names ($Default when none), or None."""
        ec2 = self._clients.client("ec2", region)
        key = {"LaunchTemplateId": spec["LaunchTemplateId"]} if "LaunchTemplateId" in spec else {}
        key = key or {"LaunchTemplateName": spec.get("LaunchTemplateName", "")}
        try:
            version = ec2.describe_launch_template_versions(**key, Versions=[str(spec.get("Version", "$Default"))])
        except ClientError:
            return None
        found = version["LaunchTemplateVersions"]
        if not found:
            return None
        template_id = found[0]["LaunchTemplateId"]
        return LaunchTemplate(template_id, self.ec2_tags(region, template_id) or {}, found[0]["LaunchTemplateData"])

    def instance_profile_roles(self, profile: dict[str, str]) -> list[str]:
        """Role ARNs of an instance profile given by Arn or Name."""
        name = profile.get("Name") or profile.get("Arn", "").rsplit("/", 1)[-1]
        iam = self._clients.client("iam", "us-east-1")
        try:
            roles = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Roles"]
        except ClientError:
            return []
        return [str(r["Arn"]) for r in roles]

    def service_linked_role(self, service: str) -> bool:
        """True when the account has the service-linked role of `service` (e.g. autoscaling.amazonaws.com)."""
        iam = self._clients.client("iam", "us-east-1")
        roles = iam.list_roles(PathPrefix=f"/aws-service-role/{service}/")["Roles"]
        return bool(roles)

    def create_service_linked_role(self, service: str) -> None:
        """What AWS does on a service's first use when the caller may create the role (once, whoever is first)."""
        try:
            self._clients.client("iam", "us-east-1").create_service_linked_role(AWSServiceName=service)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "EntityAlreadyExists":
                raise
