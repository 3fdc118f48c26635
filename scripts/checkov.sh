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

"$venv/bin/checkov" --config-file .checkov.yaml --file template.yaml "$@"

# checkov drops resources whose Condition is false with the parameters' defaults: scan the optional ones too
# (CreateTrail=true's trail and bucket) in a copy whose defaults switch them on
optional="$(mktemp -d)"
trap 'rm -rf "$optional"' EXIT
python3 -c '
import pathlib, sys
text = pathlib.Path("template.yaml").read_text()
default = "  CreateTrail:\n    Type: String\n    Default: \"false\""
assert default in text, "scripts/checkov.sh: the CreateTrail default is not where it was"
pathlib.Path(sys.argv[1]).write_text(text.replace(default, default.replace("false", "true")))
' "$optional/template.yaml"
"$venv/bin/checkov" --config-file .checkov.yaml --file "$optional/template.yaml" "$@"
