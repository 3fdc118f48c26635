"""Step Functions' 256 KiB payload quota in the emulator, at AWS's boundary (shims/payload.py).

A state's output of 262,144 bytes (UTF-8 JSON) passes, one byte more fails the execution with
`States.DataLimitExceeded`, which `States.ALL` does not catch; StartExecution refuses a larger input.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from p2p_emulator import shims
from p2p_emulator.shims.payload import PAYLOAD_LIMIT
from p2p_emulator.world import EMULATOR_CONFIG

REGION = "eu-central-1"
ROLE = "arn:aws:iam::123456789012:role/states"
TEXT = 200_000  # bytes of the execution's input text; the Pass state adds padding to reach the limit


@pytest.fixture
def sfn(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    shims.install()
    with mock_aws(config=EMULATOR_CONFIG):
        yield boto3.client("stepfunctions", region_name=REGION)


def output_bytes(padding: int) -> int:
    return len(json.dumps({"a": "x" * TEXT, "pad": "y" * padding}, separators=(",", ":")).encode())


def machine(sfn: Any, padding: int, *, caught: bool = False) -> str:
    """Grow: the input's text plus `padding` bytes; with `caught`, inside a Parallel whose Catch is States.ALL."""
    grow = {"Type": "Pass", "Parameters": {"a.$": "$.t", "pad": "y" * padding}, "End": True}
    states: dict[str, Any] = {"Grow": grow}
    if caught:
        states = {
            "Fan": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "Grow", "States": states}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "Result": "caught", "End": True},
        }
    definition = {"StartAt": next(iter(states)), "States": states}
    name = f"grow-{padding}-{caught}"
    return str(sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"])


def run(sfn: Any, arn: str, text: str) -> dict[str, Any]:
    started = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"t": text}, separators=(",", ":")))
    started = started["executionArn"]
    for _ in range(400):
        found: dict[str, Any] = sfn.describe_execution(executionArn=started)
        if found["status"] != "RUNNING":
            return found
        time.sleep(0.05)
    raise AssertionError("the execution did not end")


def padding_for(total: int) -> int:
    return total - output_bytes(0)


def test_a_state_output_of_exactly_256_kib_passes_and_one_byte_more_fails_with_data_limit_exceeded(sfn: Any) -> None:
    assert output_bytes(padding_for(PAYLOAD_LIMIT)) == PAYLOAD_LIMIT
    at_limit = run(sfn, machine(sfn, padding_for(PAYLOAD_LIMIT)), "x" * TEXT)
    assert at_limit["status"] == "SUCCEEDED"
    over = run(sfn, machine(sfn, padding_for(PAYLOAD_LIMIT + 1)), "x" * TEXT)
    assert (over["status"], over["error"]) == ("FAILED", "States.DataLimitExceeded")


def test_states_all_does_not_catch_data_limit_exceeded(sfn: Any) -> None:
    over = run(sfn, machine(sfn, padding_for(PAYLOAD_LIMIT + 1), caught=True), "x" * TEXT)
    assert (over["status"], over["error"]) == ("FAILED", "States.DataLimitExceeded")
    under = run(sfn, machine(sfn, 10, caught=True), "x" * TEXT)
    assert under["status"] == "SUCCEEDED" and "caught" not in under["output"]


def test_start_execution_refuses_an_input_over_256_kib(sfn: Any) -> None:
    echo = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
    arn = sfn.create_state_machine(name="echo", definition=json.dumps(echo), roleArn=ROLE)["stateMachineArn"]
    fits = "x" * (PAYLOAD_LIMIT - len('{"t":""}'))
    assert run(sfn, arn, fits)["status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as refused:
        sfn.start_execution(stateMachineArn=arn, input=json.dumps({"t": fits + "x"}, separators=(",", ":")))
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert f"less than or equal to {PAYLOAD_LIMIT}" in refused.value.response["Error"]["Message"]
