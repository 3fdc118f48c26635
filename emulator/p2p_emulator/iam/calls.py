"""One API call as the caller made it, the resources its authorization requests name, and their ARNs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from p2p_emulator.iam import reference
from p2p_emulator.iam.live import Tags


@dataclass(frozen=True)
class Call:
    """One API call as the caller made it."""

    service: str  # IAM service prefix: ec2, autoscaling, logs, ...
    operation: str
    params: Mapping[str, Any]
    region: str
    account: str


@dataclass(frozen=True)
class Target:
    """A resource of the request: its ARN and live tags (None: it does not exist yet)."""

    arn: str
    tags: Tags | None = None


def arn(call: Call, service: str, resource_type: str, *parts: str) -> str:
    """The ARN of a resource from the reference's ARN format: `parts` fill its variables in order, `*` the rest."""
    text = reference.arn_format(service, resource_type)
    text = text.replace("${Partition}", "aws").replace("${Region}", call.region).replace("${Account}", call.account)
    values = iter(parts)
    return re.sub(r"\$\{[^}]+\}", lambda _: next(values, "*"), text)
