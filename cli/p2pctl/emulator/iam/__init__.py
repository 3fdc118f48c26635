"""IAM as AWS enforces it, for the emulator: every call a Lambda handler makes is authorized against its role."""

from p2pctl.emulator.iam.enforce import (
    ENFORCER,
    Denial,
    Enforcer,
    Principal,
    Statement,
    authorize_state_machines,
    enforce,
    service_denial,
)
from p2pctl.emulator.iam.policies import function_principals, role_principal

__all__ = [
    "ENFORCER",
    "Denial",
    "Enforcer",
    "Principal",
    "Statement",
    "authorize_state_machines",
    "enforce",
    "function_principals",
    "role_principal",
    "service_denial",
]
