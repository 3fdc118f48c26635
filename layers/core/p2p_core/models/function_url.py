"""A Lambda function URL's request (payload format 2.0), the parts the radar reads."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Http(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    method: str = "GET"
    source_ip: str = Field("", alias="sourceIp")


class _RequestContext(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    http: _Http = Field(default_factory=_Http)


class FunctionUrlRequest(BaseModel):
    """`GET <function url>?<rawQueryString>` from `requestContext.http.sourceIp`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    raw_query: str = Field("", alias="rawQueryString")
    request_context: _RequestContext = Field(default_factory=_RequestContext, alias="requestContext")

    @property
    def method(self) -> str:
        """The HTTP method."""
        return self.request_context.http.method.upper()

    @property
    def source_ip(self) -> str:
        """The caller's address as Lambda saw it."""
        return self.request_context.http.source_ip


def function_url_event(raw_query: str, source_ip: str, method: str = "GET") -> dict[str, object]:
    """The event Lambda sends a function for `method <url>?<raw_query>` (what the local radar server sends too)."""
    http = {"method": method, "path": "/", "protocol": "HTTP/1.1", "sourceIp": source_ip, "userAgent": "p2p"}
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": raw_query,
        "headers": {},
        "requestContext": {"http": http, "routeKey": "$default", "stage": "$default"},
        "isBase64Encoded": False,
    }
