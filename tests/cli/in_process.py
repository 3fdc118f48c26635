"""`p2pctl` run inside the test process (typer's CliRunner), answering as the subprocess would.

A command costs milliseconds here instead of an interpreter start, imports and a coverage start (~0.9 s of CPU).
What a process start gives each command is given here too: the environment passed (whole, as `subprocess.run`
takes it), the working directory, stdin (never a terminal), and rich consoles made anew under the command's
COLUMNS and captured streams. `p2pctl.main.run` is the console script minus what only a process has (the SIGINT
handler, `os._exit` on Ctrl-C): the tests that need those run the real script (`local_cli.p2pctl_process`).
"""

from __future__ import annotations

import contextlib
import inspect
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from p2pctl import main, output

# click 8.1 mixes stderr into stdout unless told not to; click 8.2 always keeps them apart (and has no switch)
_SEPARATE = {"mix_stderr": False} if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters else {}
RUNNER = CliRunner(**_SEPARATE)
CONSOLES = (output.console, output.errors)


def run_in_process(
    args: Sequence[str],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`p2pctl *args` in this process, as `subprocess.run(..., env=env, cwd=cwd, input=stdin)` would run it."""
    environment = dict(os.environ)
    with _working_directory(cwd), RUNNER.isolation(input=stdin, env=_environment_changes(env)) as streams:
        with _fresh_consoles():
            code = _exit_code(list(args))
        sys.stdout.flush()  # text wrappers over the captured bytes, as a process flushes at exit
        sys.stderr.flush()
        stdout, stderr = streams[0].getvalue(), streams[1].getvalue()
    changed = sorted(k for k in environment.keys() | os.environ.keys() if environment.get(k) != os.environ.get(k))
    assert changed == [], f"p2pctl {' '.join(args)} changed the test process's environment: {changed}"
    return subprocess.CompletedProcess(["p2pctl", *args], code, stdout.decode(), stderr.decode())


def _exit_code(args: list[str]) -> int:
    try:
        main.run(args)
    except SystemExit as exc:  # every path ends here: click's standalone mode exits even on success
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    raise AssertionError("p2pctl.main.run returned without exiting")


def _environment_changes(env: Mapping[str, str] | None) -> dict[str, str | None]:
    """What CliRunner must set (and unset: None) so that os.environ is `env` for the command; restored after."""
    if env is None:
        return {}
    return {**{name: None for name in os.environ if name not in env}, **env}


@contextlib.contextmanager
def _working_directory(cwd: Path | None) -> Iterator[None]:
    if cwd is None:
        yield
        return
    before = Path.cwd()
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def _fresh_consoles() -> Iterator[None]:
    """The CLI's module-level consoles as a new process makes them: rich reads COLUMNS and the terminal (colour)
    once, when a Console is made, so each command gets them re-made under its own environment and streams."""
    saved: list[dict[str, Any]] = [dict(vars(console)) for console in CONSOLES]
    for console in CONSOLES:
        console.__init__(stderr=console.stderr, soft_wrap=console.soft_wrap)  # type: ignore[misc]
    try:
        yield
    finally:
        for console, state in zip(CONSOLES, saved, strict=True):
            vars(console).clear()
            vars(console).update(state)
