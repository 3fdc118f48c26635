"""The launch template's part of verification: the default version is the group's, built from the config.

The template is read through the group: its default version and the version the group uses, each
with its content (one DescribeLaunchTemplateVersions). A version's description is the digest of the
content it was built from (`wanted.template_digest`); versions are immutable, so a matching digest
plus matching content shows the reconciler made it from this config. The content is compared field
by field except the AMI id, which only SSM knows (looking it up on every run would cost two more
reads per region, and a newer AMI alone is no reason to roll the fleet): a version made by hand has
another description or other content, a copied description does not hide changed content, and a
hand-made default differs from the group's version. The trade-off: a hand-made version that copies
the description and changes only the AMI is not noticed.
"""

from __future__ import annotations

from typing import Any

from p2p_core import names
from p2p_core.config import ConfigItem
from p2p_core.config.validation import show_value
from p2p_core.models.observed import ObservedRegion, ObservedVpc
from p2p_core.wanted import BuildInputs, template_digest, template_settings

_IGNORED_KEYS = {"ImageId"}  # the AMI SSM named when the version was made


def template_drifts(config: ConfigItem, seen: ObservedRegion, vpc: ObservedVpc, build: BuildInputs) -> list[str]:
    asg, template = seen.asg, seen.launch_template
    if asg is None:
        return []
    if template is None:
        return ["launch template: gone"]
    ours = names.launch_template_name(build.stack)
    if template.name != ours:
        return [f"Auto Scaling group: launches from launch template {template.name}, not {ours}"]
    drifts = []
    if asg.template_version != str(template.default_version):
        drifts.append(
            f"Auto Scaling group: launches version {asg.template_version}, not the default {template.default_version}"
        )
    version = template.version(template.default_version)
    groups = [g for g in seen.network.security_groups if g.vpc_id == vpc.vpc_id]
    if version is None or not groups:
        return drifts
    settings = template_settings(config, build, seen.region, groups[0].group_id)
    head = f"launch template default version {version.number}"
    if version.description != template_digest(settings, config.instance):
        made = "built from other settings" if version.description.startswith("p2p ") else "not made by p2p"
        drifts.append(f"{head}: {made}")
    drifts += [f"{head}: {difference}" for difference in template_differences(version.data, settings)]
    return drifts


def template_differences(data: dict[str, Any], settings: dict[str, Any]) -> list[str]:
    """How a version's LaunchTemplateData differs from `settings` (all but the AMI id), in words."""
    out = []
    for key in sorted((set(data) | set(settings)) - _IGNORED_KEYS):
        if key not in settings:
            out.append(f"{key} set by hand")
        elif key not in data:
            out.append(f"{key} missing")
        elif not _covers(_normal(key, data[key]), _normal(key, settings[key])):
            have, want = data[key], settings[key]
            scalar = isinstance(want, str | int | bool) and key != "UserData"
            out.append(f"{key} {show_value(have)}, want {show_value(want)}" if scalar else f"{key} differs")
    return out


def _normal(key: str, value: Any) -> Any:
    if key == "SecurityGroupIds":
        return sorted(value)
    if key == "NetworkInterfaces":  # the groups in any order
        return [{**i, "Groups": sorted(i["Groups"])} if "Groups" in i else i for i in value]
    if key == "BlockDeviceMappings":  # the root device name comes with the AMI
        return [{k: v for k, v in m.items() if k != "DeviceName"} for m in value]
    if key == "TagSpecifications":  # what instances get; moto also lists the template's own tags here
        return {
            s["ResourceType"]: {t["Key"]: t["Value"] for t in s["Tags"]}
            for s in value
            if s["ResourceType"] != "launch-template"
        }
    return value


def _covers(have: Any, want: Any) -> bool:
    # what we set must be there as we set it; EC2 may add defaults to a structure, never change ours
    if isinstance(want, dict):
        return isinstance(have, dict) and all(k in have and _covers(have[k], v) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and len(have) == len(want) and all(map(_covers, have, want))
    return bool(have == want)
