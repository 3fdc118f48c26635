"""What the control plane passes and stores, one module per kind: the deployment's settings, the observed state of
a region, the plan, per-region results, the state machine's events and the fleet's window."""
