"""One region catalogue for the CLI and the Lambda runtime, checked against the installed botocore."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import botocore.session

from p2p_core.regions import catalogue, commercial_regions, is_known_region, is_opt_in, opt_in_regions

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "layers/core/p2p_core/regions.json"
# AWS made every region launched after March 2019 opt-in; these 17 are enabled in every account
ENABLED_BY_DEFAULT = {
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
    "ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1",
    "us-east-1", "us-east-2", "us-west-1", "us-west-2",
}  # fmt: skip


def _botocore_partition() -> dict[str, dict[str, str]]:
    endpoints = botocore.session.get_session().get_component("data_loader").load_data("endpoints")
    (aws,) = [p for p in endpoints["partitions"] if p["partition"] == "aws"]
    regions: dict[str, dict[str, str]] = aws["regions"]
    return regions


def test_the_catalogue_names_the_regions_botocore_knows_in_the_aws_partition() -> None:
    ours, theirs = set(commercial_regions()), set(_botocore_partition())
    # a difference means botocore was upgraded: add or remove the region in regions.json on purpose
    assert not theirs - ours, f"botocore knows regions missing from regions.json: {sorted(theirs - ours)}"
    assert not ours - theirs, f"regions.json has regions botocore does not know: {sorted(ours - theirs)}"


def test_every_catalogued_region_offers_ec2_per_botocore() -> None:
    ec2 = set(botocore.session.get_session().get_available_regions("ec2", partition_name="aws"))
    assert set(commercial_regions()) <= ec2


def test_descriptions_match_botocore() -> None:
    partition = _botocore_partition()
    wrong = {r.name: r.description for r in catalogue().values() if partition[r.name]["description"] != r.description}
    assert not wrong


def test_opt_in_is_every_region_but_the_seventeen_enabled_by_default() -> None:
    assert set(opt_in_regions()) == set(commercial_regions()) - ENABLED_BY_DEFAULT
    assert len(commercial_regions()) == 34 and len(opt_in_regions()) == 17
    assert is_opt_in("ap-east-2") and not is_opt_in("eu-central-1") and not is_opt_in("eu-centrl-1")


def test_region_checks_read_the_catalogue_not_botocore() -> None:
    assert is_known_region("ap-southeast-6") and not is_known_region("eu-centrl-1")
    assert json.loads(CATALOGUE.read_text())["partition"] == "aws"


def test_the_catalogue_ships_inside_the_package_the_layer_and_the_wheel_are_built_from() -> None:
    # the layer is sam-built from layers/core/ (every file of it); the CLI's wheel takes p2p_core's *.json
    assert CATALOGUE.parent == ROOT / "layers/core/p2p_core"
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "*.json" in package_data["p2p_core"]
