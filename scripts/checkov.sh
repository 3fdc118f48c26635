#!/usr/bin/env bash
# Static security scan of template.yaml with checkov, in its own venv (its pins clash with the dev deps).
# Settings and the skipped checks, each with its reason, are in .checkov.yaml and on the resources.
# Exits non-zero when a check fails.
set -euo pipefail

CHECKOV_VERSION="3.3.30"
cd "$(dirname "$0")/.."
venv=.venv-checkov

if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
if [[ "$("$venv/bin/python" -m pip show checkov 2>/dev/null | sed -n 's/^Version: //p')" != "$CHECKOV_VERSION" ]]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

exec "$venv/bin/checkov" --config-file .checkov.yaml --file template.yaml "$@"
