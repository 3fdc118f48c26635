"""Regions an account has not enabled (opt-in regions), as AWS answers for them.

moto answers in every region and reports most newer regions `not-opted-in` while serving them
anyway. The emulated account instead has every commercial region enabled, except those passed to
`disable_regions`: EC2 `DescribeRegions` (home region) reports them `not-opted-in` (and leaves them
out unless `AllRegions`), and every request to their endpoints fails as AWS fails it for a region
the account cannot use: EC2 `AuthFailure`, query services `InvalidClientTokenId`, JSON services
`UnrecognizedClientException`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from moto.core.common_types import TYPE_RESPONSE
from moto.ec2.models.availability_zones_and_regions import Region

from p2p_core.regions import commercial_regions, is_opt_in, opt_in_regions
from p2p_emulator.shims import wire

_disabled: set[str] = set()
_lock = threading.Lock()

# what AWS answers, per protocol, for a request to a region the account has not enabled
_REFUSALS = {
    "ec2": ("AuthFailure", "AWS was not able to validate the provided access credentials", 401),
    "query": ("InvalidClientTokenId", "The security token included in the request is invalid.", 403),
    "json": ("UnrecognizedClientException", "The security token included in the request is invalid.", 400),
}
_OTHER = ("UnrecognizedClientException", "The security token included in the request is invalid.", 403)


def disable_regions(regions: Iterable[str]) -> list[str]:
    """Mark opt-in regions as not enabled in the account ("opt-in" means all 17); returns them sorted.

    Only opt-in regions can be disabled, as on AWS: asking for another raises ValueError naming it.
    """
    wanted: set[str] = set()
    for name in regions:
        if name == "opt-in":
            wanted |= set(opt_in_regions())
        elif is_opt_in(name):
            wanted.add(name)
        else:
            raise ValueError(f"{name!r} is not an opt-in region (only those can be disabled): {opt_in_regions()}")
    with _lock:
        _disabled.clear()
        _disabled.update(wanted)
    return sorted(wanted)


def disabled_regions() -> list[str]:
    """The regions the emulated account has not enabled."""
    with _lock:
        return sorted(_disabled)


def install() -> None:
    """Answer DescribeRegions for the emulated account and refuse requests to disabled regions."""
    wire.rule(before=_refuse_disabled)
    wire.rule(before=_describe_regions)


def _refuse_disabled(request: wire.Request) -> TYPE_RESPONSE | None:
    if not _disabled or request.region not in _disabled:
        return None
    code, message, status = _REFUSALS.get(request.protocol, _OTHER)
    return request.error(code, message, status)


def opt_in_status(region: str) -> str:
    """`DescribeRegions`' OptInStatus of `region` in the emulated account."""
    if not is_opt_in(region):
        return "opt-in-not-required"
    return "not-opted-in" if region in _disabled else "opted-in"


def _describe_regions(request: wire.Request) -> TYPE_RESPONSE | None:
    if request.service != "ec2" or request.action != "DescribeRegions":
        return None
    params = request.params()
    every = params.get("AllRegions", ["false"])[0].lower() == "true"
    named = {v for k, values in params.items() if k.startswith("RegionName") for v in values}
    found = [
        Region(name, f"ec2.{name}.amazonaws.com", opt_in_status(name))
        for name in commercial_regions()
        if (every or opt_in_status(name) != "not-opted-in") and (not named or name in named)
    ]
    return request.answer({"Regions": found})
