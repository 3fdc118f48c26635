"""A config that validates but cannot be delivered (user data or control center over AWS limits) is invalid too."""

from __future__ import annotations

from datetime import datetime

from p2p_core.bootstrap.userdata import UserDataTooLarge, render_user_data
from p2p_core.config import ConfigItem
from p2p_core.config.validation import ConfigError, FieldError
from p2p_core.control_center.render import ControlCenterError
from p2p_core.models.deployment import Deployment
from p2p_core.timemodel import effective_window
from p2p_core.workflow.control_center_step import blame, render_control_center


def check_deliverable(config: ConfigItem, deployment: Deployment, now: datetime) -> None:
    """Raise ConfigError naming the field when EC2's 16 KB user data or CloudFront's limits would be exceeded."""
    found: list[FieldError] = []
    try:
        render_user_data(config, deployment)
    except UserDataTooLarge as exc:
        found.append(FieldError(exc.field, "(user data)", str(exc)))
    window = effective_window(config, now)  # the anchor moves S and E, never their length
    try:
        render_control_center(config, window, deployment)
    except ControlCenterError as exc:
        found.append(blame(exc))
    if found:
        raise ConfigError(found)
