"""The emulator refuses, as Step Functions does, a definition with a state no path reaches (create and update)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from p2p_emulator import shims

ROLE = "arn:aws:iam::123456789012:role/sfn"
VALID = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
UNREACHABLE = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}, "Orphan": {"Type": "Succeed"}}}


def test_create_and_update_with_an_unreachable_state_answer_invalid_definition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        shims.install()
        sfn = boto3.client("stepfunctions", "eu-central-1")
        with pytest.raises(ClientError) as refused:
            sfn.create_state_machine(name="bad", definition=json.dumps(UNREACHABLE), roleArn=ROLE)
        assert refused.value.response["Error"]["Code"] == "InvalidDefinition"
        assert "UNREACHABLE_STATE: State 'Orphan'" in refused.value.response["Error"]["Message"]
        assert sfn.list_state_machines()["stateMachines"] == []
        arn = sfn.create_state_machine(name="good", definition=json.dumps(VALID), roleArn=ROLE)["stateMachineArn"]
        with pytest.raises(ClientError) as update:
            sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(UNREACHABLE))
        assert update.value.response["Error"]["Code"] == "InvalidDefinition"
        assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == VALID
