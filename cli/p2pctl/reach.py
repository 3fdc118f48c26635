"""Can IPv6-only agents (`network.public_ipv4: false`) reach what they fetch? `p2pctl doctor`'s reach check.

Agents without a public IPv4 address reach only hosts with an IPv6 address (the VPC has no NAT64):
`ansible-pull` of `agent.repository` from a host without an AAAA record (github.com, today) fails on
every run. The check resolves the repository's host over IPv6 with an injected resolver
(`socket.getaddrinfo` by default), so tests never touch DNS.
"""

from __future__ import annotations

import re
import socket
import urllib.parse
from collections.abc import Callable
from typing import Any

from p2p_core.config import ConfigItem
from p2pctl.doctor_checks import Check

Resolver = Callable[..., list[tuple[Any, ...]]]
_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?([^:/]+):(?!//)")  # git@github.com:org/repo.git
_NO_ADDRESS = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
FIX = "host agent.repository where it has an IPv6 address, or: p2pctl config set network.public_ipv4 true"


def repository_host(repository: str) -> str | None:
    """The host of a git URL (https://, ssh://, git@host:path), or None when there is none."""
    if "://" in repository:
        return urllib.parse.urlsplit(repository).hostname
    match = _SCP_LIKE.match(repository)
    return match.group(1) if match else None


def repository_reach(config: ConfigItem, resolve: Resolver = socket.getaddrinfo) -> Check | None:
    """⚠ when IPv6-only agents could not reach `agent.repository`'s host; None when agents have public IPv4."""
    if config.network.public_ipv4:
        return None
    repository = config.agent.repository
    if repository == "-":
        return Check("agents", "repository over IPv6", "ok", "no agent.repository to fetch")
    host = repository_host(repository)
    if host is None:
        return Check("agents", "repository over IPv6", "warn", f"cannot tell the host of {repository!r}", FIX)
    try:
        found = resolve(host, 443, socket.AF_INET6, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if exc.errno in _NO_ADDRESS:
            detail = (
                f"{host} has no IPv6 address (no AAAA record): agents without public IPv4 "
                "(network.public_ipv4 false) cannot fetch agent.repository"
            )
            return Check("agents", "repository over IPv6", "warn", detail, FIX)
        detail = f"could not resolve {host} over IPv6 ({exc.strerror or exc}): cannot tell whether agents reach it"
        return Check("agents", "repository over IPv6", "warn", detail)
    except OSError as exc:
        detail = f"could not resolve {host} over IPv6 ({exc}): cannot tell whether agents reach it"
        return Check("agents", "repository over IPv6", "warn", detail)
    address = found[0][4][0] if found else "?"
    return Check("agents", "repository over IPv6", "ok", f"{host} has an IPv6 address ({address})")
