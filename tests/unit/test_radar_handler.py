"""The radar's Lambda handler as Lambda runs it: a function URL event in, `{statusCode, headers, body}` out, and
the reports of a minute emitted as one EMF line per region with the dimensions the FleetAgentsMissing alarm reads."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from p2p_core.models.deployment import Deployment
from p2p_core.models.function_url import function_url_event
from p2p_core.radar.endpoint import radar_for
from p2p_core.radar.token import TokenStore
from p2p_core.workflow.runtime import clients_for

ROOT = Path(__file__).resolve().parents[2]
QUERY = "cloud=aws&region=eu-west-1&autoscaler=true&capacity=2&services=ipfs&duration=1&uptime=1"
ENV = {
    "AWS_DEFAULT_REGION": "eu-central-1",
    "AWS_REGION": "eu-central-1",
    "AWS_LAMBDA_FUNCTION_NAME": "radar-handler-test",
    "P2P_STACK_NAME": "handler-test",
    "P2P_RADAR_TABLE": "radar",
    "POWERTOOLS_SERVICE_NAME": "p2p-control-plane",
    "POWERTOOLS_METRICS_NAMESPACE": "P2PControlPlane",
}


class Context:
    function_name, memory_limit_in_mb, aws_request_id = "radar", 128, "test"
    invoked_function_arn = "arn:aws:lambda:eu-central-1:123456789012:function:radar"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName="radar",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        spec = importlib.util.spec_from_file_location("radar_app_under_test", ROOT / "functions" / "radar" / "app.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module


def call(app: ModuleType, query: str) -> dict[str, Any]:
    answer: dict[str, Any] = app.handler(function_url_event(query, "198.51.100.4"), Context())
    return answer


def test_the_handler_answers_as_a_function_url_and_emits_the_minutes_reports_per_region(
    app: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    token = TokenStore(boto3.client("ssm"), "handler-test").ensure().current
    first = call(app, f"{QUERY}&instance=i-0000000000000000a&auth={token}")
    assert first["statusCode"] == 200 and first["headers"] == {"content-type": "application/json"}
    assert json.loads(first["body"])["radar"]["agent"] == "i-0000000000000000a"
    assert call(app, f"{QUERY}&auth=wrong") == {
        "statusCode": 401,
        "headers": {"content-type": "application/json"},
        "body": '{"Auth": "Failed"}',
    }
    capsys.readouterr()
    deployment = Deployment.from_env()
    radar = radar_for(deployment, clients_for(deployment))
    assert radar.tally.since is not None
    radar.tally.since -= timedelta(minutes=1)  # a minute has passed since the first report counted
    call(app, f"{QUERY}&instance=i-0000000000000000b&auth={token}")
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"AgentReports"' in x]
    metrics = line["_aws"]["CloudWatchMetrics"][0]
    assert metrics["Namespace"] == "P2PControlPlane" and sorted(metrics["Dimensions"][0]) == ["Region", "service"]
    assert (line["Region"], line["AgentReports"]) == ("eu-west-1", [2.0])


def test_a_post_is_refused_405(app: ModuleType) -> None:
    event = function_url_event(QUERY, "198.51.100.4", method="POST")
    assert app.handler(event, Context())["statusCode"] == 405
