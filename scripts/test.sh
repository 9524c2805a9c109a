#!/usr/bin/env bash
# One command: set up .venv with the test extras, install Redis and PostgreSQL if missing
# (for the scale-out tests), lint, and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test,embedded,scaleout
bash scripts/install_services.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
