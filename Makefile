# Shortcuts for the README's commands.
.PHONY: setup sample test ui

setup:
	bash scripts/setup.sh test

sample:
	bash scripts/run_sample.sh

test:
	bash scripts/test.sh

ui: setup
	.venv/bin/chimera ui
