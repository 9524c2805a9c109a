"""The sample-corpus generator: deterministic, every real kind and trap, any size."""

from collections import Counter
from pathlib import Path

from chimera_pipeline.lib.config import PROJECT_ROOT
from chimera_pipeline.lib.inventory.kinds import classify
from chimera_pipeline.lib.inventory.scan import scan_tree
from chimera_pipeline.lib.sample import generate, write_corpus

SAMPLE = PROJECT_ROOT / "data/artifacts"


def test_bundled_sample_is_exactly_what_the_generator_writes() -> None:
    expected = {rel: content for rel, (content, _) in generate().items()}
    on_disk = {p.relative_to(SAMPLE).as_posix(): p.read_bytes()
               for p in SAMPLE.rglob("*") if p.is_file()}
    assert on_disk == expected


def test_generation_is_deterministic_and_seeded() -> None:
    assert generate(files=300, seed=3) == generate(files=300, seed=3)
    assert generate(files=300, seed=3) != generate(files=300, seed=4)


def test_sample_has_every_real_kind_ten_days_and_the_traps(file_index) -> None:
    corpus = generate()
    kinds = Counter(classify(rel, rel.rsplit(".", 1)[1], content.decode("utf-8", "replace"))
                    for rel, (content, _) in corpus.items())
    assert {row["kind"] for row in file_index} <= set(kinds)
    assert len({day for _, day in corpus.values()}) >= 10
    assert {rel.split("/")[0] for rel in corpus} == {"reports", "csv_data", "artifacts"}
    text = {rel: content for rel, (content, _) in corpus.items()}
    assert text["reports/ncu_summary.csv"].startswith("ÿþ".encode() + b"=\x00=\x00")
    assert b'"22,80,000"' in text["reports/ncu_ollama_raw.csv"]
    assert b",timed out" in text["reports/gemma3/gemma3_270m_param_tuning.csv"]
    assert any(b"0.000000,0.00," in c and b"Failed to connect" in c for c in text.values())
    assert text["csv_data/ollama_quant_bench.csv"] == text["reports/llama3/ollama_quant_bench.csv"]
    assert b"- DType: torch.float32 | Backend |" in next(
        c for r, c in text.items() if r.startswith("reports/compilation/") and r.endswith(".md"))


def test_sample_files_without_dates_exist_and_fall_back_to_mtime(tmp_path: Path) -> None:
    write_corpus(tmp_path)
    records = scan_tree(tmp_path, ("reports", "csv_data", "artifacts"), ("csv", "json", "md"))
    sources = Counter(r.date_source for r in records)
    assert sources["mtime"] >= 5 and sources["path"] >= 10 and sources["content"] >= 5


def test_any_requested_size(tmp_path: Path) -> None:
    written = write_corpus(tmp_path, files=1000, seed=11)
    assert len(written) == 1000
    records = scan_tree(tmp_path, ("reports", "csv_data", "artifacts"), ("csv", "json", "md"))
    assert len(records) == 1000
    assert len({r.partition for r in records}) == 10
    assert Counter(r.kind for r in records)["ollama_prompt_suite_runs_csv"] > 50
