"""The error name a Lambda Task state sees when Lambda refuses the invoke, as Step Functions names it.

On AWS a Task whose Lambda invoke is refused (throttled, Lambda failing) fails with `Lambda.<code>`:
`Lambda.TooManyRequestsException`, `Lambda.ServiceException`, ... which is what the workflow's Retry
blocks match. moto 5.2.5 names every such refusal `Exception`, so no Retry would ever match it and a
throttled region would be caught as failed at once. The emulator names it as AWS does.
"""

from __future__ import annotations

from typing import Any, cast

from botocore.exceptions import ClientError
from moto.stepfunctions.parser.api import LambdaFunctionFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

_original_from_error = StateTaskLambda._from_error


def _from_error(self: Any, env: Any, ex: Exception) -> Any:
    failure = _original_from_error(self, env, ex)
    if not isinstance(ex, ClientError):
        return failure
    name = f"Lambda.{ex.response.get('Error', {}).get('Code', 'AWSLambdaException')}"
    cause = ex.response.get("Error", {}).get("Message", "")
    failed = LambdaFunctionFailedEventDetails(error=name, cause=cause)
    details = cast(EventDetails, {"lambdaFunctionFailedEventDetails": failed})  # moto's TypedDict is total
    return FailureEvent(env=env, error_name=CustomErrorName(name), event_type=failure.event_type, event_details=details)


def install() -> None:
    """Name a refused Lambda invoke `Lambda.<code>` in the Task's failure."""
    StateTaskLambda._from_error = _from_error  # type: ignore[method-assign]
