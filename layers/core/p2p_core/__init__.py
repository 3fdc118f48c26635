"""Core of the p2p control plane: config model, planner, reconciler, control center.

Shared by the Lambda handlers (as a layer), the operator CLI and the tests.
"""

STACK_TAG = "p2p:stack"
REGION_TAG = "p2p:region"
MANAGED_TAG = "p2p:managed"
