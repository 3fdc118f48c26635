"""The config item: its model (`model`), the settings it is made of, and the grammars of its values.

`ConfigItem` and `parse_config` are what most callers want; the parts live in their own modules:
instance, network, capacity, schedule_expression, durations, rfc3339 (timestamps) and validation
(the errors that name each bad field and its value).
"""

from p2p_core.config.model import ConfigItem, parse_config

__all__ = ["ConfigItem", "parse_config"]
