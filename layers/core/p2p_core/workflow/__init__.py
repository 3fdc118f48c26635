"""The workflow's steps (Plan, ReconcileRegion, UpdateControlCenter, UpdateSchedule, Finalize) as plain functions.

Handlers in `functions/` parse their event into these models and call exactly one step.
"""
