"""The README stays true to the code: table reference and configuration variables."""

import re

from chimera_pipeline.lib.schema import markdown_reference
from chimera_pipeline.lib.settings import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()


def test_readme_lists_every_table_and_column_as_defined() -> None:
    assert markdown_reference() in README


def test_readme_documents_every_chimera_variable_the_code_reads() -> None:
    code = "\n".join(p.read_text() for p in (PROJECT_ROOT / "chimera_pipeline").rglob("*.py"))
    used = set(re.findall(r"\"(CHIMERA_[A-Z_]+)\"", code))
    assert used and all(f"`{name}`" in README for name in used)


def test_readme_commands_exist() -> None:
    for script in ("scripts/run_sample.sh", "scripts/test.sh"):
        assert f"bash {script}" in README and (PROJECT_ROOT / script).is_file()
    assert "bash scripts/test.sh" in (PROJECT_ROOT / ".ci/run").read_text()
