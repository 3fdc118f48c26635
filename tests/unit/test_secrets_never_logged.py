"""The control center's secret path stays out of logs: no handler or core module hands it to a logger."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from p2p_core.control_center.render import render_function
from p2p_core.models.events import PlanResult
from p2p_core.workflow.plan_step import plan_summary

ROOT = Path(__file__).resolve().parents[2]
# module-level secrets a handler must never hand to a logger
SECRET_NAMES = ("control_center_path", "control_center_urls", "p2p_control_center_path", "p2p_control_center_urls")
LOGGER_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "append_keys", "structure_logs"}
)


def _is_logger_call(func: ast.expr) -> bool:
    """`print(...)` or `<something named like a logger>.info(...)` and its siblings."""
    if isinstance(func, ast.Name):
        return func.id == "print"
    return (
        isinstance(func, ast.Attribute)
        and func.attr in LOGGER_METHODS
        and isinstance(func.value, ast.Name)
        and "log" in func.value.id.lower()
    )


def _logger_calls(tree: ast.AST) -> Iterator[ast.Call]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call) and _is_logger_call(node.func))


def _mentions_secret(call: ast.Call) -> bool:
    for node in ast.walk(call):
        names = []
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.append(node.value)
        elif isinstance(node, ast.keyword) and node.arg:
            names.append(node.arg)
        if any(secret in name.lower() for name in names for secret in SECRET_NAMES):
            return True
    return False


def _leaking_calls(source: str, filename: str) -> list[str]:
    tree = ast.parse(source, filename)
    return [f"{filename}:{call.lineno}" for call in _logger_calls(tree) if _mentions_secret(call)]


HANDLER_SOURCES = sorted([*(ROOT / "functions").rglob("*.py"), *(ROOT / "layers/core/p2p_core").rglob("*.py")])


@pytest.mark.parametrize(
    "snippet",
    [
        'logger.info("x", extra={"path": deployment.control_center_path})',
        'logger.debug("x", extra={"control_center_urls": urls})',
        "log.warning(os.environ['P2P_CONTROL_CENTER_PATH'])",
        "print(deployment.control_center_urls)",
        "logger.append_keys(control_center_path=p)",
    ],
)
def test_the_log_scan_catches_a_leak(snippet: str) -> None:
    assert _leaking_calls(snippet, "snippet.py")


def test_the_log_scan_reads_the_handlers() -> None:
    assert len(HANDLER_SOURCES) > 10
    calls = [c for path in HANDLER_SOURCES for c in _logger_calls(ast.parse(path.read_text(), str(path)))]
    assert len(calls) >= 5  # every handler logs its outcome


def test_no_handler_logs_the_control_center_secret_path() -> None:
    leaks = [leak for path in HANDLER_SOURCES for leak in _leaking_calls(path.read_text(), str(path.relative_to(ROOT)))]
    assert not leaks, "logger calls that mention the secret path or URLs:\n" + "\n".join(leaks)


def test_the_logged_plan_summary_holds_neither_code_nor_path() -> None:
    secret_path = "/cc-8d1e2f4a-secret"
    url = f"https://d111111abcdef8.cloudfront.net{secret_path}"
    code = render_function({"cc-settings": "{}"}, secret_path, enabled=True)
    assert secret_path in code
    # every free-form field of the result carries the secrets, so only a summary that leaves them out passes
    result = PlanResult(
        run_id="run-1",
        source=url,
        skipped=True,
        skip_reason=f"held by {url}",
        nothing_to_do=False,
        config={"control_center": {"code": code, "path": secret_path, "urls": [url]}},
        config_digest=secret_path,
        phase=code,
        unchanged_regions=["eu-west-1"],
        update_control_center=True,
        schedule_expression=code,
        observe_errors={"eu-west-1": f"GET {url} failed"},
    )
    logged = json.dumps(plan_summary(result))
    assert secret_path not in logged
    assert "cloudfront.net" not in logged
    assert "function handler" not in logged
