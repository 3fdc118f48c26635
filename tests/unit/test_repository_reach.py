"""`p2pctl doctor` warns when IPv6-only agents (network.public_ipv4 false) could not fetch agent.repository.

The resolver is injected: these tests never touch DNS."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from p2p_core.config import parse_config
from p2pctl.reach import repository_host, repository_reach


def config(repository: str, **network: Any) -> Any:
    return parse_config({"network": {"public_ipv4": False, **network}, "agent": {"repository": repository}})


def answers(address: str) -> Any:
    def resolve(host: str, port: int, family: int, kind: int) -> list[tuple[Any, ...]]:
        assert family == socket.AF_INET6
        return [(family, kind, 6, "", (address, port, 0, 0))]

    return resolve


def fails(errno: int, text: str) -> Any:
    def resolve(*_: Any) -> list[tuple[Any, ...]]:
        raise socket.gaierror(errno, text)

    return resolve


def never(*_: Any) -> list[tuple[Any, ...]]:
    raise AssertionError("resolved although agents have public IPv4")


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://github.com/p2p-way/agents.git", "github.com"),
        ("git@github.com:p2p-way/agents.git", "github.com"),
        ("ssh://git@gitlab.example.org:2222/agents.git", "gitlab.example.org"),
        ("not a url", None),
    ],
)
def test_the_repository_host_is_read_from_every_git_url_form(url: str, host: str | None) -> None:
    assert repository_host(url) == host


def test_no_check_while_agents_have_public_ipv4() -> None:
    assert repository_reach(parse_config({"agent": {"repository": "https://github.com/a/b.git"}}), never) is None


def test_a_host_without_an_aaaa_record_is_a_warning_with_the_fix() -> None:
    check = repository_reach(
        config("https://github.com/a/b.git"), fails(socket.EAI_NONAME, "Name or service not known")
    )
    assert check is not None and check.mark == "warn"
    assert check.detail.startswith("github.com has no IPv6 address (no AAAA record)")
    assert "network.public_ipv4 true" in check.fix


def test_a_host_with_an_ipv6_address_is_ok() -> None:
    check = repository_reach(config("git@gitlab.example.org:a/b.git"), answers("2001:db8::10"))
    assert check is not None and check.mark == "ok"
    assert check.detail == "gitlab.example.org has an IPv6 address (2001:db8::10)"


def test_when_dns_does_not_answer_the_check_says_it_could_not_resolve() -> None:
    check = repository_reach(config("https://github.com/a/b.git"), fails(socket.EAI_AGAIN, "Temporary failure"))
    assert check is not None and check.mark == "warn"
    assert check.detail.startswith("could not resolve github.com over IPv6 (Temporary failure)")


def test_no_repository_means_nothing_to_fetch() -> None:
    check = repository_reach(config("-"), never)
    assert check is not None and check.mark == "ok"
