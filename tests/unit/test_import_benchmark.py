"""The cold-import row measures what Lambda runs, and `make build` ships the bytecode Lambda cannot write."""

from __future__ import annotations

import ast
import importlib.util
import os
import shlex
import subprocess
import sys
from pathlib import Path

from benchmarks.imports import _AS_IN_LAMBDA, _as_sam_build_ships

ROOT = Path(__file__).resolve().parents[2]
_PROBE = (
    "import sys, boto3, botocore.compat, botocore.httpsession; "
    "print(botocore.compat.HAS_CRT, sorted({m.split('.')[0] for m, v in sys.modules.items() if v is not None} "
    "& {'awscrt', 'OpenSSL', 'cryptography'}))"
)


def _probe(prefix: str) -> str:
    done = subprocess.run([sys.executable, "-c", prefix + _PROBE], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_benchmark_imports_botocore_without_awscrt_or_pyopenssl_as_lambda_does() -> None:
    assert _probe(_AS_IN_LAMBDA) == "False []"


def test_without_the_prefix_this_machine_would_load_them() -> None:
    """Why the prefix: the dev tools install awscrt and pyOpenSSL here, and botocore imports what it finds."""
    installed = {name for name in ("awscrt", "OpenSSL") if importlib.util.find_spec(name) is not None}
    has_crt, loaded = _probe("").split(" ", 1)
    assert has_crt == str("awscrt" in installed)
    assert installed <= set(ast.literal_eval(loaded))


def _build_recipe() -> list[str]:
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = lines.index("build: venv") + 1
    recipe = []
    for line in lines[start:]:
        if not line.startswith("\t"):
            break
        if not line.lstrip().startswith("@#"):
            recipe.append(line.strip())
    return recipe


def test_make_build_compiles_what_sam_built_without_checking_timestamps() -> None:
    sam, compile_line = _build_recipe()
    assert "sam build" in sam
    argv = shlex.split(compile_line)
    assert argv[1:4] == ["-m", "compileall", "-q"]
    assert argv[argv.index("--invalidation-mode") + 1] == "unchecked-hash"
    assert argv[-1] == ".aws-sam/build"  # the layer and every function, as sam deploy packages them


def test_unchecked_hash_bytecode_is_used_whatever_the_sources_and_their_timestamps(tmp_path: Path) -> None:
    """A zip keeps timestamps to 2 s and Lambda's /opt is read-only: such bytecode is used as built, never rebuilt."""
    source = tmp_path / "shipped.py"
    source.write_text("WHICH = 'compiled at build'\n")
    compile_line = _build_recipe()[1].replace("$(BIN)/python", sys.executable).replace(".aws-sam/build", str(tmp_path))
    subprocess.run(shlex.split(compile_line), check=True)
    source.write_text("WHICH = 'the source, compiled again at import'\n")
    os.utime(source, (1, 1))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", "import shipped; print(shipped.WHICH)"], env=env, capture_output=True, text=True
    )
    assert done.stdout.strip() == "compiled at build", done.stderr


def test_the_layer_as_sam_build_alone_ships_it_is_sources_and_is_what_the_child_imports(tmp_path: Path) -> None:
    path = _as_sam_build_ships(tmp_path)
    assert not list(tmp_path.rglob("*.pyc")) and not list(tmp_path.rglob("__pycache__"))
    shipped = ("p2p_core", "pydantic", "pydantic_core", "aws_lambda_powertools", "typing_extensions", "jmespath", "app")
    code = f"import {', '.join(shipped)}; print('\\n'.join(m.__file__ for m in ({', '.join(shipped)})))"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": path}
    env.update({"POWERTOOLS_METRICS_NAMESPACE": "Test", "POWERTOOLS_SERVICE_NAME": "test"})
    done = subprocess.run([sys.executable, "-c", _AS_IN_LAMBDA + code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    files = done.stdout.split()
    assert len(files) == len(shipped) and all(Path(file).is_relative_to(tmp_path) for file in files), files
