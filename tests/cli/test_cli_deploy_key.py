"""`p2pctl deploy-key` as an operator runs it against `p2pctl local`, and where the private key never goes.

The key pair is made by the CLI, the private key kept as an SSM SecureString in the home region
(`/p2p/<stack>/deploy-key`), the public key printed to paste as a deploy key. A fleet pulling a private
repository then runs; the private key appears in none of the places the issue names: user data, launch
templates, headers, logs, Step Functions input/output, the status item (one test each), nor in what the
CLI prints.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from typing import Any

import pytest

from p2p_core.models.deployment import deploy_key_parameter, staged_deploy_key_parameter
from p2p_core.storage.config import from_dynamodb
from p2pctl.deploy_key_cmd import fingerprint, public_key_of
from tests.cli.local_cli import STACK, Local

PARAMETER = deploy_key_parameter(STACK)
STAGED = staged_deploy_key_parameter(STACK)
COMMENT = "p2p-p2p-cli-test-deploy-key"
PRIVATE_REPO = "git@github.com:example/private-agent.git"
PUBLIC_KEY = re.compile(r"^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/]{48} p2p-p2p-cli-test-deploy-key$", re.M)


def stored_key(local: Local) -> str | None:
    ssm = local.client("ssm")
    try:
        return str(ssm.get_parameter(Name=PARAMETER, WithDecryption=True)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        return None


def fresh_key(local: Local) -> str:
    """A newly created deploy key (whatever an earlier test left); returns what `create` printed."""
    if stored_key(local) is not None:
        local.ok("deploy-key", "delete", "--yes")
    return local.ok("deploy-key", "create").stdout


def leaks(text: str, private_key: str) -> list[str]:
    """The forms of the private key found in `text`: whole, any line of its body, or base64-encoded."""
    body = [line for line in private_key.splitlines() if line and not line.startswith("-----")]
    forms = [private_key, base64.b64encode(private_key.encode()).decode(), *body]
    return [form[:20] for form in forms if form in text]


# ------------------------------------------------------------------------------------------------ the commands


def test_create_keeps_the_private_key_in_ssm_and_prints_only_the_public_key(local: Local) -> None:
    printed = fresh_key(local)
    private_key = stored_key(local)
    assert private_key is not None and private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    public_key = public_key_of(private_key, "p2p-p2p-cli-test-deploy-key")
    assert PUBLIC_KEY.search(printed) and public_key in printed.splitlines()
    assert f"fingerprint {fingerprint(public_key)}" in printed
    assert "Deploy keys" in printed
    assert leaks(printed, private_key) == []
    ssm = local.client("ssm")
    (described,) = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [PARAMETER]}])["Parameters"]
    assert described["Type"] == "SecureString"
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=PARAMETER)["TagList"]
    assert {"Key": "p2p:stack", "Value": STACK} in tags  # the agents' role reads only parameters tagged so


def test_create_refuses_to_replace_a_key_and_names_rotate(local: Local) -> None:
    fresh_key(local)
    before = stored_key(local)
    done = local.p2pctl("deploy-key", "create")
    assert done.returncode == 1
    assert f"error: stack '{STACK}' already has a deploy key ({PARAMETER} in eu-central-1)" in done.stderr
    assert "p2pctl deploy-key rotate" in done.stderr
    assert stored_key(local) == before


def test_show_prints_the_public_key_of_the_stored_key(local: Local) -> None:
    created = PUBLIC_KEY.search(fresh_key(local))
    assert created is not None
    assert created.group(0) in local.ok("deploy-key", "show").stdout.splitlines()
    shown = local.json("deploy-key", "show")
    assert shown["public_key"] == created.group(0)
    assert (shown["parameter"], shown["region"]) == (PARAMETER, "eu-central-1")
    assert shown["fingerprint"] == fingerprint(created.group(0))


def staged_key(local: Local) -> str | None:
    ssm = local.client("ssm")
    try:
        return str(ssm.get_parameter(Name=STAGED, WithDecryption=True)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        return None


def test_rotate_stages_a_new_key_and_finish_swaps_it_in_so_agents_never_hold_an_unknown_key(local: Local) -> None:
    fresh_key(local)
    old = local.json("deploy-key", "show")
    old_private = stored_key(local)
    staged = local.json("deploy-key", "rotate")
    assert staged["current_fingerprint"] == old["fingerprint"]
    assert staged["staged_fingerprint"] == staged["fingerprint"] != old["fingerprint"]
    assert (staged["parameter"], stored_key(local)) == (STAGED, old_private)  # the current key still works
    new_private = staged_key(local)
    assert new_private is not None and public_key_of(new_private, COMMENT) == staged["public_key"]
    tags = local.client("ssm").list_tags_for_resource(ResourceType="Parameter", ResourceId=STAGED)["TagList"]
    assert {"Key": "p2p:stack", "Value": STACK} in tags  # the agents' role reads only parameters tagged so
    again = local.ok("deploy-key", "rotate").stdout  # asking again shows the same staged key
    assert staged["public_key"] in again.splitlines() and "p2pctl deploy-key rotate --finish" in again
    assert leaks(again, new_private) == [] and leaks(again, old_private or "") == []
    finished = local.json("deploy-key", "rotate", "--finish")
    assert (finished["fingerprint"], finished["retired_fingerprint"]) == (staged["fingerprint"], old["fingerprint"])
    assert (stored_key(local), staged_key(local)) == (new_private, None)
    assert local.json("deploy-key", "show")["public_key"] == staged["public_key"]
    refused = local.p2pctl("deploy-key", "rotate", "--finish")
    assert refused.returncode == 1 and "no staged deploy key" in refused.stderr
    local.follow_fix(refused.stderr)  # p2pctl deploy-key rotate: stages the next one
    assert staged_key(local) is not None
    local.ok("deploy-key", "delete", "--yes")
    assert (stored_key(local), staged_key(local)) == (None, None)  # agents try no staged key either


def test_delete_asks_first_and_without_an_answer_keeps_the_key(local: Local) -> None:
    fresh_key(local)
    done = local.p2pctl("deploy-key", "delete", stdin="")
    assert done.returncode == 1
    assert "deploy key kept: nothing was changed" in done.stdout
    assert stored_key(local) is not None


def test_delete_removes_the_parameter_and_commands_then_say_how_to_create_one(local: Local) -> None:
    fresh_key(local)
    shown = local.json("deploy-key", "show")
    done = local.ok("deploy-key", "delete", "--yes")
    assert f"remove the deploy key {shown['fingerprint']} from the repository too" in done.stdout
    assert stored_key(local) is None
    for command in ("show", "rotate", "delete"):
        refused = local.p2pctl("deploy-key", command, "--yes" if command == "delete" else "--json")
        assert refused.returncode == 1, command
        assert f"error: no deploy key for stack '{STACK}': SSM parameter {PARAMETER} does not exist" in refused.stderr
    local.follow_fix(refused.stderr)  # p2pctl deploy-key create
    assert stored_key(local) is not None


# ------------------------------------------------------------------------------------------------ never leaked


@pytest.fixture(scope="module")
def private_fleet(local: Local) -> str:
    """A deploy key, then a run for a fleet pulling a private repository; the private key."""
    fresh_key(local)
    local.reset(regions=["eu-central-1"], desired_capacity=1, agent={"repository": PRIVATE_REPO})
    private_key = stored_key(local)
    assert private_key is not None
    return private_key


def launch_template_versions(local: Local) -> list[dict[str, Any]]:
    ec2 = local.client("ec2")
    templates = ec2.describe_launch_templates(Filters=[{"Name": "tag:p2p:stack", "Values": [STACK]}])
    (template,) = templates["LaunchTemplates"]
    versions = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"])
    found: list[dict[str, Any]] = versions["LaunchTemplateVersions"]
    assert found
    return found


def test_user_data_names_the_key_parameter_but_holds_no_key(local: Local, private_fleet: str) -> None:
    user_data = base64.b64decode(launch_template_versions(local)[0]["LaunchTemplateData"]["UserData"]).decode()
    blobs = [base64.b64decode(b) for b in re.findall(r"echo '([A-Za-z0-9+/=]+)' \| base64 -d", user_data)]
    runner, defaults = gzip.decompress(blobs[0]).decode(), json.loads(blobs[1])
    assert defaults["settings"]["repository"] == PRIVATE_REPO
    assert defaults["deploy_key"] == {"parameter": PARAMETER, "region": "eu-central-1"}
    for text in (user_data, runner, json.dumps(defaults)):
        assert leaks(text, private_fleet) == []


def test_launch_templates_hold_no_key(local: Local, private_fleet: str) -> None:
    assert leaks(json.dumps(launch_template_versions(local), default=str), private_fleet) == []


def test_headers_hold_no_key(local: Local, private_fleet: str) -> None:
    served = local.json("headers")
    assert served["cc-a-repository"] == PRIVATE_REPO
    cloudfront = local.client("cloudfront", "us-east-1")
    code = cloudfront.get_function(Name=local.output("ControlCenterFunctionName"), Stage="LIVE")["FunctionCode"]
    assert leaks(json.dumps(served), private_fleet) == [] and leaks(code.read().decode(), private_fleet) == []


def test_logs_hold_no_key(local: Local, private_fleet: str) -> None:
    logged = local.log.read_text()
    assert '"service":"p2p-control-plane"' in logged.replace(" ", "")  # the handlers' logs are here
    assert leaks(logged, private_fleet) == []


def test_step_functions_input_and_output_hold_no_key(local: Local, private_fleet: str) -> None:
    sfn = local.client("stepfunctions")
    runs = sfn.list_executions(stateMachineArn=local.info["state_machine_arn"])["executions"]
    histories = [sfn.get_execution_history(executionArn=r["executionArn"])["events"] for r in runs]
    described = [sfn.describe_execution(executionArn=r["executionArn"]) for r in runs]
    outputs = [
        e["stateExitedEventDetails"]["output"] for events in histories for e in events if "stateExitedEventDetails" in e
    ]
    assert any(PRIVATE_REPO in output for output in outputs)  # the config's agent settings pass through
    assert leaks(json.dumps([histories, described], default=str), private_fleet) == []


def test_the_status_item_holds_no_key(local: Local, private_fleet: str) -> None:
    items = local.client("dynamodb").scan(TableName=local.info["config_table"])["Items"]
    status = [from_dynamodb(item) for item in items if item["pk"]["S"] != "config"]
    assert status, "no status item"
    assert leaks(json.dumps(status, default=str), private_fleet) == []
    assert leaks(local.ok("status", "--json").stdout, private_fleet) == []
