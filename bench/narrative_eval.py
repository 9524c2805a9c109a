"""How good is the narrative, per backend, on the real corpus's days?

    python bench/narrative_eval.py [--corpus DIR] [--backends embedded ollama-replay] [--out F]

Builds the corpus's facts and findings once (``chimera run --until benchmark_facts``), then
runs the LLM step for every day with each backend and measures what the gate let through:

* ``embedded``: the packaged gemma3 270M base model, with the main command's settings;
* ``ollama-replay``: the Ollama backend against the test server (``fake_ollama.py``), which
  replays real gemma3:latest answers from the reference run
  (``shared/reference/original_agent_run/metrics.json``); they state figures no fact backs
  (101 files, 14.1 tok/s, P90 20.123456), which the checker must flag and the gate keep out.

Per backend: the share of answers accepted, the share of numbers verified (all, and in the
published text), words per published section, seconds and output tokens per call, and why
answers were rejected or sentences left out. Results go to ``bench/results/`` as JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chimera_pipeline.lib.config import load_settings  # noqa: E402
from chimera_pipeline.lib.llm.rows import analyse_days, in_memory  # noqa: E402
from chimera_pipeline.lib.llm.settings import LLMSettings  # noqa: E402
from chimera_pipeline.lib.store.warehouse import read_rows  # noqa: E402

REFERENCE = ROOT.parent / "shared" / "reference" / "original_agent_run" / "metrics.json"
# the main command's LLM budget (scripts/run_sample.sh)
MAIN = {"CHIMERA_LLM_MAX_TOKENS": "192", "CHIMERA_LLM_MAX_CTX": "3072",
        "CHIMERA_LLM_SCHEMA_RETRIES": "0"}


def reference_answers(path: Path = REFERENCE) -> list[str]:
    """Real gemma3:latest answers as the JSON our chat prompt asks for: each reference
    response's summary and its first paragraph of analysis."""
    data = json.loads(path.read_text())
    answers = []
    for agent in ("collector", "insight"):
        result = data[agent]["result"]
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", result["analysis"]["raw_response"])
                      if len(p.split()) > 20 and not p.lstrip().startswith(("|", "#", "*"))]
        answers.append(json.dumps({
            "executive_summary": result["analysis"]["summary"],
            "performance_analysis": paragraphs[0] if paragraphs else ""}))
        for call in result["llm_calls"]:
            text = call["response"]
            summary = next((p for p in re.split(r"\n\s*\n", text) if len(p.split()) > 25),
                           text[:600])
            answers.append(json.dumps({"executive_summary": summary.strip(),
                                       "performance_analysis": ""}))
    return answers


def build_facts(corpus: Path, data: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update({"CHIMERA_ARTIFACT_ROOT": str(corpus), "CHIMERA_DATA_DIR": str(data)})
    subprocess.run([sys.executable, "-m", "chimera_pipeline.cli", "run", "--until",
                    "benchmark_facts"], env=env, cwd=ROOT, check=True, capture_output=True)


def _words(text: str) -> int:
    return len(re.findall(r"[A-Za-z][\w'’:.-]*", text or ""))


def evaluate(name: str, settings: LLMSettings, days: list[str], facts: list[dict],
             findings: list[dict], models_dir: Path) -> dict:
    per_day = []
    for day in days:
        began = time.perf_counter()
        rows = analyse_days([day], in_memory(facts, findings), settings, models_dir,
                            log=lambda _: None)
        seconds = time.perf_counter() - began
        if not rows.tables["llm_calls"]:
            continue
        call, analysis = rows.tables["llm_calls"][0], rows.tables["llm_analyses"][0]
        claims = rows.tables["report_claims"]
        published = json.loads(analysis["analysis_json"])["published"]
        per_day.append({
            "day": day, "gate": analysis["gate"], "prompt_format": call["prompt_format"],
            "numbers": len(claims), "verified": sum(c["verified"] for c in claims),
            "published_numbers": sum(c["published"] for c in claims),
            "published_verified": sum(c["published"] and c["verified"] for c in claims),
            "dropped": json.loads(analysis["dropped_json"]),
            "summary_words": _words(published.get("executive_summary", "")),
            "analysis_words": _words(published.get("performance_analysis", "")),
            "seconds": round(seconds, 2), "output_tokens": call["output_tokens"],
            "raw": analysis["raw_response"][:300]})
    return {"backend": name, "days": per_day, **_summary(per_day)}


def _summary(days: list[dict]) -> dict:
    accepted = [d for d in days if d["gate"] == "accepted"]
    numbers = sum(d["numbers"] for d in days)
    published = sum(d["published_numbers"] for d in days)
    reasons = Counter(re.sub(r"\d+", "N", d["gate"].split(": ", 1)[1]).split(" (")[0].split(": ")[0]
                      for d in days if d["gate"] != "accepted")
    dropped = Counter(x["reason"].split(",")[0] for d in days for x in d["dropped"])
    return {
        "calls": len(days), "accepted_share": len(accepted) / len(days) if days else 0.0,
        "numbers": numbers,
        "numbers_verified_share": (sum(d["verified"] for d in days) / numbers) if numbers
        else None,
        "published_numbers": published,
        "published_verified_share": (sum(d["published_verified"] for d in days) / published)
        if published else None,
        "summary_words_mean": (sum(d["summary_words"] for d in accepted) / len(accepted))
        if accepted else 0.0,
        "analysis_words_mean": (sum(d["analysis_words"] for d in accepted) / len(accepted))
        if accepted else 0.0,
        "seconds_per_call": sum(d["seconds"] for d in days) / len(days) if days else 0.0,
        "output_tokens_per_call": (sum(d["output_tokens"] or 0 for d in days) / len(days))
        if days else 0.0,
        "rejected_because": dict(reasons), "sentences_dropped_because": dict(dropped)}


def share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/corpus/chimeraforge")
    parser.add_argument("--backends", nargs="+", default=["embedded", "ollama-replay"],
                        choices=["embedded", "ollama-replay"])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    os.environ.update({k: v for k, v in MAIN.items() if k not in os.environ})
    with tempfile.TemporaryDirectory(prefix="chimera_narrative_") as tmp:
        data = Path(tmp)
        build_facts(args.corpus, data)
        con = duckdb.connect(str(data / "warehouse.duckdb"))  # read_rows may add tables
        days = [d for (d,) in con.execute(
            "SELECT DISTINCT partition FROM facts ORDER BY 1").fetchall()]
        facts = read_rows(con, "facts", days, order="priority, fact_key")
        findings = read_rows(con, "findings", days, order="rank")
        con.close()
        base = LLMSettings.from_config(load_settings())
        results = []
        for name in args.backends:
            if name == "embedded":
                settings = dataclasses.replace(base, backend="embedded")
                results.append(evaluate(name, settings, days, facts, findings,
                                        data / "models"))
                continue
            from chimera_pipeline_tests.fake_ollama import FakeOllama

            answers = reference_answers()
            with FakeOllama() as server:
                server.answers = [answers[i % len(answers)] for i in range(len(days) * 3)]
                settings = dataclasses.replace(base, backend="ollama", host=server.url,
                                               backoff_s=0.01)
                results.append(evaluate(name, settings, days, facts, findings,
                                        data / "models"))
    stamp = dt.date.today().isoformat()
    out = args.out or ROOT / "bench" / "results" / f"{stamp}_narrative.json"
    out.write_text(json.dumps({"date": stamp, "corpus": str(args.corpus), "settings": MAIN,
                               "results": results}, indent=2))
    print("| backend | calls | accepted | numbers verified (all) | numbers verified "
          "(published) | words / summary | words / analysis | s / call | tokens / call |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['backend']} | {r['calls']} | {r['accepted_share']:.0%} | "
              f"{share(r['numbers_verified_share'])} of {r['numbers']} | "
              f"{share(r['published_verified_share'])} of {r['published_numbers']} | "
              f"{r['summary_words_mean']:.0f} | {r['analysis_words_mean']:.0f} | "
              f"{r['seconds_per_call']:.1f} | {r['output_tokens_per_call']:.0f} |")
    for r in results:
        print(f"{r['backend']}: rejected because {r['rejected_because']}; sentences left out "
              f"because {r['sentences_dropped_because']}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
