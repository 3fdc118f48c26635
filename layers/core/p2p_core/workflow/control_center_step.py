"""UpdateControlCenter: render the CloudFront Function from the config, publish it only if it changed."""

from __future__ import annotations

from p2p_core.aws.clients import ClientFactory
from p2p_core.config import ConfigItem, parse_config
from p2p_core.config.validation import FieldError
from p2p_core.control_center import publish
from p2p_core.control_center.headers import control_center_headers, header_field
from p2p_core.control_center.render import ControlCenterError, render_function
from p2p_core.models.deployment import Deployment
from p2p_core.models.events import ControlCenterTask, StepOutcome
from p2p_core.models.window import Window

# CloudFront is a global service; its API lives in us-east-1
CLOUDFRONT_REGION = "us-east-1"


def render_control_center(config: ConfigItem, window: Window, deployment: Deployment) -> str:
    """The function code agents will be served by, for this config and window."""
    headers = control_center_headers(config, window)
    return render_function(headers, deployment.control_center_path, enabled=config.control_center.enabled)


def blame(exc: ControlCenterError) -> FieldError:
    """A control-center limit as a config error on the field that made it big (or bad)."""
    return FieldError(header_field(exc.header), "(rendered function)", str(exc))


def live_code(clients: ClientFactory, deployment: Deployment) -> str | None:
    """The code of the LIVE stage, or None when the function does not exist or was never published."""
    if not deployment.control_center_function:
        return None
    return publish.live_code(clients.client("cloudfront", CLOUDFRONT_REGION), deployment.control_center_function)


def control_center_step(task: ControlCenterTask, deployment: Deployment, clients: ClientFactory) -> StepOutcome:
    """The UpdateControlCenter state; a no-op (no AWS call) when Plan found the code unchanged."""
    if not task.update or task.window is None or not deployment.control_center_function:
        return StepOutcome(status="skipped")
    config = parse_config(task.config)
    code = render_control_center(config, task.window, deployment)
    cloudfront = clients.client("cloudfront", CLOUDFRONT_REGION)
    published = publish.publish_function(cloudfront, deployment.control_center_function, code)
    return StepOutcome(status="ok", changed=published.changed, calls=list(published.calls))
