"""Render the CloudFront Function (cloudfront-js-2.0, viewer-request) that serves the headers.

Values are embedded as JSON literals (ASCII-only, `</` escaped), never spliced between quotes, so
no value can end a string or inject code. Limits are checked here, before any AWS call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Literal

MAX_CODE_BYTES = 10_240  # CloudFront Functions: maximum function size, 10 KB
# CloudFront: maximum length of a request or an origin response including headers, 20,480 bytes
MAX_HEADER_BYTES = 20_480
_NAME = re.compile(r"^cc-[a-z0-9-]+$")
_FORBIDDEN = (("\r", "CR"), ("\n", "LF"), ("\0", "NUL"))


class ControlCenterError(ValueError):
    """The control center cannot serve this config; the message names the header and the problem.

    `header` is the header at fault, or for a size limit the largest one (what to shorten first).
    """

    def __init__(self, message: str, header: str | None = None) -> None:
        super().__init__(message)
        self.header = header


def _largest(headers: Mapping[str, str]) -> str | None:
    return max(headers, key=lambda name: len(headers[name].encode("utf-8", "replace")), default=None)


def _literal(value: object) -> str:
    # ensure_ascii escapes U+2028/2029 and every non-ASCII character; "<\/" keeps "</script>" inert
    return json.dumps(value, ensure_ascii=True, sort_keys=False).replace("</", "<\\/")


def check_headers(headers: Mapping[str, str]) -> None:
    """Reject bad names, control characters and an oversized header block."""
    size = 0
    for name, value in headers.items():
        if not _NAME.match(name):
            raise ControlCenterError(f"header name {name!r} must match cc-[a-z0-9-]+", name)
        for char, label in _FORBIDDEN:
            if char in value:
                raise ControlCenterError(f"header {name}: value contains {label}, got {value[:40]!r}", name)
        try:
            size += len(name.encode()) + 2 + len(value.encode()) + 2  # "name: value\r\n"
        except UnicodeEncodeError:
            raise ControlCenterError(f"header {name}: value is not valid unicode, got {value[:40]!r}", name) from None
    if size > MAX_HEADER_BYTES:
        largest = _largest(headers)
        raise ControlCenterError(
            f"headers total {size} bytes, over CloudFront's {MAX_HEADER_BYTES}-byte limit (largest: {largest})", largest
        )


RENDERED_MARK = "// p2p control center: rendered from the config item"
_SWITCHED_OFF = "if (!false ||"
_TEMPLATE = (
    RENDERED_MARK
    + """ by the workflow; edit the config, not this code.
var PATH = {path};
var HEADERS = {headers};
function handler(event) {{
  if (!{enabled} || event.request.uri !== PATH) {{
    return {{ statusCode: 404, statusDescription: "Not Found" }};
  }}
  var headers = {{}};
  for (var i = 0; i < HEADERS.length; i++) {{
    headers[HEADERS[i][0]] = {{ value: HEADERS[i][1] }};
  }}
  return {{ statusCode: 200, statusDescription: "OK", headers: headers }};
}}
"""
)


def serving_state(code: str | None) -> Literal["unpublished", "switched off", "serving"]:
    """What LIVE code does: the stack's placeholder (never rendered), rendered but disabled, or serving headers."""
    if code is None or RENDERED_MARK not in code:
        return "unpublished"
    return "switched off" if _SWITCHED_OFF in code else "serving"


def render_function(headers: Mapping[str, str], secret_path: str, *, enabled: bool = True) -> str:
    """The function code; 200 with `headers` on `secret_path` only, 404 everywhere else (or when disabled)."""
    check_headers(headers)
    if not secret_path.startswith("/"):
        raise ControlCenterError(f"secret path must start with '/', got {secret_path!r}")
    code = _TEMPLATE.format(
        path=_literal(secret_path),
        headers=_literal([[name, value] for name, value in headers.items()]),
        enabled="true" if enabled else "false",
    )
    size = len(code.encode())
    if size > MAX_CODE_BYTES:
        largest = _largest(headers)
        raise ControlCenterError(
            f"control center code is {size} bytes, over CloudFront's {MAX_CODE_BYTES}-byte function limit "
            f"(largest header: {largest})",
            largest,
        )
    return code
