"""The Plan handler's cold import against `import boto3`: CPU of fresh `python` processes, as Lambda runs them.

`python -m benchmarks.imports` (or `python -m benchmarks.run imports`) measures only these rows and merges them
into the last results and the table in docs/benchmarks.md; `make bench` measures them with the rest.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.report import record

ROOT = Path(__file__).resolve().parents[1]


def import_ratio(runs: int = 7) -> dict[str, Any]:
    """Cold `import app` of the Plan handler (with the layer on the path) vs `import boto3`, fresh processes, CPU.

    Measured as Lambda's python3.13 runtime would run them, on both sides alike:
    - CPU seconds (user + system) of each child, so other people's load does not count; median of `runs`;
    - no `awscrt` and no `pyOpenSSL`: botocore imports them when installed (here the dev tools bring them:
      aws-sam-cli), Lambda's runtime has neither and the layer does not ship them (layers/core/requirements.txt);
    - bytecode present: the warm-up run writes the `.pyc` files (PYTHONDONTWRITEBYTECODE is dropped), as
      `make build` compiles the built layer and functions. `sam build` alone ships sources only, which Python then
      compiles on every cold start (/opt is read-only): the "from sources" figure, the layer laid out that way.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"POWERTOOLS_METRICS_NAMESPACE": "Bench", "POWERTOOLS_SERVICE_NAME": "bench"})

    def timed(code: str, path: str = f"{ROOT / 'layers' / 'core'}:{ROOT / 'functions' / 'plan'}", **more: str) -> float:
        return child_cpu(code, {**env, "PYTHONPATH": path, **more}, runs)

    timed("import app")  # warm the disk cache and write the .pyc files
    handler, boto, modules = timed("import app"), timed("import boto3"), timed(_WITHOUT_PREPARATION)
    with tempfile.TemporaryDirectory() as built:
        sources = timed("import app", _as_sam_build_ships(Path(built)), PYTHONDONTWRITEBYTECODE="1")
    return {"handler_import_seconds": round(handler, 3), "boto3_import_seconds": round(boto, 3),
            "import_ratio": round(handler / boto, 2), "import_ratio_modules_only": round(modules / boto, 2),
            "import_ratio_from_sources": round(sources / boto, 2),
            "machine_load_during_import": round(os.getloadavg()[0], 1)}  # fmt: skip


def child_cpu(code: str, env: dict[str, str], runs: int, *args: str) -> float:
    """Median CPU seconds (user + system) of `runs` fresh `python -c code args` as Lambda's runtime would run them
    (no awscrt, no pyOpenSSL: `_AS_IN_LAMBDA`), so other people's load does not count."""
    samples = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", _AS_IN_LAMBDA + code, *args], env=env, check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        samples.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(samples)


def _as_sam_build_ships(into: Path) -> str:
    """The layer and the Plan function laid out in `into` as `sam build` makes them: the core package and the
    layer's requirements (with what they require) as sources, no bytecode; their PYTHONPATH."""
    layer, function = into / "python", into / "plan"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "layers" / "core" / "p2p_core", layer / "p2p_core", ignore=ignore)
    shutil.copytree(ROOT / "functions" / "plan", function, ignore=ignore)
    wanted = [
        line for line in (ROOT / "layers" / "core" / "requirements.txt").read_text().splitlines() if line[:1].isalnum()
    ]
    seen: set[str] = set()
    while wanted:
        name = re.split(r"[<>=!~;\[ ]", wanted.pop(), maxsplit=1)[0].lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        dist = metadata.distribution(name)
        wanted += [r for r in dist.requires or [] if "extra ==" not in r]
        for file in dist.files or []:
            if file.suffix != ".pyc" and not str(file).startswith(".."):  # not the console scripts in bin/
                (layer / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(Path(str(file.locate())), layer / file)
    return f"{layer}:{function}"


# what Lambda's python3.13 runtime and the layer lack: a module set to None in sys.modules fails to import
_AS_IN_LAMBDA = "import sys; sys.modules['awscrt'] = sys.modules['OpenSSL'] = None; "
# the handler's modules and models alone: INIT's client preparation (workflow/prepare.py; its own row, "Plan, 34
# regions: INIT") replaced, in this child process only, by one that prepares nothing
_WITHOUT_PREPARATION = "import p2p_core.workflow.prepare as p; p.prepare_clients = lambda *_, **__: []; import app"


if __name__ == "__main__":
    print(record(import_ratio(), "import_measured_at"))
