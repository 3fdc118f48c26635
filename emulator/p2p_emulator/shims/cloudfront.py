"""CloudFront Functions as AWS has them: UpdateFunction, PublishFunction and a LIVE stage, with ETag checks."""

from __future__ import annotations

import uuid
from typing import Any

from moto.cloudfront import responses as cf_responses
from moto.cloudfront import urls as cf_urls
from moto.cloudfront.exceptions import CloudFrontException, NoSuchFunctionExists
from moto.core.responses import ActionResult


class PreconditionFailed(CloudFrontException):
    """AWS's answer to a stale If-Match ETag."""

    code = 412  # type: ignore[assignment]  # moto's exceptions carry the HTTP status here, typed str

    def __init__(self) -> None:
        super().__init__(
            "PreconditionFailed", "The precondition given in one or more of the request fields was not met."
        )


def _live(function: Any) -> tuple[bytes | None, str | None]:
    return getattr(function, "live_code", None), getattr(function, "live_etag", None)


def _summary(function: Any, stage: str) -> dict[str, Any]:
    summary = dict(function.function_summary)
    summary["FunctionMetadata"] = {**summary["FunctionMetadata"], "Stage": stage}
    return summary


def _describe_function(self: Any) -> ActionResult:
    function = self.backend.describe_function(name=self._get_param("Name"))
    stage = self._get_param("Stage") or "DEVELOPMENT"
    code, etag = _live(function) if stage == "LIVE" else (function.code, function.etag)
    if code is None:
        raise NoSuchFunctionExists(function.name)
    return ActionResult({"FunctionSummary": _summary(function, stage), "ETag": etag})


def _get_function(self: Any) -> ActionResult:
    function = self.backend.get_function(name=self._get_param("Name"))
    stage = self._get_param("Stage") or "DEVELOPMENT"
    code, etag = _live(function) if stage == "LIVE" else (function.code, function.etag)
    if code is None:
        raise NoSuchFunctionExists(function.name)
    return ActionResult({"FunctionCode": code, "ETag": etag, "ContentType": "application/octet-stream"})


def _update_function(self: Any) -> ActionResult:
    function = self.backend.describe_function(name=self._get_param("Name"))
    if self._get_param("IfMatch") != function.etag:
        raise PreconditionFailed()
    code = self._get_param("FunctionCode")
    function.code = code.encode() if isinstance(code, str) else code
    function.config = self._get_param("FunctionConfig") or function.config
    function.etag = uuid.uuid4().hex[:13].upper()
    return ActionResult({"FunctionSummary": _summary(function, "DEVELOPMENT"), "ETag": function.etag})


def _publish_function(self: Any) -> ActionResult:
    function = self.backend.describe_function(name=self._get_param("Name"))
    if self._get_param("IfMatch") != function.etag:
        raise PreconditionFailed()
    function.live_code = function.code
    function.live_etag = uuid.uuid4().hex[:13].upper()
    function.status = "UNASSOCIATED"
    return ActionResult({"FunctionSummary": _summary(function, "LIVE")})


def install() -> None:
    """Add the operations and the LIVE stage to moto's CloudFront (once per process, from shims.install)."""
    cf_urls.url_paths["{0}/2020-05-31/function/(?P<function_name>[^/]+)/publish$"] = (
        cf_responses.CloudFrontResponse.dispatch
    )
    response = cf_responses.CloudFrontResponse
    response.describe_function = _describe_function  # type: ignore[method-assign]
    response.get_function = _get_function  # type: ignore[method-assign]
    response.update_function = _update_function  # type: ignore[attr-defined]
    response.publish_function = _publish_function  # type: ignore[attr-defined]
