# Shortcuts for the README's commands.
.PHONY: setup sample test test-fast ui

setup:
	bash scripts/setup.sh test

sample:
	bash scripts/run_sample.sh

test:
	bash scripts/test.sh

test-fast:
	bash scripts/test.sh --fast

ui: setup
	.venv/bin/chimera ui
