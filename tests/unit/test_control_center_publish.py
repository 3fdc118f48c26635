"""Publishing the control center: exact CloudFront requests, checked with botocore's Stubber (moto lacks them)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from p2p_core.control_center.publish import COMMENT, RUNTIME, live_code, publish_function

NAME = "p2p-control-plane-control-center"
OLD = "function handler(event) { return { statusCode: 404 }; }\n"
NEW = "function handler(event) { return { statusCode: 200 }; }\n"
SUMMARY = {
    "Name": NAME,
    "FunctionConfig": {"Comment": COMMENT, "Runtime": RUNTIME},
    "FunctionMetadata": {
        "FunctionARN": f"arn:aws:cloudfront::123456789012:function/{NAME}",
        "LastModifiedTime": datetime(2026, 11, 25, tzinfo=UTC),
    },
}


@pytest.fixture
def cloudfront() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("cloudfront", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def body(code: str) -> StreamingBody:
    data = code.encode()
    return StreamingBody(io.BytesIO(data), len(data))


def expect_live(stubber: Stubber, code: str) -> None:
    stubber.add_response(
        "get_function",
        {"FunctionCode": body(code), "ETag": "ELIVE", "ContentType": "application/octet-stream"},
        {"Name": NAME, "Stage": "LIVE"},
    )


def expect_update(stubber: Stubber, dev_etag: str, new_etag: str) -> None:
    stubber.add_response(
        "describe_function",
        {"FunctionSummary": SUMMARY, "ETag": dev_etag},
        {"Name": NAME, "Stage": "DEVELOPMENT"},
    )
    stubber.add_response(
        "update_function",
        {"FunctionSummary": SUMMARY, "ETag": new_etag},
        {
            "Name": NAME,
            "IfMatch": dev_etag,
            "FunctionConfig": {"Comment": COMMENT, "Runtime": RUNTIME},
            "FunctionCode": NEW.encode(),
        },
    )


def test_unchanged_code_reads_live_and_mutates_nothing(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    expect_live(stubber, NEW)
    result = publish_function(client, NAME, NEW)
    assert result.changed is False
    assert result.calls == ["GetFunction"]


def test_changed_code_is_updated_then_published_with_each_etag(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    expect_live(stubber, OLD)
    expect_update(stubber, dev_etag="E1", new_etag="E2")
    stubber.add_response("publish_function", {"FunctionSummary": SUMMARY}, {"Name": NAME, "IfMatch": "E2"})
    result = publish_function(client, NAME, NEW)
    assert result.changed is True
    assert result.calls == ["GetFunction", "DescribeFunction", "UpdateFunction", "PublishFunction"]


def test_stale_etag_rereads_and_retries_once(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    expect_live(stubber, OLD)
    stubber.add_response(
        "describe_function", {"FunctionSummary": SUMMARY, "ETag": "E1"}, {"Name": NAME, "Stage": "DEVELOPMENT"}
    )
    stubber.add_client_error("update_function", service_error_code="PreconditionFailed", http_status_code=412)
    expect_live(stubber, OLD)  # someone else changed DEVELOPMENT: read again
    expect_update(stubber, dev_etag="E3", new_etag="E4")
    stubber.add_response("publish_function", {"FunctionSummary": SUMMARY}, {"Name": NAME, "IfMatch": "E4"})
    result = publish_function(client, NAME, NEW)
    assert result.changed is True
    assert result.calls.count("UpdateFunction") == 2


def test_retry_finds_the_other_writer_already_published_our_code(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    expect_live(stubber, OLD)
    expect_update(stubber, dev_etag="E1", new_etag="E2")
    stubber.add_client_error("publish_function", service_error_code="PreconditionFailed", http_status_code=412)
    expect_live(stubber, NEW)
    result = publish_function(client, NAME, NEW)
    assert result.changed is False
    assert result.calls[-1] == "GetFunction"


def test_second_precondition_failure_is_raised_for_the_next_run(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    for _ in range(2):
        expect_live(stubber, OLD)
        stubber.add_response(
            "describe_function", {"FunctionSummary": SUMMARY, "ETag": "E1"}, {"Name": NAME, "Stage": "DEVELOPMENT"}
        )
        stubber.add_client_error("update_function", service_error_code="PreconditionFailed", http_status_code=412)
    with pytest.raises(client.exceptions.PreconditionFailed):
        publish_function(client, NAME, NEW)


def test_never_published_function_has_no_live_code(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    stubber.add_client_error("get_function", service_error_code="NoSuchFunctionExists", http_status_code=404)
    assert live_code(client, NAME) is None
