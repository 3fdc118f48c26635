"""IAM as AWS enforces it, for the emulator: every call a Lambda handler (or an agent, signing with the instance
role's credentials) makes is authorized against its role."""

from p2p_emulator.iam.enforce import (
    ENFORCER,
    Denial,
    Enforcer,
    Principal,
    Statement,
    authorize_state_machines,
    enforce,
    service_denial,
)
from p2p_emulator.iam.policies import function_principals, role_principal
from p2p_emulator.iam.sessions import INSTANCE_ID, instance_role

__all__ = [
    "ENFORCER",
    "INSTANCE_ID",
    "Denial",
    "Enforcer",
    "Principal",
    "Statement",
    "authorize_state_machines",
    "enforce",
    "function_principals",
    "instance_role",
    "role_principal",
    "service_denial",
]
