# One entry point for everything: `make demo` and `make test` work on a fresh machine.
# Python 3.13 when pyenv has it (the Lambda runtime's version, and coverage's cheap sys.monitoring core:
# `make test` spends ~40 % less CPU than on 3.11, where coverage traces every line), else the default python3.
PY313  := $(shell pyenv prefix 3.13.0 2>/dev/null || pyenv prefix 3.13 2>/dev/null)
PYTHON ?= $(if $(PY313),$(PY313)/bin/python3,python3)
PYVER  := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(PYVER)
# coverage's sys.monitoring core, from Python 3.12 on (older ones fall back to the default core)
export COVERAGE_CORE := sysmon

.PHONY: venv test check fast lint typecheck unit cfn security docs reference demo bench bench-suite build clean

$(STAMP): pyproject.toml layers/core/requirements.txt
	@# a venv made by another Python (an older checkout's 3.11 one) is made again
	[ ! -x $(BIN)/python ] || [ "$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = "$(PYVER)" ] \
	  || rm -rf $(VENV)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy
	$(BIN)/mypy --explicit-package-bases --namespace-packages functions

cfn: venv
	$(BIN)/cfn-lint template.yaml
	$(BIN)/cfn-lint template.yaml --parameters ControlCenterDomainName=cc.example.com \
	  ControlCenterCertificateArn=arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000
	PATH=$(BIN):$$PATH $(BIN)/sam validate --lint --template template.yaml --region eu-central-1

security:
	bash scripts/checkov.sh

# the docs/ site (MkDocs, offline); --strict: a broken link or anchor fails the build
docs: venv
	$(BIN)/mkdocs build --strict --quiet

# docs/configuration.md's reference table, rewritten from the config model (a test fails when they differ)
reference: venv
	$(BIN)/python -m p2pctl.config_reference docs/configuration.md

# every test, with the coverage of layers/ and cli/ (CLI subprocesses and `p2pctl local` included)
unit: venv
	rm -f .coverage .coverage.*
	$(BIN)/pytest -n auto --dist loadfile --cov --cov-report=term

# the static checks (~95 s, one CPU each) run beside pytest instead of before it: on 2 CPUs they fill what
# pytest's workers leave idle; --output-sync keeps each check's output in one piece; any failure fails `make test`
test: venv
	$(MAKE) --no-print-directory -j2 --output-sync=target lint typecheck cfn security docs unit

# the edit-test loop (≤ 90 s): the unit tier, property tests at a tenth of their examples, a few ASL runs
fast: venv
	P2P_TIER=check $(BIN)/pytest -n auto -m "unit or smoke"

check: lint typecheck fast

demo: venv
	$(BIN)/p2pctl demo

bench: venv
	$(BIN)/python -m benchmarks.run

# `make test` timed (wall, CPU) with its test count: a row of the benchmark table
bench-suite: venv
	$(BIN)/python -m benchmarks.suite

build: venv
	PATH=$(PY313)/bin:$(BIN):$$PATH $(BIN)/sam build --template template.yaml
	@# sam build ships sources only, and Lambda's /opt and /var/task are read-only: Python would compile the layer's
	@# modules (p2p_core, pydantic, Powertools) on every cold start (Plan's import: 0.88 s of CPU, 0.57 s compiled).
	@# Bytecode for the runtime's Python (the venv's 3.13), never checked against the sources (unchecked-hash): the
	@# zip's timestamps do not matter
	$(BIN)/python -m compileall -q --invalidation-mode unchecked-hash .aws-sam/build

clean:
	rm -rf $(VENV) .venv-checkov .aws-sam .pytest_cache .mypy_cache .ruff_cache site
