"""Publish the rendered function: compare with LIVE; if different, UpdateFunction then PublishFunction with ETags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RUNTIME = "cloudfront-js-2.0"
COMMENT = "p2p control center (rewritten by the workflow from the config item)"


@dataclass
class PublishResult:
    """Whether the LIVE code changed, and the API calls made (in order)."""

    changed: bool
    calls: list[str] = field(default_factory=list)


def live_code(cloudfront: Any, name: str) -> str | None:
    """The code LIVE serves, or None when the function was never published."""
    try:
        body = cloudfront.get_function(Name=name, Stage="LIVE")["FunctionCode"]
    except cloudfront.exceptions.NoSuchFunctionExists:
        return None
    text: str = body.read().decode()
    return text


def publish_function(cloudfront: Any, name: str, code: str) -> PublishResult:
    """Make LIVE serve `code`; zero mutating calls when it already does. Retries once on a stale ETag."""
    result = PublishResult(changed=False)
    for attempt in range(2):
        result.calls.append("GetFunction")
        if live_code(cloudfront, name) == code:
            return result
        result.calls.append("DescribeFunction")
        etag = cloudfront.describe_function(Name=name, Stage="DEVELOPMENT")["ETag"]
        try:
            result.calls.append("UpdateFunction")
            updated = cloudfront.update_function(
                Name=name,
                IfMatch=etag,
                FunctionConfig={"Comment": COMMENT, "Runtime": RUNTIME},
                FunctionCode=code.encode(),
            )
            result.calls.append("PublishFunction")
            cloudfront.publish_function(Name=name, IfMatch=updated["ETag"])
        except cloudfront.exceptions.PreconditionFailed:
            if attempt:  # someone else keeps changing it: let the run fail and the next one retry
                raise
            continue
        result.changed = True
        return result
    return result
