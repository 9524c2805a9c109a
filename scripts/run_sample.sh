#!/usr/bin/env bash
# One command: set up .venv and run the whole pipeline on the bundled sample data
# (data/artifacts), with no server running. Extra arguments go to `chimera run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/chimera run "$@"
