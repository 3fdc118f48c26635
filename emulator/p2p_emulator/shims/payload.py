"""Step Functions' 256 KiB payload quota, as AWS enforces it.

AWS: the input or output of a task, a state or an execution is at most 256 KiB (262,144 bytes) of UTF-8
encoded JSON. A state whose output (or a task whose result) is larger fails with
`States.DataLimitExceeded`, a terminal error that `States.ALL` does not catch (nor `States.Runtime`);
StartExecution refuses a larger input. moto 5.2.5 checks state outputs and task results, but one byte
early (exactly 262,144 bytes fails), lets `States.ALL` catch the failure (a Catch would carry on as if
the state had failed normally), turns any `States.*` error out of a Parallel branch into
`States.Runtime` (it refuses the name), and starts an execution with any input. The emulator does as
AWS does.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.common_types import TYPE_RESPONSE
from moto.stepfunctions.parser.asl.component.common.error_name import error_equals_decl
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.state import state
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_lambda
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

from p2p_emulator.shims import wire

PAYLOAD_LIMIT = 262_144  # bytes of UTF-8 encoded JSON
TERMINAL = ("States.DataLimitExceeded", "States.Runtime")  # never caught by States.ALL

_original_error_equals = error_equals_decl.ErrorEqualsDecl._eval_body


def within_quota(value: Any) -> bool:
    """True when `value`, as JSON text, fits in the payload quota (at most 262,144 bytes)."""
    text = value if isinstance(value, str) else to_json_str(value, separators=(",", ":"))
    return len(text.encode("utf-8")) <= PAYLOAD_LIMIT


def _error_equals(self: Any, env: Any) -> None:
    error_name = env.stack[-1]
    catches_all = error_equals_decl.ErrorEqualsDecl._STATE_ALL_ERROR in self.error_names
    if catches_all and getattr(error_name, "error_name", None) in TERMINAL:
        env.stack.pop()
        env.stack.append(False)  # terminal: only an ErrorEquals naming it matches
        return
    _original_error_equals(self, env)


def _branch_error(error_name: str | None) -> ErrorName:
    """A Parallel branch's error as the Parallel's own: moto refused every `States.*` name there."""
    if error_name is not None and error_name.startswith("States."):
        return StatesErrorName.from_name(error_name)
    return CustomErrorName(error_name)


def _start_execution(request: wire.Request) -> TYPE_RESPONSE | None:
    if request.service != "stepfunctions" or request.action != "StartExecution":
        return None
    given = json.loads(request.response.body or "{}").get("input")
    if isinstance(given, str) and len(given.encode("utf-8")) > PAYLOAD_LIMIT:
        message = (
            "1 validation error detected: Value at 'input' failed to satisfy constraint: "
            f"Member must have length less than or equal to {PAYLOAD_LIMIT}"
        )
        return request.error("ValidationException", message, 400)
    return None


def install() -> None:
    """The quota at AWS's boundary in every module that checks it; terminal errors; StartExecution's input."""
    for module in (state, state_task_lambda, state_task_service):
        module.is_within_size_quota = within_quota  # type: ignore[attr-defined]
    error_equals_decl.ErrorEqualsDecl._eval_body = _error_equals  # type: ignore[method-assign]
    branches_decl.CustomErrorName = _branch_error  # type: ignore[attr-defined,assignment]
    wire.rule(before=_start_execution)
