"""What a deployment of the stack tells its code: names, ARNs and URLs, from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from p2p_core.drift_events import DriftRouting

# the template's parameter defaults (MaxConcurrency, LeaseSeconds); tests hold template.yaml to these
MAX_CONCURRENCY = 34
LEASE_SECONDS = 900


class Deployment(BaseModel):
    """Settings every handler and the CLI share; Lambda gets them as environment variables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stack_name: str = "p2p"
    home_region: str = "eu-central-1"
    config_table: str = "p2p-config"
    instance_profile_arn: str | None = None
    control_center_urls: list[str] = Field(default_factory=list)
    control_center_function: str | None = None
    schedule_name: str | None = None
    schedule_group: str = "default"
    control_center_path: str = Field("/control-center", description="the secret path agents poll")
    lease_seconds: int = Field(LEASE_SECONDS, ge=60, description="how long a run's lease lasts")
    max_concurrency: int = Field(
        MAX_CONCURRENCY, ge=1, description="regions reconciled at once (the Map's MaxConcurrency)"
    )
    radar_url: str = Field("", description="the radar's URL agents report to (empty: agents do not report)")
    radar_table: str | None = Field(None, description="the radar's table: one last-seen record per agent")
    endpoint_url: str | None = Field(None, description="AWS endpoint override (the local emulator)")
    function_name: str | None = Field(None, description="the Lambda function running this code (None: the CLI)")
    drift_forward_role_arn: str | None = Field(
        None, description="the role regions' drift rules deliver to the home bus with (None: no drift rules)"
    )
    drift_own_roles: list[str] = Field(
        default_factory=list, description="role ARNs whose calls are the control plane's own work, not drift"
    )
    drift_rule_name: str | None = Field(None, description="every managed region's drift-event rule")

    def drift_routing(self) -> DriftRouting | None:
        """Where regions' drift events go, or None when this deployment has no drift rules (an older stack)."""
        if not self.drift_forward_role_arn or not self.drift_rule_name:
            return None
        return DriftRouting(
            home_region=self.home_region,
            forward_role_arn=self.drift_forward_role_arn,
            own_roles=tuple(self.drift_own_roles),
            rule_name=self.drift_rule_name,
        )

    @property
    def deploy_key_parameter(self) -> str:
        """The SSM SecureString holding the private repository's deploy key (in the home region)."""
        return deploy_key_parameter(self.stack_name)

    @property
    def radar_token_parameter(self) -> str:
        """The SSM SecureString holding the radar's token (in the home region)."""
        return f"/p2p/{self.stack_name}/radar-token"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Deployment:
        """Read P2P_* variables (and AWS_ENDPOINT_URL) from the environment."""
        env = os.environ if env is None else env
        urls = [u for u in env.get("P2P_CONTROL_CENTER_URLS", "").split(",") if u]
        path = env.get("P2P_CONTROL_CENTER_PATH", "/control-center")
        if domain := env.get("P2P_CONTROL_CENTER_DOMAIN", "").strip():
            urls.insert(0, f"https://{domain}{path}")  # the custom domain first, the distribution as the fallback
        return cls(
            stack_name=env.get("P2P_STACK_NAME", "p2p"),
            home_region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "eu-central-1",
            config_table=env.get("P2P_CONFIG_TABLE", "p2p-config"),
            instance_profile_arn=env.get("P2P_INSTANCE_PROFILE_ARN") or None,
            control_center_urls=urls,
            control_center_function=env.get("P2P_CONTROL_CENTER_FUNCTION") or None,
            schedule_name=env.get("P2P_SCHEDULE_NAME") or None,
            schedule_group=env.get("P2P_SCHEDULE_GROUP", "default"),
            control_center_path=path,
            lease_seconds=int(env.get("P2P_LEASE_SECONDS", str(LEASE_SECONDS))),
            max_concurrency=int(env.get("P2P_MAX_CONCURRENCY", str(MAX_CONCURRENCY))),
            radar_url=env.get("P2P_RADAR_URL", ""),
            radar_table=env.get("P2P_RADAR_TABLE") or None,
            endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
            function_name=env.get("AWS_LAMBDA_FUNCTION_NAME") or None,
            drift_forward_role_arn=env.get("P2P_DRIFT_FORWARD_ROLE_ARN") or None,
            drift_own_roles=[r for r in env.get("P2P_DRIFT_OWN_ROLES", "").split(",") if r],
            drift_rule_name=env.get("P2P_DRIFT_RULE_NAME") or None,
        )


def deploy_key_parameter(stack_name: str) -> str:
    """The deploy key's parameter name; template.yaml grants the agents' role GetParameter on exactly this."""
    return f"/p2p/{stack_name}/deploy-key"


STAGED_KEY_SUFFIX = "-next"  # agents/agent_runner.py derives the same name


def staged_deploy_key_parameter(stack_name: str) -> str:
    """The key `p2pctl deploy-key rotate` stages: agents try it first, then the current one, until `--finish`."""
    return deploy_key_parameter(stack_name) + STAGED_KEY_SUFFIX
