"""Fixtures shared by the integration tests, one name each."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from p2p_core.config.instance import OS_PYTHON
from p2p_emulator import shims
from p2p_emulator.world import (
    Deployed,
    Provisioned,
    WorkflowWorld,
    deploy_once,
    deployed_after,
    provision,
    restored_world,
)
from tests.integration.os_pythons import TEST_INTERPRETER, os_python
from tests.integration.reconciler_fixtures import World, aws_world


@pytest.fixture(autouse=True, scope="session")
def small_image_catalogue(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Emulated regions know two Ubuntu images instead of loading moto's per-region catalogues (~1.3 s each)."""
    shims.use_small_image_catalogue(Path(tmp_path_factory.mktemp("images")))


@pytest.fixture(scope="session")
def deployed(small_image_catalogue: None) -> Deployed:
    """The stack deployed once per test process (each xdist worker) into a fresh emulator account, and saved."""
    return deploy_once()


@pytest.fixture
def world(deployed: Deployed) -> Iterator[WorkflowWorld]:
    """The stack deployed into a fresh emulator account (AMI parameters in five regions): runs go through the ASL.
    The account is the saved one, restored (emulator/p2p_emulator/snapshot.py): nothing of the last test is left."""
    with restored_world(deployed) as restored:
        yield restored


@pytest.fixture(scope="module")
def provisioned(deployed: Deployed) -> Provisioned:
    """`provisioned(config)`: the account after the config's first run (`p2p_emulator.world.provision`), made once per
    config for the module and saved; restore it with `restored_world` (a case shares no leftovers with the last)."""
    saved: dict[str, Deployed] = {}

    def under(config: dict[str, Any]) -> Deployed:
        key = json.dumps(config, sort_keys=True)
        if key not in saved:
            saved[key] = deployed_after(deployed, provision(config))
        return saved[key]

    return under


@pytest.fixture
def region_world() -> Iterator[World]:
    """A fresh emulator account for the reconciler alone: observe and reconcile regions without the workflow."""
    with aws_world() as fresh:
        yield fresh


@pytest.fixture
def built_region_world(region_world: World) -> World:
    """`region_world` after one reconcile of the default test config (`make_config()`)."""
    from tests.integration.reconciler_fixtures import make_config

    region_world.run(make_config())
    return region_world


@pytest.fixture(scope="session", params=[*sorted(OS_PYTHON), TEST_INTERPRETER])
def runner_python(request: pytest.FixtureRequest) -> str:
    """The interpreter the agent runner is started with: each accepted OS's python3, then the test interpreter."""
    python, reason = os_python(request.param)
    if python is None:
        pytest.skip(reason)
    return python
