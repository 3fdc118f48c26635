"""The state machine's role authorizes its Lambda tasks' invokes, as Step Functions does on AWS.

A Task state invokes its function with the state machine's role: without `lambda:InvokeFunction` on the
function, AWS fails the Task with `Lambda.AWSLambdaException` ("... is not authorized to perform:
lambda:InvokeFunction ..."). moto invokes with any role. The emulator asks `authorizer` (set by
emulator/iam for the deployed stack's state machines) before each invoke; a state machine it does not
know is not checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

# (state machine ARN, IAM action, resource ARN) -> the denial message, or None when allowed
Authorizer = Callable[[str, str, str], str | None]

_authorizer: list[Authorizer] = []
_original_invoke = lambda_eval_utils.execute_lambda_function_integration


def set_authorizer(authorizer: Authorizer | None) -> None:
    """Who decides (None: nothing is checked)."""
    _authorizer[:] = [authorizer] if authorizer is not None else []


def _invoke(env: Any, parameters: dict[str, Any], region: str, state_credentials: Any) -> None:
    machine = str(env.states.context_object.context_object_data["StateMachine"]["Id"])
    function = str(parameters.get("FunctionName"))
    denied = _authorizer[0](machine, "lambda:InvokeFunction", function) if _authorizer else None
    if denied is not None:
        cause = f"{denied} (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException)"
        raise ClientError({"Error": {"Code": "AWSLambdaException", "Message": cause}}, "Invoke")
    _original_invoke(env=env, parameters=parameters, region=region, state_credentials=state_credentials)


def install() -> None:
    """Authorize every Lambda Task's invoke against its state machine's role."""
    lambda_eval_utils.execute_lambda_function_integration = _invoke
