#!/usr/bin/env bash
# One command: set up .venv with the test extras, install Redis and PostgreSQL if missing
# (for the scale-out tests), lint (ruff, the import rules), and run the whole test suite.
#   bash scripts/test.sh             every test (what .ci/run runs)
#   bash scripts/test.sh --fast      the unit lane only: lib and the definitions, no pipeline
#                                    run, no services, one pytest-xdist worker per core
#                                    (under two minutes on two cores)
# Other arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
fast=0
if [ "${1:-}" = "--fast" ]; then fast=1; shift; fi
bash scripts/setup.sh test,embedded,scaleout
[ "$fast" = 1 ] || bash scripts/install_services.sh
.venv/bin/ruff check .
.venv/bin/lint-imports --no-logo --no-cache
if [ "$fast" = 1 ]; then
  exec .venv/bin/python -m pytest -n auto --dist loadfile chimera_pipeline_tests/unit "$@"
fi
exec .venv/bin/python -m pytest "$@"
