"""`instance`: root volume settings EC2 would refuse are invalid config, naming the field and the value."""

from __future__ import annotations

from typing import Any

import pytest

from p2p_core.config import parse_config
from p2p_core.config.validation import ConfigError
from p2p_core.infrastructure import infrastructure_hash

VALID = [
    {},
    {"volume_type": "gp2", "volume_size": 16_384},
    {"volume_type": "gp3", "volume_size": 65_536, "iops": 80_000},
    {"volume_type": "gp3", "iops": 3_000},
    {"volume_type": "gp3", "volume_size": 8, "iops": 4_000},  # 500 IOPS per GiB
    {"volume_type": "io1", "volume_size": 8, "iops": 400},  # 50 per GiB
    {"volume_type": "io1", "volume_size": 2_000, "iops": 64_000},
    {"volume_type": "io2", "volume_size": 8, "iops": 8_000},  # 1000 per GiB
    {"volume_type": "io2", "volume_size": 65_536, "iops": 256_000},
    {"volume_type": "standard", "volume_size": 1_024},
]


@pytest.mark.parametrize("instance", VALID, ids=lambda i: ",".join(f"{k}={v}" for k, v in i.items()) or "defaults")
def test_root_volumes_ec2_boots_from(instance: dict[str, Any]) -> None:
    settings = parse_config({"instance": instance}).instance
    assert settings.iops == instance.get("iops")


INVALID = [
    ({"volume_type": "st1"}, "instance.volume_type", "st1 cannot be a root volume"),
    ({"volume_type": "sc1", "volume_size": 500}, "instance.volume_type", "sc1 cannot be a root volume"),
    ({"volume_type": "io1"}, "instance.iops", "io1 needs provisioned IOPS: set instance.iops (100-64000)"),
    ({"volume_type": "io2", "volume_size": 100}, "instance.iops", "io2 needs provisioned IOPS"),
    ({"volume_type": "io1", "iops": 99}, "instance.iops", "io1 takes 100-400 IOPS at 8 GiB"),
    ({"volume_type": "io1", "iops": 401}, "instance.iops", "io1 takes 100-400 IOPS at 8 GiB (50 per GiB"),
    ({"volume_type": "io1", "volume_size": 4_000, "iops": 64_001}, "instance.iops", "at most 64000), got 64001"),
    ({"volume_type": "io2", "iops": 8_001}, "instance.iops", "io2 takes 100-8000 IOPS at 8 GiB"),
    ({"volume_type": "gp3", "iops": 2_999}, "instance.iops", "gp3 takes 3000-4000 IOPS at 8 GiB"),
    ({"volume_type": "gp3", "volume_size": 200, "iops": 80_001}, "instance.iops", "gp3 takes 3000-80000 IOPS"),
    ({"volume_type": "gp2", "iops": 3_000}, "instance.iops", "IOPS can be set for gp3, io1, io2 only, not gp2"),
    ({"volume_type": "standard", "iops": 100}, "instance.iops", "not standard"),
    ({"volume_type": "standard", "volume_size": 1_025}, "instance.volume_size", "standard volumes are at most 1024"),
    ({"volume_type": "gp2", "volume_size": 16_385}, "instance.volume_size", "gp2 volumes are at most 16384 GiB"),
    ({"volume_type": "io1", "volume_size": 16_385, "iops": 100}, "instance.volume_size", "io1 volumes are at most"),
    ({"volume_size": 7}, "instance.volume_size", "greater than or equal to 8"),
    ({"volume_size": 65_537}, "instance.volume_size", "less than or equal to 65536"),
]


@pytest.mark.parametrize(("instance", "field", "message"), INVALID, ids=lambda v: str(v))
def test_root_volumes_ec2_refuses_are_invalid_naming_the_field(
    instance: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"instance": instance})
    found = {e.field: e.message for e in caught.value.errors}
    assert field in found, found
    assert message in found[field]


def test_the_error_names_the_volume_type_and_its_value() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"instance": {"volume_type": "st1"}})
    (error,) = caught.value.errors
    assert (error.field, error.value) == ("instance.volume_type", "st1")
    assert str(error) == (
        "instance.volume_type: st1 cannot be a root volume: EC2 boots only from gp3, gp2, io1, io2, standard"
        " (got 'st1')"
    )


def test_an_unset_iops_leaves_the_stored_item_and_the_infrastructure_hash_as_before() -> None:
    # configs written before `iops` existed must not look changed (that would rebuild every region)
    config = parse_config({"instance": {"type": "t3.small"}})
    assert "iops" not in config.to_item()["instance"]
    assert "iops" not in config.model_dump(mode="json")["instance"]
    # the values the code gave these configs before `iops` existed (renewed once since: dual stack,
    # network.ipv6 and open_ports = [TCP, UDP], changed what every region is built from)
    assert infrastructure_hash(config) == "5ae7d4ebeedda0aa"
    assert parse_config({}).content_digest() == "35af41eba4571133"
    with_iops = parse_config({"instance": {"type": "t3.small", "volume_type": "gp3", "iops": 3_000}})
    assert infrastructure_hash(with_iops) != infrastructure_hash(config)


# --- instance.refresh ---------------------------------------------------------------------------------


def test_refresh_is_on_by_default_keeping_90_percent_in_service() -> None:
    refresh = parse_config({}).instance.refresh
    assert (refresh.enabled, refresh.min_healthy_percentage) == (True, 90)
    chosen = parse_config({"instance": {"refresh": {"enabled": False, "min_healthy_percentage": 0}}}).instance.refresh
    assert (chosen.enabled, chosen.min_healthy_percentage) == (False, 0)
    assert parse_config({"instance": {"refresh": {"min_healthy_percentage": 100}}}).instance.refresh.enabled


BAD_REFRESH = [
    ({"min_healthy_percentage": 101}, "instance.refresh.min_healthy_percentage", "less than or equal to 100", 101),
    ({"min_healthy_percentage": -1}, "instance.refresh.min_healthy_percentage", "greater than or equal to 0", -1),
    ({"min_healthy_percentage": "most"}, "instance.refresh.min_healthy_percentage", "valid integer", "most"),
    ({"enabled": "maybe"}, "instance.refresh.enabled", "valid boolean", "maybe"),
    ({"batch": 2}, "instance.refresh.batch", "unknown field", 2),
]


@pytest.mark.parametrize(("refresh", "field", "message", "value"), BAD_REFRESH, ids=lambda v: str(v))
def test_bad_refresh_settings_name_the_field_and_the_value(
    refresh: dict[str, Any], field: str, message: str, value: Any
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"instance": {"refresh": refresh}})
    (error,) = caught.value.errors
    assert (error.field, error.value) == (field, value)
    assert message in error.message


def test_refresh_settings_never_make_a_new_template_version() -> None:
    # how running instances follow a version is not what a version holds: no new version, no refresh
    plain = parse_config({"instance": {"type": "t3.small"}})
    rolled = parse_config({"instance": {"type": "t3.small", "refresh": {"enabled": False}}})
    assert infrastructure_hash(rolled) == infrastructure_hash(plain) == "5ae7d4ebeedda0aa"
    assert rolled.content_digest() != plain.content_digest()  # still an edit of the item


def test_default_refresh_settings_leave_stored_items_and_digests_as_before() -> None:
    # configs written before `refresh` existed keep their digest: an upgrade moves no "now" anchor
    assert "refresh" not in parse_config({"instance": {"type": "t3.small"}}).to_item()["instance"]
    assert parse_config({"instance": {"refresh": {"enabled": True}}}).content_digest() == "35af41eba4571133"
    assert parse_config({}).content_digest() == "35af41eba4571133"
    stored = parse_config({"instance": {"refresh": {"min_healthy_percentage": 50}}}).to_item()["instance"]
    assert stored["refresh"] == {"min_healthy_percentage": 50}  # only what was set is stored


def test_the_config_schema_describes_the_refresh_settings() -> None:
    from p2p_core.config.model import config_json_schema

    schema = config_json_schema()
    refresh = schema["$defs"]["RefreshSettings"]["properties"]
    assert refresh["enabled"]["default"] is True
    assert (refresh["min_healthy_percentage"]["minimum"], refresh["min_healthy_percentage"]["maximum"]) == (0, 100)
