"""The rendered CloudFront Function, run in node: every header round-trips byte for byte; 404 elsewhere."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from p2p_core.config import parse_config
from p2p_core.control_center.headers import control_center_headers
from p2p_core.control_center.render import (
    MAX_CODE_BYTES,
    MAX_HEADER_BYTES,
    ControlCenterError,
    check_headers,
    render_function,
)
from p2p_core.models.window import Window
from p2p_emulator.cloudfront import (
    ControlCenterServer,
    NodeFunctionRunner,
    response_headers,
    viewer_request_event,
)

SECRET = "/cc-3f9a1c"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TRICKY = {
    "single-quote": "it's",
    "double-quote": 'say "hi"',
    "backslash": "C:\\path\\n not a newline \\u0041",
    "backtick": "`rm -rf /` and ${x} and #{y}",
    "script": "</script><script>alert(1)</script>",
    "template": "${process.exit(1)}",
    "js-break": '"; throw new Error("x"); var y = "',
    "unicode": "ünïcödé ☃ 𝄞 日本語 \u2028 \u2029 end",
    "kilobyte": ("0123456789abcdef" * 64),
    "spaces": "  leading and trailing  ",
    "dash": "-",
    "empty": "",
}


@pytest.fixture(scope="module")
def node() -> Iterator[NodeFunctionRunner]:
    with NodeFunctionRunner() as runner:
        yield runner


def serve(node: NodeFunctionRunner, code: str, uri: str, method: str = "HEAD") -> dict[str, object]:
    return node.run(code, viewer_request_event(method, uri, {"host": "d111.cloudfront.net"}))


def curl_headers(node: NodeFunctionRunner, code: str) -> dict[str, str]:
    """What an agent reads: `curl -sI` against the function served over HTTP, its `cc-` lines parsed."""
    with ControlCenterServer(lambda: code, runner=node) as running:
        shown = subprocess.run(["curl", "-sI", running.url + SECRET], capture_output=True, timeout=30, check=True)
    parsed = {}
    for line in shown.stdout.decode().split("\r\n"):
        name, _, value = line.partition(": ")
        if name.startswith("cc-"):
            parsed[name] = value
    return parsed


def test_every_header_of_a_config_round_trips_through_node() -> None:
    config = parse_config(
        {
            "desired_capacity": {"all": 1, "aws": {"eu-central-1": 3}},
            "start_time": "2026-12-01T08:00:00Z",
            "run_duration": "2 hours",
            "agent": {"repository": "https://github.com/example/agent.git", "main_run": "site.yml"},
            "control_center": {"extra_headers": {"cc-a-network": "mainnet"}},
        }
    )
    headers = control_center_headers(config, Window(start=datetime(2026, 12, 1, 8, tzinfo=UTC), stop=None))
    with NodeFunctionRunner() as node:
        result = serve(node, render_function(headers, SECRET), SECRET)
    assert result["statusCode"] == 200
    assert response_headers(result) == headers
    assert headers["cc-a-network"] == "mainnet"
    assert headers["cc-a-main-run"] == "site.yml"


@pytest.mark.parametrize("label", sorted(TRICKY))
def test_tricky_values_round_trip_byte_for_byte(node: NodeFunctionRunner, label: str) -> None:
    headers = {"cc-a-type": "ansible", f"cc-x-{label}": TRICKY[label], "cc-a-last": "still here"}
    code = render_function(headers, SECRET)
    result = serve(node, code, SECRET)
    served = response_headers(result)
    assert served == headers
    assert curl_headers(node, code) == headers
    assert [name for name in served] == list(headers)  # order kept, nothing injected


def test_all_tricky_values_at_once(node: NodeFunctionRunner) -> None:
    headers = {f"cc-x-{label}": value for label, value in TRICKY.items()}
    assert response_headers(serve(node, render_function(headers, SECRET), SECRET)) == headers


@pytest.mark.parametrize("uri", ["/", "/cc", SECRET + "/", SECRET.upper(), SECRET + "x", "/favicon.ico"])
def test_other_paths_get_404_without_headers(node: NodeFunctionRunner, uri: str) -> None:
    result = serve(node, render_function({"cc-a-type": "ansible"}, SECRET), uri)
    assert result["statusCode"] == 404
    assert response_headers(result) == {}


def test_disabled_control_center_answers_404_even_on_the_secret_path(node: NodeFunctionRunner) -> None:
    result = serve(node, render_function({"cc-a-type": "ansible"}, SECRET, enabled=False), SECRET)
    assert result["statusCode"] == 404


def test_get_and_head_answer_alike(node: NodeFunctionRunner) -> None:
    code = render_function({"cc-a-type": "shell"}, SECRET)
    assert serve(node, code, SECRET, "GET") == serve(node, code, SECRET, "HEAD")


def test_code_over_10_kb_is_rejected_before_any_aws_call() -> None:
    headers = {f"cc-x-{i}": "v" * 900 for i in range(12)}
    with pytest.raises(ControlCenterError, match=rf"over CloudFront's {MAX_CODE_BYTES}-byte function limit"):
        render_function(headers, SECRET)


def test_code_just_under_the_limit_is_accepted() -> None:
    base = len(render_function({"cc-x-a": ""}, SECRET).encode())
    code = render_function({"cc-x-a": "v" * (MAX_CODE_BYTES - base)}, SECRET)
    assert len(code.encode()) == MAX_CODE_BYTES


def test_header_block_over_cloudfront_limit_is_rejected() -> None:
    headers = {f"cc-x-{i}": "é" * 1000 for i in range(11)}  # 22 KB of UTF-8 on the wire
    with pytest.raises(ControlCenterError, match=rf"over CloudFront's {MAX_HEADER_BYTES}-byte limit"):
        check_headers(headers)


@pytest.mark.parametrize("name", ["CC-A-TYPE", "x-cc-a", "cc_a_type", "cc-", "cc-a type", "cc-a:b"])
def test_header_names_outside_cc_pattern_are_rejected(name: str) -> None:
    with pytest.raises(ControlCenterError, match="must match cc-"):
        render_function({name: "v"}, SECRET)


@pytest.mark.parametrize(("value", "label"), [("a\rb", "CR"), ("a\nb", "LF"), ("a\0b", "NUL")])
def test_control_characters_in_values_are_rejected_naming_the_header(value: str, label: str) -> None:
    with pytest.raises(ControlCenterError, match=rf"header cc-a-main-run: value contains {label}"):
        render_function({"cc-a-main-run": value}, SECRET)


def test_secret_path_must_be_absolute() -> None:
    with pytest.raises(ControlCenterError, match="secret path must start with '/'"):
        render_function({}, "cc-secret")


def test_served_over_http_curl_sees_every_value(node: NodeFunctionRunner) -> None:
    headers = {f"cc-x-{label}": value for label, value in TRICKY.items()}
    code = render_function(headers, SECRET)
    with ControlCenterServer(lambda: code, runner=node) as server:
        out = subprocess.run(["curl", "-sI", server.url + SECRET], capture_output=True, check=True).stdout
        missing = subprocess.run(["curl", "-sI", server.url + "/nope"], capture_output=True, check=True).stdout
    lines = out.decode("utf-8").split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    seen = dict(line.split(": ", 1) for line in lines[1:] if line.startswith("cc-"))
    assert seen == headers
    assert missing.decode().startswith("HTTP/1.1 404")


def test_server_answers_503_while_no_function_is_published(node: NodeFunctionRunner) -> None:
    with ControlCenterServer(lambda: None, runner=node) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as conn:
            conn.sendall(f"HEAD {SECRET} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert conn.recv(100).startswith(b"HTTP/1.1 503")
