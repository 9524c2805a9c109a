#!/usr/bin/env bash
# One command: set up .venv with the test extras, lint, and run the whole test suite.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test,embedded
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
