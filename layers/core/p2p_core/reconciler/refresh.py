"""Instance refresh: running instances follow a new launch template version.

A new template version reaches only new launches. Once the group follows a version, instances still
on an older one are replaced by an Auto Scaling instance refresh: `Rolling`, `SkipMatching` (only
instances on another version are replaced), `MinHealthyPercentage` from `instance.refresh`, and the
version as its `DesiredConfiguration`, so DescribeInstanceRefreshes says which version a refresh
rolls out.

- Never two at once: a refresh rolling out the version the group follows is left to run, and its
  progress is reported (RegionResult.refresh).
- A newer config supersedes: AWS refuses to change the group's launch template while a refresh with
  a desired configuration is active, so a refresh still rolling out an older version is cancelled
  (without waiting for transitioning instances: the new refresh replaces them too) before the group
  moves on, and a new one starts for the new version.
- A refresh that failed or was cancelled is started again by the next run: Plan sees instances on an
  older version in the DescribeAutoScalingGroups answer it already reads (no extra read) and sends
  the region here.

Cost: nothing is read unless instances run an older version or the group is about to follow a new
one; then one DescribeInstanceRefreshes per run.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from p2p_core.config.instance import RefreshSettings
from p2p_core.market import Buying
from p2p_core.models.results import RefreshProgress
from p2p_core.reconciler.context import RegionContext
from p2p_core.reconciler.errors import STILL_CANCELLING, ReconcileError, error_code
from p2p_core.reconciler.launch_failures import live

# an instance refresh in these states blocks another one (and the group's launch template)
ACTIVE = frozenset({"Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking"})
CANCEL_WAIT_SECONDS = 30.0
CANCEL_POLL_SECONDS = 2.0
REFRESHES_READ = 5  # newest first: the newest tells whether one is active

Step = Literal["leave", "report", "start", "cancel", "cancel_and_start"]


@dataclass(frozen=True)
class Refresh:
    """One entry of DescribeInstanceRefreshes, as the decisions read it."""

    refresh_id: str
    status: str
    version: str | None  # the launch template version of its DesiredConfiguration (None: it has none)
    percentage_complete: int = 0
    instances_to_update: int = 0
    reason: str = ""

    @property
    def active(self) -> bool:
        """True while it runs (or is being cancelled): no other refresh can start."""
        return self.status in ACTIVE

    @classmethod
    def from_aws(cls, raw: dict[str, Any]) -> Refresh:
        """An InstanceRefresh of AWS's answer."""
        template = launch_template_spec(raw.get("DesiredConfiguration") or {})
        return cls(
            refresh_id=str(raw["InstanceRefreshId"]),
            status=str(raw["Status"]),
            version=str(template["Version"]) if "Version" in template else None,
            percentage_complete=int(raw.get("PercentageComplete") or 0),
            instances_to_update=int(raw.get("InstancesToUpdate") or 0),
            reason=str(raw.get("StatusReason") or ""),
        )

    def progress(self, version: str | None = None) -> RefreshProgress:
        """The refresh in the region's result."""
        return RefreshProgress(
            refresh_id=self.refresh_id,
            status=self.status,
            template_version=version or self.version or "?",
            percentage_complete=self.percentage_complete,
            instances_to_update=self.instances_to_update,
            reason=self.reason or None,
        )


def launch_template_spec(group: dict[str, Any]) -> dict[str, Any]:
    """The launch template a group (or a refresh's DesiredConfiguration) names, directly or in its policy."""
    mixed = ((group.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}).get("LaunchTemplateSpecification")
    return dict(mixed or group.get("LaunchTemplate") or {})


def group_version(group: dict[str, Any]) -> str | None:
    """The launch template version a DescribeAutoScalingGroups entry launches."""
    version = launch_template_spec(group).get("Version")
    return None if version is None else str(version)


def instance_versions(group: dict[str, Any]) -> dict[str, int]:
    """Live instances of a DescribeAutoScalingGroups entry per launch template version they run."""
    versions = Counter(str((i.get("LaunchTemplate") or {}).get("Version", "?")) for i in live(group))
    return dict(sorted(versions.items()))


def desired_configuration(template: dict[str, str], buying: Buying | None) -> dict[str, Any]:
    """A refresh's DesiredConfiguration: the template version, inside the group's MixedInstancesPolicy when it has one.

    AWS makes the group take the desired configuration when the refresh succeeds, so a group with a
    policy must be refreshed with its whole policy (a bare launch template would replace it).
    """
    return {"MixedInstancesPolicy": buying.policy(template)} if buying else {"LaunchTemplate": template}


def decide(*, enabled: bool, outdated: int, desired: int, version: str, active: Refresh | None) -> Step:
    """What the group's instance refresh needs, given the version it follows and the refresh running now."""
    if active is not None and active.version == version:
        return "report"  # never two at once: the refresh of this very version carries on
    wanted = enabled and outdated > 0 and desired > 0
    if active is not None:  # rolling out an older (or no) desired configuration: superseded
        return "cancel_and_start" if wanted else "cancel"
    return "start" if wanted else "leave"


class Rollout:
    """One region's instance refresh during one run; DescribeInstanceRefreshes is read at most once."""

    def __init__(
        self,
        ctx: RegionContext,
        settings: RefreshSettings,
        *,
        buying: Buying | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ctx, self._settings, self._buying = ctx, settings, buying
        self._sleep, self._clock = sleep, clock
        self._seen: list[Refresh] | None = None

    def before_group_follows(self, group: dict[str, Any], version: str) -> None:
        """Cancel a refresh of another version before the group follows `version` (AWS would refuse the update)."""
        if group_version(group) == version:
            return
        active = self._active(group["AutoScalingGroupName"])
        if active is not None and active.version != version:
            self._cancel(group["AutoScalingGroupName"], active, version)

    def roll(self, group: dict[str, Any], version: str | None, desired: int | None) -> None:
        """Start, supersede or report the refresh that `group`'s instances need once it follows `version`.

        `group` is the group as read before this run changed it (its instances); `desired` the
        capacity this run set, None when it left it alone.
        """
        if version is None or not version.isdigit():
            return
        name = group["AutoScalingGroupName"]
        outdated = sum(n for v, n in instance_versions(group).items() if v != version)
        desired = int(group.get("DesiredCapacity", 0)) if desired is None else desired
        if self._seen is None and not (self._settings.enabled and outdated and desired):
            return  # nothing to roll and nothing read: a region with current instances costs no call
        active = self._active(name)
        step = decide(
            enabled=self._settings.enabled, outdated=outdated, desired=desired, version=version, active=active
        )
        if step == "report" and active is not None:
            self._ctx.refresh = active.progress()
            return
        if step in ("cancel", "cancel_and_start") and active is not None:
            self._cancel(name, active, version)
        if step in ("start", "cancel_and_start"):
            self._start(name, group, version, outdated)

    # ------------------------------------------------------------------------------------------- AWS calls

    def _refreshes(self, name: str) -> list[Refresh]:
        if self._seen is None:
            found = self._ctx.autoscaling.describe_instance_refreshes(
                AutoScalingGroupName=name, MaxRecords=REFRESHES_READ
            )["InstanceRefreshes"]
            self._seen = [Refresh.from_aws(raw) for raw in found]
        return self._seen

    def _active(self, name: str) -> Refresh | None:
        return next((r for r in self._refreshes(name) if r.active), None)

    def _start(self, name: str, group: dict[str, Any], version: str, outdated: int) -> None:
        template = {"LaunchTemplateId": launch_template_spec(group)["LaunchTemplateId"], "Version": version}
        minimum = self._settings.min_healthy_percentage
        try:
            started = self._ctx.autoscaling.start_instance_refresh(
                AutoScalingGroupName=name,
                Strategy="Rolling",
                DesiredConfiguration=desired_configuration(template, self._buying),
                Preferences={"MinHealthyPercentage": minimum, "SkipMatching": True},
            )
        except ClientError as exc:
            if error_code(exc) != "InstanceRefreshInProgress":
                raise
            self._seen = None  # another one started meanwhile (not by this run): report it
            if (active := self._active(name)) is not None:
                self._ctx.refresh = active.progress()
            return
        refresh_id = str(started["InstanceRefreshId"])
        previous = next(iter(self._seen or []), None)
        why = f" (the last one {previous.status}: {previous.reason})" if previous and previous.reason else ""
        self._ctx.did(
            f"started instance refresh {refresh_id}: {outdated} instance(s) to template version {version}, "
            f"{minimum}% kept in service{why}"
        )
        self._ctx.refresh = RefreshProgress(
            refresh_id=refresh_id, status="Pending", template_version=version, instances_to_update=outdated
        )
        self._seen = [Refresh(refresh_id, "Pending", version, 0, outdated), *(self._seen or [])]

    def _cancel(self, name: str, active: Refresh, version: str) -> None:
        try:
            self._ctx.autoscaling.cancel_instance_refresh(
                AutoScalingGroupName=name, WaitForTransitioningInstances=False
            )
        except ClientError as exc:
            if error_code(exc) != "ActiveInstanceRefreshNotFound":  # it ended meanwhile: nothing to cancel
                raise
        old = f"template version {active.version}" if active.version else "no desired configuration"
        self._ctx.did(f"cancelled instance refresh {active.refresh_id} ({old}): superseded by version {version}")
        deadline = self._clock() + CANCEL_WAIT_SECONDS
        while True:
            found = self._ctx.autoscaling.describe_instance_refreshes(
                AutoScalingGroupName=name, InstanceRefreshIds=[active.refresh_id]
            )["InstanceRefreshes"]
            now = [Refresh.from_aws(raw) for raw in found]
            if not any(r.active for r in now):
                self._seen = [*now, *(r for r in self._seen or [] if r.refresh_id != active.refresh_id)]
                return
            if self._clock() >= deadline:
                raise ReconcileError(
                    STILL_CANCELLING,
                    f"instance refresh {active.refresh_id} ({old}) is still cancelling; "
                    f"a later attempt moves the group to template version {version}",
                )
            self._sleep(CANCEL_POLL_SECONDS)
