"""The docs stay true to the code: generated references, every variable declared, links."""

import re

from chimera_pipeline.lib.config import PROJECT_ROOT
from chimera_pipeline.lib.config import docs as config_docs
from chimera_pipeline.lib.config.settings import variable_names
from chimera_pipeline.lib.store.schema import markdown_page

README = (PROJECT_ROOT / "README.md").read_text()
DOCS = PROJECT_ROOT / "docs"


def test_the_configuration_page_is_generated_from_the_registry() -> None:
    assert (DOCS / "configuration.md").read_text() == config_docs.markdown(), (
        "docs/configuration.md is stale: run python -m chimera_pipeline.lib.config.docs")


def test_the_table_reference_is_generated_from_the_schema() -> None:
    assert (DOCS / "warehouse-tables.md").read_text() == markdown_page(), (
        "docs/warehouse-tables.md is stale: run python -m chimera_pipeline.lib.store.schema")


def test_every_variable_the_code_names_is_declared_in_the_registry() -> None:
    """A variable read anywhere (code, tests, scripts) has one declaration; the registry's
    module is the only place that spells a default."""
    sources = [*PROJECT_ROOT.joinpath("chimera_pipeline").rglob("*.py"),
               *PROJECT_ROOT.joinpath("chimera_pipeline_tests").rglob("*.py"),
               *PROJECT_ROOT.joinpath("scripts").glob("*.sh"),
               *PROJECT_ROOT.joinpath("bench").glob("*.py"), PROJECT_ROOT / ".ci/run"]
    named = set()
    for path in sources:
        named |= set(re.findall(r"\b(CHIMERA_[A-Z][A-Z_]*[A-Z])\b", path.read_text()))
    misspelt_on_purpose = {"CHIMERA_LLM_MAXTOKENS"}  # the "did you mean" test
    set_for_the_alert_command = {"CHIMERA_ALERT_DAY"}  # written, never read
    assert named - misspelt_on_purpose - set_for_the_alert_command <= set(variable_names())


def test_no_code_reads_the_environment_beside_the_registry() -> None:
    """``os.environ`` is read for settings only in the registry (other reads are writes of
    DAGSTER_HOME/PATH for child processes, or the whole environment passed on)."""
    readers = []
    for path in PROJECT_ROOT.joinpath("chimera_pipeline").rglob("*.py"):
        text = path.read_text()
        if re.search(r"(environ\.get\(|getenv\(|environ\[)\s*[\"'](CHIMERA|OLLAMA|DAGSTER_P)", text):
            readers.append(path.relative_to(PROJECT_ROOT).as_posix())
    assert readers == []


def test_readme_is_short_and_links_every_docs_page() -> None:
    assert len(README.splitlines()) <= 150
    pages = sorted(p.name for p in DOCS.glob("*.md"))
    assert pages and all(f"docs/{name}" in README for name in pages)


def test_relative_links_in_readme_and_docs_resolve() -> None:
    for page in [PROJECT_ROOT / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_readme_commands_exist() -> None:
    for script in ("scripts/run_sample.sh", "scripts/test.sh"):
        assert f"bash {script}" in README and (PROJECT_ROOT / script).is_file()
    assert "bash scripts/test.sh" in (PROJECT_ROOT / ".ci/run").read_text()
