"""The Plan handler's cold import against `import boto3`: CPU of fresh `python` processes, as Lambda runs them.

`python -m benchmarks.imports` (or `python -m benchmarks.run imports`) measures only these rows and merges them
into the last results and the table in docs/benchmarks.md; `make bench` measures them with the rest.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
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
      `make build` compiles the built layer and functions (`sam build` alone ships sources only, which
      Python then compiles on every cold start: /opt is read-only).
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = f"{ROOT / 'layers' / 'core'}:{ROOT / 'functions' / 'plan'}"
    env.update({"POWERTOOLS_METRICS_NAMESPACE": "Bench", "POWERTOOLS_SERVICE_NAME": "bench"})

    def timed(code: str) -> float:
        samples = []
        for _ in range(runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([sys.executable, "-c", _AS_IN_LAMBDA + code], env=env, check=True, capture_output=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            samples.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        return statistics.median(samples)

    timed("import app")  # warm the disk cache and write the .pyc files
    handler, boto, modules = timed("import app"), timed("import boto3"), timed(_WITHOUT_PREPARATION)
    return {"handler_import_seconds": round(handler, 3), "boto3_import_seconds": round(boto, 3),
            "import_ratio": round(handler / boto, 2), "import_ratio_modules_only": round(modules / boto, 2),
            "machine_load_during_import": round(os.getloadavg()[0], 1)}  # fmt: skip


# what Lambda's python3.13 runtime and the layer lack: a module set to None in sys.modules fails to import
_AS_IN_LAMBDA = "import sys; sys.modules['awscrt'] = sys.modules['OpenSSL'] = None; "
# the handler's modules and models alone: INIT's client preparation (workflow/prepare.py; its own row, "Plan, 34
# regions: INIT") replaced, in this child process only, by one that prepares nothing
_WITHOUT_PREPARATION = "import p2p_core.workflow.prepare as p; p.prepare_clients = lambda *_, **__: []; import app"


if __name__ == "__main__":
    print(record(import_ratio(), "import_measured_at"))
