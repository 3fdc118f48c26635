"""The python3 of each OS agents may run (`instance.os`), found on this machine, for the agent runner's tests.

The runner runs under the OS's own /usr/bin/python3 (p2p_core.config.instance.OS_PYTHON: 3.10 on Ubuntu
22.04, 3.12 on 24.04), so its tests start it under each of those interpreters, taken from pyenv's
versions or PATH; one that is missing skips its tests with a reason naming it. They run under the
test interpreter too, so a machine without either still runs the runner.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from p2p_core.config.instance import OS_PYTHON

TEST_INTERPRETER = "test-interpreter"


def _version(python: str) -> str | None:
    """'3.10' for a working interpreter at `python`; None when it does not start (a pyenv shim of another version)."""
    try:
        done = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _pyenv_versions() -> Path:
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"


def find_python(version: str) -> str | None:
    """An interpreter of `version` ('3.10'): pyenv's newest patch release of it, else python3.10 on PATH."""
    installed = sorted(
        _pyenv_versions().glob(f"{version}.*/bin/python{version}"),
        key=lambda path: [int(part) if part.isdigit() else 0 for part in path.parents[1].name.split(".")],
    )
    candidates = [str(path) for path in reversed(installed)]
    on_path = shutil.which(f"python{version}")
    candidates += [on_path] if on_path else []
    return next((python for python in candidates if _version(python) == version), None)


def os_python(name: str) -> tuple[str | None, str]:
    """(the interpreter for `name` — an OS of OS_PYTHON or TEST_INTERPRETER — or None; the reason when None)."""
    if name == TEST_INTERPRETER:
        return sys.executable, ""
    version = OS_PYTHON[name]
    reason = (
        f"python{version} ({name}'s /usr/bin/python3) not found in pyenv ({_pyenv_versions()}) or on PATH: "
        f"install it (pyenv install {version}) to run the agent runner under it"
    )
    found = find_python(version)
    return found, "" if found else reason
