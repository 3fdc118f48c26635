"""The state machine's role authorizes its tasks' calls, as Step Functions does on AWS.

A Task state invokes its function with the state machine's role: without `lambda:InvokeFunction` on the
function, AWS fails the Task with `Lambda.AWSLambdaException` ("... is not authorized to perform:
lambda:InvokeFunction ..."); a `states:startExecution` task (the scheduled check's StartReconcile) needs
`states:StartExecution` on its target, else `StepFunctions.AccessDeniedException`. moto calls with any
role. The emulator asks `authorizer` (set by emulator/iam for the deployed stack's state machines) before
each call; a state machine it does not know is not checked.
"""

from __future__ import annotations

import uuid
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
    denied = denial(env, "lambda:InvokeFunction", str(parameters.get("FunctionName")))
    if denied is not None:
        cause = f"{denied} (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException)"
        raise ClientError({"Error": {"Code": "AWSLambdaException", "Message": cause}}, "Invoke")
    _original_invoke(env=env, parameters=parameters, region=region, state_credentials=state_credentials)


def denial(env: Any, action: str, resource: str) -> str | None:
    """The denial message when the executing state machine's role may not call `action` on `resource`."""
    machine = str(env.states.context_object.context_object_data["StateMachine"]["Id"])
    return _authorizer[0](machine, action, resource) if _authorizer else None


def start_execution_refused(env: Any, parameters: dict[str, Any]) -> ClientError | None:
    """A `states:startExecution` task's refusal (AccessDenied, as Step Functions answers), or None."""
    denied = denial(env, "states:StartExecution", str(parameters.get("stateMachineArn")))
    if denied is None:
        return None
    answer: Any = {
        "Error": {"Code": "AccessDenied", "Message": denied},
        "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": str(uuid.uuid4())},
    }
    return ClientError(answer, "StartExecution")


def install() -> None:
    """Authorize every Lambda Task's invoke against its state machine's role (StartExecution: shims/express.py)."""
    lambda_eval_utils.execute_lambda_function_integration = _invoke
