#!/usr/bin/env bash
# One command: set up .venv and run the whole pipeline on the bundled sample data
# (data/artifacts), with no server running. Extra arguments go to `chimera run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh embedded
# The embedded model runs on the CPU: a small answer budget and context, and no retry of an
# answer that misses the schema, keep the sample run to a few minutes. Set them to override.
export CHIMERA_LLM_MAX_TOKENS="${CHIMERA_LLM_MAX_TOKENS:-192}"
export CHIMERA_LLM_MAX_CTX="${CHIMERA_LLM_MAX_CTX:-3072}"
export CHIMERA_LLM_SCHEMA_RETRIES="${CHIMERA_LLM_SCHEMA_RETRIES:-0}"
exec .venv/bin/chimera run "$@"
