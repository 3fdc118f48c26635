"""Step Functions' `states:startExecution` integration the scheduled check (Express) uses; moto 5.2.5 lacks its casing.

moto executes an Express state machine's ASL as it does a Standard one (the same engine; history is
kept for both, where AWS keeps an Express history only in CloudWatch Logs). Its optimized Step
Functions integration, though, hands the ASL's parameter names (`StateMachineArn`, `Name`,
`Input`) to boto3 unchanged, so every start fails with `States.Runtime: 'StateMachineArn'`, and
returns boto3's answer (`executionArn`, a `datetime` `startDate`) where AWS returns `ExecutionArn`
and `StartDate`. LocalStack, whose engine moto copied, maps both through the API's shapes; so does this.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import botocore.session
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
    StateTaskServiceSfn,
)

from p2p_emulator.shims import task_roles

_original_normalise = StateTaskServiceSfn._normalise_parameters
_original_eval = StateTaskServiceSfn._eval_service_task


def _operation(task: Any) -> Any:
    service = botocore.session.get_session().get_service_model(task._get_boto_service_name())
    return service.operation_model(task.resource.api_action[:1].upper() + task.resource.api_action[1:])


def _normalise_parameters(self: Any, parameters: dict[str, Any], *args: Any, **kwargs: Any) -> None:
    _original_normalise(self, parameters, *args, **kwargs)  # Input as a JSON string, as AWS sends it
    self._to_boto_request(parameters, _operation(self).input_shape)  # StateMachineArn -> stateMachineArn


def _eval_service_task(self: Any, env: Any, **kwargs: Any) -> None:
    refused = task_roles.start_execution_refused(env, kwargs["normalised_parameters"])  # the machine's role decides
    if refused is not None:
        raise refused
    _original_eval(self, env, **kwargs)
    response = env.stack[-1]
    if isinstance(response, dict):  # executionArn -> ExecutionArn; a timestamp as AWS's JSON has it
        env.stack[-1] = {
            self._to_sfn_cased(key): value.isoformat() if isinstance(value, datetime) else value
            for key, value in response.items()
        }


def install() -> None:
    """Start executions from an ASL Task as AWS does (request and response casing)."""
    StateTaskServiceSfn._normalise_parameters = _normalise_parameters  # type: ignore[method-assign]
    StateTaskServiceSfn._eval_service_task = _eval_service_task  # type: ignore[method-assign,assignment]
