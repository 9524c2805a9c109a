"""Writers for the Markdown write-ups: reports, digests, lessons, summaries."""

from __future__ import annotations

from chimera_pipeline.lib.sample.common import Unit, filler


def technical_report(u: Unit) -> None:
    """A long technical report; every third one spells its date in words (no ISO date)."""
    number = 108 + u.occurrence
    date_line = (f"**Date:** {u.day:%B} {u.day.day}, {u.day.year}" if u.occurrence % 3 == 2
                 else f"**Date:** {u.day.isoformat()}")
    table = "\n".join(f"| g{g}_c{c} | {g} | {c} | {u.jitter(102):.2f} | {u.jitter(0.13):.3f} |"
                      for g in (999, 80, 60) for c in (1024, 2048))
    u.add(f"{u.undated('reports')}/Technical_Report_{number}.md",
          f"# Technical Report {number}: Concurrent agents on local LLMs\n\n{date_line}  \n"
          f"**Test Duration:** ~2 weeks\n\n## Executive Summary\n\n{filler(u.rng, 6)}\n\n"
          "## Results\n\n| Config | num_gpu | num_ctx | tok/s | TTFT (s) |\n"
          f"|---|---|---|---|---|\n{table}\n\n## Discussion\n\n{filler(u.rng, 60)}\n")


def digest(u: Unit) -> None:
    """A performance digest: heading glued to the next one, as the real corpus has them."""
    when = u.at(16).isoformat()
    name = ("performance_digest", "test_datadog_digest", "test_mcp_digest")[u.occurrence % 3]
    name += f"_{u.occurrence}" if u.occurrence >= 3 and not u.scale else ""
    u.add(f"{u.undated('reports')}/{name}.md",
          f"## Performance Digest Generated: {when}Z ### Key KPIs\n"
          f"- Mean latency: {u.jitter(26.7):.2f} ms\n- Requests: {u.rng.randint(40, 90)}\n"
          f"- Error rate: {u.jitter(2.0, 0.5):.1f}%\n\n{filler(u.rng, 8)}\n")


def lessons(u: Unit) -> None:
    """Lessons learned, dated only by the day in the file name."""
    area = ("compilation", "ollama")[u.occurrence % 2]
    stem = "compilation_benchmark_lessons" if area == "compilation" else "prompt_suite_lessons"
    u.add(f"{u.undated('reports/' + area)}/{stem}_{u.day:%Y%m%d}.md",
          f"# Lessons {u.day.isoformat()} ## Context\n{filler(u.rng, 5)}\n")


def readme(u: Unit) -> None:
    u.add(f"{u.undated('reports')}/README.md",
          f"# Benchmark reports\n\n{filler(u.rng, 3)}\n\n## gemma3\n- **Test Date:** "
          f"{u.day.isoformat()}\n- Mean throughput: {u.jitter(102.85):.2f} tokens/s\n\n"
          f"{filler(u.rng, 10)}\n")


def gemma3_writeups(u: Unit) -> None:
    """A dated quick-stats summary (table cell date) and an undated analysis."""
    folder = u.undated("reports/gemma3")
    u.add(f"{folder}/SUMMARY.md",
          "# Gemma3 Benchmark Summary\n\n## Quick Stats\n\n| Metric | Value |\n|--------|-------|\n"
          f"| **Model** | gemma3:latest |\n"
          f"| **Mean Throughput** | {u.jitter(102.85):.2f} tokens/s |\n"
          f"| **Mean TTFT** | {u.jitter(0.165):.3f} s |\n| **Test Date** | {u.day.isoformat()} |\n")
    u.add(f"{folder}/Analysis_Summary.md",
          f"# Analysis Summary\n\n{filler(u.rng, 12)}\n")


def compilation_summary(u: Unit) -> None:
    u.add(f"{u.undated('reports/compilation')}/triton_docker_summary.md",
          f"# Triton Docker Benchmark Summary ({u.day.isoformat()}) - Attempted a containerised "
          f"run.\n- Mean latency: {u.jitter(0.59):.3f} ms\n")
