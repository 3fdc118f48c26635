"""Tiered verification's pure parts: when two reads suffice, and what is remembered after a run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from p2p_core.models.observed import CapacityTarget, ObservedAsg, ObservedRegion, ObservedSecurityGroup, SecurityRule
from p2p_core.verification import Verification, fingerprint, may_check_quietly, verified_after

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
SIX_HOURS = timedelta(hours=6)
GROUP = ObservedAsg(capacity=CapacityTarget(min_size=0, max_size=30, desired_capacity=1), instances=1, name="agents")
SSH = SecurityRule(protocol="tcp", from_port=22, to_port=22, peer="0.0.0.0/0")
P2P = SecurityRule(protocol="udp", from_port=1024, to_port=65535, peer="0.0.0.0/0")
SG = ObservedSecurityGroup(group_id="sg-1", vpc_id="vpc-1", ingress=[P2P])


def last(at: datetime = NOW - timedelta(hours=1), digest: str = "d", phase: str = "running") -> Verification:
    return Verification(at=at, fingerprint=fingerprint(GROUP, [SG]), config_digest=digest, phase=phase)


def quietly(seen: Verification | None, now: datetime = NOW, digest: str = "d", phase: str = "running") -> bool:
    return may_check_quietly(seen, now=now, interval=SIX_HOURS, config_digest=digest, phase=phase)


def test_two_reads_suffice_within_the_interval_for_the_same_config_and_phase() -> None:
    assert quietly(last())


def test_a_region_never_verified_a_new_config_a_new_phase_or_an_old_verification_is_verified_fully() -> None:
    assert not quietly(None)
    assert not quietly(last(), digest="edited")
    assert not quietly(last(), phase="stopped")  # a window boundary passed since
    assert not quietly(last(at=NOW - SIX_HOURS))  # the interval is up, to the second
    assert not quietly(last(at=NOW + timedelta(minutes=1)))  # a verification from the future is not trusted


def test_the_fingerprint_changes_with_capacity_and_rules_and_not_with_their_order() -> None:
    base = fingerprint(GROUP, [SG])
    resized = GROUP.model_copy(update={"capacity": CapacityTarget(min_size=0, max_size=30, desired_capacity=2)})
    assert fingerprint(resized, [SG]) != base
    assert fingerprint(GROUP.model_copy(update={"instances": 0}), [SG]) != base  # an instance gone
    opened = SG.model_copy(update={"ingress": [P2P, SSH]})
    assert fingerprint(GROUP, [opened]) != base
    assert fingerprint(GROUP, [opened.model_copy(update={"ingress": [SSH, P2P]})]) == fingerprint(GROUP, [opened])
    assert fingerprint(None, [SG]) != base  # the group deleted


def test_after_a_run_a_region_found_as_configured_is_remembered_and_a_drifted_one_forgotten() -> None:
    seen = ObservedRegion(region="eu-central-1", exists=True, asg=GROUP)
    seen = seen.model_copy(update={"network": seen.network.model_copy(update={"security_groups": [SG]})})
    earlier = last(at=NOW - timedelta(hours=2))
    kept = verified_after(
        {"ap-south-1": earlier, "us-east-1": earlier, "eu-west-1": earlier},
        regions=["eu-central-1", "us-east-1", "eu-west-1", "sa-east-1"],
        observed={"eu-central-1": seen, "eu-west-1": seen, "sa-east-1": seen},
        drifted=["eu-west-1"],
        quiet=["us-east-1"],
        now=NOW,
        config_digest="d",
        phase="running",
    )
    assert kept["eu-central-1"] == Verification(
        at=NOW, fingerprint=fingerprint(GROUP, [SG]), config_digest="d", phase="running"
    )
    assert kept["us-east-1"] == earlier  # checked quietly: its full verification is as old as it was
    assert kept["sa-east-1"].at == NOW
    assert "eu-west-1" not in kept  # drifted: the next check verifies it fully, after the repair
    assert "ap-south-1" not in kept  # no longer planned
