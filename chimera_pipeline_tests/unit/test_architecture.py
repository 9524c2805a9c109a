"""The import rules (``[tool.importlinter]`` in pyproject.toml) hold, and ``lint-imports``
fails when one is broken: checked on the project, and on a small package that breaks each
kind of rule on purpose."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from chimera_pipeline.lib.config import PROJECT_ROOT

LINT = str(Path(sys.executable).with_name("lint-imports"))


def _lint(cwd: Path, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    args = [LINT, "--no-cache", "--no-logo"] + (["--config", str(config)] if config else [])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(cwd), str(PROJECT_ROOT)])}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_project_keeps_every_contract() -> None:
    result = _lint(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _package(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


CONFIG = """\
[tool.importlinter]
root_packages = ["toy"]
include_external_packages = true
contract_types = [
    "module_level_forbidden: chimera_pipeline_tests.import_rules.ModuleLevelForbiddenContract",
]

[[tool.importlinter.contracts]]
name = "lib does not import the app"
type = "forbidden"
source_modules = ["toy.lib"]
forbidden_modules = ["toy.app"]

[[tool.importlinter.contracts]]
name = "fast path loads no duckdb"
type = "module_level_forbidden"
source_modules = ["toy.fast"]
forbidden_modules = ["duckdb"]
"""


def test_a_broken_contract_fails_lint_imports(tmp_path: Path) -> None:
    files = {
        "toy/__init__.py": "", "toy/app.py": "", "toy/lib/__init__.py": "",
        "toy/fast/__init__.py": "",
        "toy/fast/lazy.py": """\
            def plan():
                import duckdb  # inside a function: allowed
                return duckdb
            """,
        "toy/fast/helper.py": "import json\n",
        "pyproject.toml": CONFIG,
    }
    _package(tmp_path, {**files, "toy/lib/clean.py": "import json\n"})
    clean = _lint(tmp_path, tmp_path / "pyproject.toml")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    _package(tmp_path, {"toy/lib/bad.py": "from toy import app\n",
                        "toy/fast/eager.py": "from toy.fast import helper\nimport duckdb\n",
                        "toy/fast/indirect.py": "from toy.fast import eager\n"})
    broken = _lint(tmp_path, tmp_path / "pyproject.toml")
    assert broken.returncode != 0
    assert "lib does not import the app BROKEN" in broken.stdout
    assert "fast path loads no duckdb BROKEN" in broken.stdout
    assert "toy.fast.indirect -> toy.fast.eager -> duckdb (module level)" in broken.stdout
    assert "toy.fast.lazy" not in broken.stdout
