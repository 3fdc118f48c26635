"""Serve a Lambda function URL on 127.0.0.1: each request becomes the function URL event, invoked through Lambda.

moto has no function URLs; this server stands in for one, as `cloudfront.py` does for the distribution. The
request goes through the emulator's Lambda `Invoke`, so the real handler answers with its own role's rights
(the emulator authorizes its calls), and its `{statusCode, headers, body}` goes back to the caller.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from p2p_core.models.function_url import function_url_event


class FunctionUrlServer:
    """HTTP on 127.0.0.1 invoking the function `function_name()` names (None: 503 until the stack exists)."""

    def __init__(self, lambda_client: Any, function_name: Callable[[], str | None], host: str = "127.0.0.1") -> None:
        self._lambda = lambda_client
        self._function_name = function_name
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                outer._answer(self, "GET")

            def do_POST(self) -> None:
                outer._answer(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass  # no line per report

        self._httpd = ThreadingHTTPServer((host, 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="function-url", daemon=True)

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>/`, as a function URL ends with a slash."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> FunctionUrlServer:
        """Start serving; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def _answer(self, request: BaseHTTPRequestHandler, method: str) -> None:
        name = self._function_name()
        if name is None:
            self._send(request, 503, {"content-type": "application/json"}, b'{"error": "not deployed yet"}')
            return
        event = function_url_event(urlsplit(request.path).query, request.client_address[0], method)
        invoked = self._lambda.invoke(FunctionName=name, Payload=json.dumps(event).encode())
        result = json.loads(invoked["Payload"].read() or b"{}")
        if invoked.get("FunctionError"):  # what a function URL answers for an unhandled error
            self._send(request, 502, {"content-type": "application/json"}, b'{"Message": "Internal Server Error"}')
            return
        body = str(result.get("body", "")).encode()
        self._send(request, int(result.get("statusCode", 200)), dict(result.get("headers", {})), body)

    def _send(self, request: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
        request.send_response(status)
        for key, value in headers.items():
            request.send_header(key, value)
        request.send_header("content-length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
