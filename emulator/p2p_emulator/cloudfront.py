"""Run the rendered CloudFront Function in node, and serve it over HTTP as the local control center.

CloudFront runs the viewer-request function and, when it returns a response, sends that response's
status and headers to the viewer. `ControlCenterServer` does the same on 127.0.0.1: each request
becomes a CloudFront event, the current LIVE code answers it in node, and the headers go out as
UTF-8 bytes on the wire (what an agent's `curl -sI` sees).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

WORKER = Path(__file__).with_name("cf_worker.js")


class FunctionError(RuntimeError):
    """The function threw, or node could not run it."""


def viewer_request_event(method: str, uri: str, headers: Mapping[str, str], query: str = "") -> dict[str, Any]:
    """The event CloudFront passes a viewer-request function (cloudfront-js-2.0 shape)."""
    return {
        "version": "1.0",
        "context": {"eventType": "viewer-request", "distributionId": "EEMULATOR", "requestId": "local"},
        "viewer": {"ip": "127.0.0.1"},
        "request": {
            "method": method,
            "uri": uri,
            "querystring": {k: {"value": v} for k, v in parse_qsl(query, keep_blank_values=True)},
            "headers": {k.lower(): {"value": v} for k, v in headers.items()},
            "cookies": {},
        },
    }


class NodeFunctionRunner:
    """One long-lived node process that runs function code; requests are serialised through it."""

    def __init__(self, node: str | None = None) -> None:
        binary = node or shutil.which("node")
        if binary is None:
            raise FunctionError("node is not installed: the control center emulator runs CloudFront Functions in it")
        self._process = subprocess.Popen(
            [binary, str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._lock = threading.Lock()

    def run(self, code: str, event: dict[str, Any]) -> dict[str, Any]:
        """What `handler(event)` returns: a request (passed on to the origin) or a response."""
        assert self._process.stdin is not None and self._process.stdout is not None
        with self._lock:
            self._process.stdin.write(json.dumps({"code": code, "event": event}) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:
            raise FunctionError("node exited while running the function")
        reply = json.loads(line)
        if not reply["ok"]:
            raise FunctionError(reply["error"])
        result: dict[str, Any] = reply["result"]
        return result

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()

    def __enter__(self) -> NodeFunctionRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def response_headers(result: Mapping[str, Any]) -> dict[str, str]:
    """The response's headers as name -> value (multi-value headers joined as CloudFront does)."""
    headers: dict[str, str] = {}
    for name, entry in result.get("headers", {}).items():
        values = [entry["value"]] + [v["value"] for v in entry.get("multiValue", [])[1:]]
        headers[name] = ",".join(values)
    return headers


class ControlCenterServer:
    """HTTP on 127.0.0.1 answering each request with the function `code_provider()` returns (None → 503)."""

    def __init__(
        self,
        code_provider: Callable[[], str | None],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        runner: NodeFunctionRunner | None = None,
    ) -> None:
        self._code_provider = code_provider
        self._runner = runner or NodeFunctionRunner()
        self._owns_runner = runner is None
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_HEAD(self) -> None:
                server._answer(self)

            def do_GET(self) -> None:
                server._answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._http = ThreadingHTTPServer((host, port), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, name="control-center", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ControlCenterServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        if self._owns_runner:
            self._runner.close()

    def __enter__(self) -> ControlCenterServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        """HEAD and GET answer alike: the control center is headers only, no body."""
        code = self._code_provider()
        if code is None:
            self._send(request, 503, "Service Unavailable", {})
            return
        parts = urlsplit(request.path)
        event = viewer_request_event(request.command, parts.path, dict(request.headers.items()), parts.query)
        try:
            result = self._runner.run(code, event)
        except FunctionError:
            # CloudFront answers 503 when the function fails
            self._send(request, 503, "FunctionExecutionError", {})
            return
        if "statusCode" not in result:  # the function passed the request on: there is no origin content here
            self._send(request, 404, "Not Found", {})
            return
        status = int(result["statusCode"])
        self._send(request, status, str(result.get("statusDescription", "")), response_headers(result))

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, reason: str, headers: dict[str, str]) -> None:
        # Header values are written as UTF-8 bytes: http.server would insist on latin-1.
        lines = [f"HTTP/1.1 {status} {reason}".encode()]
        for name, value in headers.items():
            lines.append(f"{name}: {value}".encode())
        lines += [b"content-length: 0", b"connection: close", b"", b""]
        request.wfile.write(b"\r\n".join(lines))
        request.wfile.flush()
        request.close_connection = True
