"""The configuration reference (``docs/configuration.md``), generated from the registry so the
table and the code cannot disagree (a test compares the file with :func:`markdown`)."""

from __future__ import annotations

from chimera_pipeline.lib.config.settings import (
    PROJECT_ROOT,
    Declaration,
    declarations,
    defaults,
    env_name,
)

GROUPS = {
    "paths": "Where things are",
    "parsing": "Parsing and the warehouse",
    "operations": "Checks, schedule, sensor and pools",
    "llm": "The LLM step",
    "deployment": "Deployment profiles (see scale-out.md)",
    "tests": "Set by the test suite and fault injection, not by users",
}
TARGET = PROJECT_ROOT / "docs" / "configuration.md"
HEADER = """# Configuration

Every setting is an environment variable, declared once in
`chimera_pipeline/lib/config/settings.py` (type, default, limits, meaning). `chimera` checks
every value before a command starts: a bad one ends it with one line naming the variable and
the fix (exit 2), and an unknown `CHIMERA_*` name gets a "did you mean" warning. Relative paths
resolve against the project root. `dagster.yaml` in the repository is copied to
`$DAGSTER_HOME` before every `chimera` command, so editing it there is enough.

This page is generated from the registry (`python -m chimera_pipeline.lib.config.docs`); a test
fails when it is out of date.
"""


def _default(field: str, rule: Declaration) -> str:
    if rule.shown:
        return rule.shown
    value = defaults()[field]
    if isinstance(value, tuple):
        value = ",".join(value)
    return f"`{value}`"


def _limits(rule: Declaration) -> str:
    parts = [f"≥ {rule.minimum:g}" if rule.minimum is not None else "",
             f"≤ {rule.maximum:g}" if rule.maximum is not None else "",
             " / ".join(rule.choices)]
    return ", ".join(p for p in parts if p)


def markdown() -> str:
    """The whole page."""
    sections = [HEADER]
    for group, title in GROUPS.items():
        rows = [f"| `{env_name(field)}` | {_default(field, rule)} | {_limits(rule)} | "
                f"{rule.meaning} |" for field, rule in declarations().items()
                if rule.group == group]
        sections.append(f"## {title}\n\n| variable | default | limits | meaning |\n"
                        "|---|---|---|---|\n" + "\n".join(rows) + "\n")
    return "\n".join(sections)


def describe(field: str) -> str:
    """``CHIMERA_X (default D)``, for asset check descriptions."""
    return f"{env_name(field)} (default {_default(field, declarations()[field]).strip('`')})"


def main() -> None:
    TARGET.parent.mkdir(exist_ok=True)
    TARGET.write_text(markdown())
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
