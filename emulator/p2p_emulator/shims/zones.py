"""Local Zones: zones of a region that are not availability zones, yet offer instance types.

A Local Zone (or Wavelength Zone) the account opted into is listed by DescribeAvailabilityZones
with its own `ZoneType` and offers instance types like any zone, but a fleet's subnets belong in
the region's availability zones (Local Zones have other prices, fewer services and must be opted
into). moto's regions have none, so code that takes every offering zone would pass here. The
emulator adds one to a region, offering every type the region's first availability zone offers.
"""

from __future__ import annotations

from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend, Zone
from moto.ec2.models.instance_types import INSTANCE_TYPE_OFFERINGS

# us-east-1's Boston Local Zone, opted into: the emulator's default account has it
DEFAULT_LOCAL_ZONES = {"us-east-1-bos-1a": ("us-east-1", "use1-bos1-az1")}


def add_local_zone(name: str, region: str, zone_id: str, zone_type: str = "local-zone") -> None:
    """Give `region` the zone `name` of `zone_type` (idempotent), offering its first AZ's instance types."""
    zones = RegionsAndZonesBackend.zones.setdefault(region, [])
    if any(z.name == name for z in zones):
        return
    zones.append(Zone(name=name, region_name=region, zone_id=zone_id, zone_type=zone_type))
    offers = INSTANCE_TYPE_OFFERINGS["availability-zone"].setdefault(region, [])
    first = min((o["Location"] for o in offers), default=None)
    offers += [{**o, "Location": name} for o in offers if o["Location"] == first]


def install() -> None:
    """The default account's Local Zones."""
    for name, (region, zone_id) in DEFAULT_LOCAL_ZONES.items():
        add_local_zone(name, region, zone_id)
