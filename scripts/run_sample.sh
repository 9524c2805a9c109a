#!/usr/bin/env bash
# One command: set up .venv and run the whole pipeline on the bundled sample data
# (data/artifacts), with no server running. Extra arguments go to `chimera run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh embedded
# the embedded model runs on CPU: a 256-token answer keeps the sample run to minutes
export CHIMERA_LLM_MAX_TOKENS="${CHIMERA_LLM_MAX_TOKENS:-256}"
exec .venv/bin/chimera run "$@"
