"""ReconcileRegion: observe one region's managed resources and apply a RegionPlan with boto3.

`observe_region` and `reconcile_region` are loaded on first use: the resource types
(`p2p_core.resources`) use this package's errors and context, and `region` walks their registry.
"""

from __future__ import annotations

from typing import Any

__all__ = ["observe_region", "reconcile_region"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from p2p_core.reconciler import region

        return getattr(region, name)
    raise AttributeError(name)
