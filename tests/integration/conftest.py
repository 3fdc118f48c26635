"""Fixtures shared by the integration tests."""

from tests.integration.workflow_world import world

__all__ = ["world"]
