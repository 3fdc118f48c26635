"""A quiet check's reads of one region (`p2p_core.verification`): the group and the security groups, 2 calls."""

from __future__ import annotations

from typing import NamedTuple

from p2p_core.aws.clients import ClientFactory
from p2p_core.models.deployment import Deployment
from p2p_core.models.observed import ObservedAsg
from p2p_core.reconciler.context import RegionContext
from p2p_core.resources.auto_scaling_group import asg_of, find_asgs, live_asgs
from p2p_core.resources.security_group import security_group_of
from p2p_core.verification import fingerprint


class QuietRead(NamedTuple):
    """What a quiet check read of one region."""

    fingerprint: str
    asg: ObservedAsg | None


def quiet_read(clients: ClientFactory, deployment: Deployment, region: str) -> QuietRead | None:
    """The region's group and security groups as they are now; None when they could not be read (the region is
    then verified fully)."""
    ctx = RegionContext.build(clients, deployment, region)
    try:
        groups = live_asgs(find_asgs(ctx))
        security_groups = ctx.ec2.describe_security_groups(Filters=ctx.filters())["SecurityGroups"]
    except Exception:  # whatever the reason, the full observation that follows reads it again and names it
        return None
    asg = asg_of(groups[0]) if groups else None
    return QuietRead(fingerprint(asg, [security_group_of(g) for g in security_groups]), asg)
