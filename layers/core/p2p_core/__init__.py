"""Core of the p2p control plane: config model, planner, reconciler, control center.

Shared by the Lambda handlers (as a layer), the operator CLI and the tests.
"""

STACK_TAG = "p2p:stack"
REGION_TAG = "p2p:region"
MANAGED_TAG = "p2p:managed"
# on the Auto Scaling group: the hash of the settings the region was last built from, and the zones it uses
INFRA_TAG = "p2p:infrastructure"
ZONES_TAG = "p2p:zones"
# on a group with a MixedInstancesPolicy: the configured instance types its region does not offer (dropped)
NOT_OFFERED_TAG = "p2p:types-not-offered"
