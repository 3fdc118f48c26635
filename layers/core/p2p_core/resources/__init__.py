"""One module per managed resource type of a region; `registry.REGISTRY` lists them in dependency order.

Each module ends with its `KIND` (`kind.ResourceKind`): how the type is described, seen and read,
its drifts in operator words, ensure (and settle) during a rebuild, its deletions, and the IAM
grants it needs. A new type is a new module here, one line in `registry.py`, and its statements in
template.yaml (tests/unit/test_resource_grants.py holds the template to the grants).
"""
