"""The headers the control center serves itself (SPEC §5), and the config field each one's value comes from.

Apart from `headers.py` so the config model can refuse an `extra_headers` name that would shadow one of them.
"""

from __future__ import annotations

FIELD_OF_HEADER = {
    "cc-w-s-expression": "schedule_expression",
    "cc-w-a-desired-capacity": "desired_capacity",
    "cc-w-a-start": "start_time",
    "cc-w-a-start-offset": "start_offset",
    "cc-w-a-stop": "stop_time",
    "cc-a-delay": "agent.delay",
    "cc-a-force-run": "agent.force_run",
    "cc-a-main-run": "agent.main_run",
    "cc-a-pre-run": "agent.pre_run",
    "cc-a-post-run": "agent.post_run",
    "cc-a-repository": "agent.repository",
    "cc-a-type": "agent.type",
    "cc-a-desired-capacity": "desired_capacity",
    "cc-a-start": "start_time",
    "cc-a-stop": "stop_time",
}
SERVED_HEADERS = frozenset(FIELD_OF_HEADER)
