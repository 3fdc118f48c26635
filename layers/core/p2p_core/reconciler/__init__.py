"""ReconcileRegion: observe one region's managed resources and apply a RegionPlan with boto3."""

from p2p_core.reconciler.region import observe_region, reconcile_region

__all__ = ["observe_region", "reconcile_region"]
