"""One TLS context per process: the CA bundle is loaded once, and certificates are still checked."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import SSLError

from benchmarks.https_stub import Authority, https_server
from p2p_core.aws.clients import ClientFactory

NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=5)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every CA bundle load in this process, counted."""
    seen: list[Any] = []
    original = ssl.SSLContext.load_verify_locations

    def counting(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        seen.append(args or kwargs)
        original(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    return seen


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def _list_tables(port: int, host: str = "localhost") -> Any:
    clients = ClientFactory(endpoint_url=f"https://{host}:{port}", config=NO_RETRY)
    return clients.client("dynamodb", "eu-central-1").list_tables()


def test_new_connections_load_the_ca_bundle_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: list[Any]):
    ca = Authority(tmp_path, "trusted")
    monkeypatch.setenv("AWS_CA_BUNDLE", str(ca.bundle))
    with https_server(*ca.server_files("localhost"), close_each=True) as port:
        answers = [_list_tables(port) for _ in range(5)]  # five factories, five clients, five connections
    assert all(answer["TableNames"] == [] for answer in answers)
    assert [load for load in loads if str(ca.bundle) in str(load)] == [{"cafile": str(ca.bundle)}]


def test_a_certificate_from_an_untrusted_authority_still_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    trusted, stranger = Authority(tmp_path, "trusted"), Authority(tmp_path, "stranger")
    monkeypatch.setenv("AWS_CA_BUNDLE", str(trusted.bundle))
    with https_server(*stranger.server_files("localhost"), close_each=False) as port, pytest.raises(SSLError):
        _list_tables(port)


def test_a_certificate_for_another_host_still_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    ca = Authority(tmp_path, "trusted")
    monkeypatch.setenv("AWS_CA_BUNDLE", str(ca.bundle))
    with https_server(*ca.server_files("other.example"), close_each=False) as port:
        assert _list_tables(port, host="127.0.0.1")["TableNames"] == []  # the name it was issued for
        with pytest.raises(SSLError):
            _list_tables(port, host="localhost")


def test_an_unverified_client_leaves_the_shared_context_verifying(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    trusted, stranger = Authority(tmp_path, "trusted"), Authority(tmp_path, "stranger")
    monkeypatch.setenv("AWS_CA_BUNDLE", str(trusted.bundle))
    with https_server(*stranger.server_files("localhost"), close_each=True) as port:
        _list_tables_unverified = boto3.Session().client(
            "dynamodb", region_name="eu-central-1", endpoint_url=f"https://localhost:{port}", verify=False
        )
        assert _list_tables_unverified.list_tables()["TableNames"] == []
        with pytest.raises(SSLError):
            _list_tables(port)
