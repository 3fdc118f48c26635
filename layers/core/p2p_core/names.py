"""Names of what the code creates in every region, within AWS's limits for every legal stack name.

A stack name is 1-128 characters of `[a-zA-Z][-a-zA-Z0-9]*`. Every name below keeps the stack name
when it fits and otherwise shortens it with a digest of the whole, so two stacks never share a name.
A name that fits today never changes, so resources of running stacks are not renamed.
"""

from __future__ import annotations

import hashlib

STACK_NAME_LIMIT = 128
LAUNCH_TEMPLATE_NAME_LIMIT = 128  # EC2: 3-128 characters of [a-zA-Z0-9().\-/_]
SECURITY_GROUP_NAME_LIMIT = 255  # EC2: 255 characters, and not starting with "sg-"
AUTO_SCALING_GROUP_NAME_LIMIT = 255
RESERVED_SECURITY_GROUP_PREFIX = "sg-"
_DIGEST_CHARS = 8
_AGENTS = "-agents"


def fit_name(name: str, limit: int) -> str:
    """`name` if it has at most `limit` characters, else its start and a digest of all of it."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_DIGEST_CHARS]
    return f"{name[: limit - _DIGEST_CHARS - 1]}-{digest}"


def _with_suffix(base: str, suffix: str, limit: int) -> str:
    return fit_name(base, limit - len(suffix)) + suffix


def agents_name(stack: str) -> str:
    """The region's Auto Scaling group and the `Name` tag of its resources."""
    return _with_suffix(stack, _AGENTS, AUTO_SCALING_GROUP_NAME_LIMIT)


def launch_template_name(stack: str) -> str:
    """The region's launch template."""
    return _with_suffix(stack, _AGENTS, LAUNCH_TEMPLATE_NAME_LIMIT)


def security_group_name(stack: str) -> str:
    """The agents' security group; EC2 keeps names starting with "sg-" for group ids."""
    base = f"p2p-{stack}" if stack.lower().startswith(RESERVED_SECURITY_GROUP_PREFIX) else stack
    return _with_suffix(base, _AGENTS, SECURITY_GROUP_NAME_LIMIT)


def agents_log_group(stack: str) -> str:
    """The agents' CloudWatch log group; at most 140 characters, so it keeps the stack name whole
    (template.yaml grants `/p2p/<stack>/*`)."""
    return f"/p2p/{stack}/agents"
