"""AWS plumbing shared by the reconciler, the handlers and the CLI."""
