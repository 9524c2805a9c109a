"""How good is the narrative, per backend, on the real corpus's days?

    python bench/narrative_eval.py [--corpus DIR] [--backends embedded ollama-replay adversarial]
                                   [--out F]

Builds the corpus's facts and findings once (``chimera run --until benchmark_facts``), then
runs the LLM step for every day with each backend and measures what the gate let through:

* ``embedded``: the packaged gemma3 270M base model, with the main command's settings;
* ``ollama-replay``: the Ollama backend against the test server (``fake_ollama.py``), which
  replays real gemma3:latest answers from the reference run
  (``shared/reference/original_agent_run/metrics.json``); they state figures no fact backs
  (101 files, 14.1 tok/s, P90 20.123456), which the checker must flag and the gate keep out;
* ``adversarial``: the test server answering each day like a careless model
  (``chimera_pipeline_tests/adversary.py``): the day's findings reworded (true), and wrong
  claims of every kind planted among them.

Per backend: answers accepted, sentences published of those written, quantities typed,
verified, published and left out, and for the adversarial backend how many planted wrong
claims and how many true sentences were published; seconds and output tokens per call, and
why answers were rejected or sentences left out. Results go to ``bench/results/`` as JSON.
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
from chimera_pipeline.lib.llm.claims import sentences  # noqa: E402
from chimera_pipeline.lib.llm.rows import analyse_days, in_memory  # noqa: E402
from chimera_pipeline.lib.llm.settings import LLMSettings  # noqa: E402
from chimera_pipeline.lib.store.warehouse import FACT_ORDER, read_rows  # noqa: E402

REFERENCE = ROOT.parent / "shared" / "reference" / "original_agent_run" / "metrics.json"
# the main command's LLM budget (scripts/run_sample.sh)
MAIN = {"CHIMERA_LLM_MAX_TOKENS": "192", "CHIMERA_LLM_MAX_CTX": "3072",
        "CHIMERA_LLM_SCHEMA_RETRIES": "0"}
BACKENDS = ("embedded", "ollama-replay", "adversarial")


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
             findings: list[dict], models_dir: Path, answers: dict | None = None) -> dict:
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
        parsed = json.loads(analysis["analysis_json"])
        published = parsed["published"]
        text = " ".join(published.values())
        written = [s for section in parsed["raw"].values() for s in sentences(section or "")]
        row = {
            "day": day, "gate": analysis["gate"], "prompt_format": call["prompt_format"],
            "sentences": len(written), "sentences_published": len(
                [s for section in published.values() for s in sentences(section)]),
            "quantities": len(claims), "verified": sum(c["verified"] for c in claims),
            "published": sum(c["published"] for c in claims),
            "published_verified": sum(c["published"] and c["verified"] for c in claims),
            "dropped": json.loads(analysis["dropped_json"]),
            "summary_words": _words(published.get("executive_summary", "")),
            "analysis_words": _words(published.get("performance_analysis", "")),
            "seconds": round(seconds, 2), "output_tokens": call["output_tokens"],
            "raw": analysis["raw_response"][:300]}
        if answers and day in answers:
            answer = answers[day]
            row.update(planted=len(answer.planted),
                       planted_published=[p.sentence for p in answer.planted
                                          if p.sentence in text],
                       true=len(answer.true),
                       true_published=sum(s in text for s in answer.true))
        per_day.append(row)
    return {"backend": name, "days": per_day, **_summary(per_day)}


def _summary(days: list[dict]) -> dict:
    accepted = [d for d in days if d["gate"] == "accepted"]
    reasons = Counter(re.sub(r"\d+", "N", d["gate"].split(": ", 1)[1]).split(" (")[0].split(": ")[0]
                      for d in days if d["gate"] != "accepted")
    dropped = Counter(x["reason"].split(",")[0].split(":")[0] for d in days for x in d["dropped"])
    total = {key: sum(d[key] for d in days) for key in (
        "sentences", "sentences_published", "quantities", "verified", "published",
        "published_verified")}
    out = {
        "calls": len(days), "accepted_share": len(accepted) / len(days) if days else 0.0,
        **total, "quantities_dropped": total["quantities"] - total["published"],
        "summary_words_mean": (sum(d["summary_words"] for d in accepted) / len(accepted))
        if accepted else 0.0,
        "seconds_per_call": sum(d["seconds"] for d in days) / len(days) if days else 0.0,
        "output_tokens_per_call": (sum(d["output_tokens"] or 0 for d in days) / len(days))
        if days else 0.0,
        "rejected_because": dict(reasons), "sentences_dropped_because": dict(dropped)}
    if any("planted" in d for d in days):
        out.update({key: sum(d.get(key, 0) for d in days) for key in ("planted", "true",
                                                                     "true_published")},
                   planted_published=sum(len(d.get("planted_published", [])) for d in days))
    return out


def _adversarial_answers(days: list[str], facts: list[dict], findings: list[dict]) -> dict:
    from chimera_pipeline_tests.adversary import Day, answers

    return answers([Day(day, [f for f in facts if f["partition"] == day],
                        [f for f in findings if f["partition"] == day]) for day in days])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/corpus/chimeraforge")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    os.environ.update({k: v for k, v in MAIN.items() if k not in os.environ})
    with tempfile.TemporaryDirectory(prefix="chimera_narrative_") as tmp:
        data = Path(tmp)
        build_facts(args.corpus, data)
        con = duckdb.connect(str(data / "warehouse.duckdb"))  # read_rows may add tables
        days = [d for (d,) in con.execute(
            "SELECT DISTINCT partition FROM facts ORDER BY 1").fetchall()]
        facts = read_rows(con, "facts", days, order=FACT_ORDER)
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

            # the server answers any prompt: a context that holds every finding, so the
            # adversary and the checker see the same prompt
            settings = dataclasses.replace(base, backend="ollama", backoff_s=0.01,
                                           max_ctx=8192, max_output_tokens=1024)
            if name == "ollama-replay":
                replies = reference_answers()
                with FakeOllama() as server:
                    server.answers = [replies[i % len(replies)] for i in range(len(days) * 3)]
                    results.append(evaluate(name, dataclasses.replace(settings, host=server.url),
                                            days, facts, findings, data / "models"))
                continue
            written = _adversarial_answers(days, facts, findings)

            def respond(body: dict, written: dict = written) -> str:
                day = re.search(r"benchmark day (\d{4}-\d{2}-\d{2})", json.dumps(body))
                return written[day.group(1)].text()

            with FakeOllama(respond=respond) as server:
                results.append(evaluate(name, dataclasses.replace(settings, host=server.url),
                                        days, facts, findings, data / "models", written))
    stamp = dt.date.today().isoformat()
    out = args.out or ROOT / "bench" / "results" / f"{stamp}_narrative.json"
    out.write_text(json.dumps({"date": stamp, "corpus": str(args.corpus), "settings": MAIN,
                               "results": results}, indent=2))
    print("| backend | calls | answers accepted | sentences published / written | quantities "
          "typed | verified | published (all verified) | left out | planted claims published "
          "| true sentences published | s / call |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        planted = (f"{r['planted_published']} of {r['planted']}" if "planted" in r else "-")
        true = f"{r['true_published']} of {r['true']}" if "true" in r else "-"
        print(f"| {r['backend']} | {r['calls']} | {r['accepted_share']:.0%} | "
              f"{r['sentences_published']} / {r['sentences']} | {r['quantities']} | "
              f"{r['verified']} | {r['published']} ({r['published_verified']}) | "
              f"{r['quantities_dropped']} | {planted} | {true} | {r['seconds_per_call']:.1f} |")
    for r in results:
        print(f"{r['backend']}: rejected because {r['rejected_because']}; sentences left out "
              f"because {r['sentences_dropped_because']}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
