"""The day's sweeps read from ``benchmark_results``, each with its throughput-latency frontier
(the rules are :mod:`chimera_pipeline.lib.findings.frontier`'s, shared with the findings).

Every value is the one the day's comparison table and the tool facts show for the series:
the mean over the day's de-duplicated results (a run written twice counted once) of its ok
rows; a series whose run failed (no request completed) is a failed point with no throughput.
The project's own parameter sweeps (``llm_runs``, suite and config) are series of tool
``chimeraforge`` whose settings are the config's ``num_gpu``, ``num_ctx`` and
``temperature``.
"""

from __future__ import annotations

import duckdb

from chimera_pipeline.lib.facts.tools import SERIES
from chimera_pipeline.lib.findings.frontier import LATENCIES, THROUGHPUTS, Point, Sweep, group
from chimera_pipeline.lib.findings.frontier import parameters as read_settings
from chimera_pipeline.lib.report.comparison import _results
from chimera_pipeline.lib.store.warehouse import fetch_dicts

_SERIES = ", ".join(SERIES)
_MEASURES = sorted({m for m, _ in (*THROUGHPUTS, *LATENCIES)})
# the settings of the project's own configs, by the test benchmark_results gives them
_OWN_SETTINGS = """
    SELECT DISTINCT coalesce(model, 'unknown model') AS model,
           suite || ' ' || config_name AS test, suite, num_gpu, num_ctx, temperature
    FROM llm_runs WHERE partition = $day AND config_name IS NOT NULL
    ORDER BY ALL
"""


def day_sweeps(con: duckdb.DuckDBPyConnection, day: str) -> list[Sweep]:
    """The sweeps measured on ``day``; each point's ``ref`` is its series (a dict of
    :data:`SERIES`)."""
    cells = fetch_dicts(con, f"""
        WITH r AS ({_results("partition = $day")})
        SELECT {_SERIES}, metric, stat, avg(value) FILTER (WHERE status = 'ok') AS value,
               bool_or(status = 'failed') AS failed_run, bool_or(status = 'ok') AS ok_run,
               min(concurrency) AS concurrency, min(request_rate) AS request_rate,
               min(input_tokens) AS input_tokens, min(output_tokens) AS output_tokens
        FROM r GROUP BY ALL ORDER BY ALL""", {"day": day})  # the first shape: one order
    own = {(r["model"], r["test"]): r for r in fetch_dicts(con, _OWN_SETTINGS, {"day": day})}
    series: dict[tuple, dict] = {}
    for cell in cells:
        key = tuple(cell[c] for c in SERIES)
        row = series.setdefault(key, {"ref": {c: cell[c] for c in SERIES}, "measures": {},
                                      "failed": False, "ok": False, "shape": {}})
        row["failed"] |= bool(cell["failed_run"])
        row["ok"] |= bool(cell["ok_run"])
        for column in ("concurrency", "request_rate", "input_tokens", "output_tokens"):
            if cell[column] is not None:
                row["shape"].setdefault(column, cell[column])
        if cell["metric"] in _MEASURES and cell["value"] is not None:
            row["measures"][(cell["metric"], cell["stat"])] = cell["value"]
    items = []
    for row in series.values():
        ref, shape = row["ref"], row["shape"]
        test, settings = read_settings(ref["test"])
        config, more = read_settings(ref["config"])
        for name, value in more.items():
            settings.setdefault(name, value)
        mine = own.get((ref["model"], ref["test"])) if ref["tool"] == "chimeraforge" else None
        if mine is not None:  # the project's own config: its settings are columns
            test = mine["suite"]
            settings.update((k, _plain(mine[k])) for k in ("num_gpu", "num_ctx", "temperature")
                            if mine[k] is not None)
        # the configured load, when the test text does not already state it
        if "concurrency" in shape:
            settings.setdefault("concurrency", _plain(shape["concurrency"]))
        if "request_rate" in shape and "rate" not in settings:
            settings["rate"] = _plain(shape["request_rate"])
        key = (ref["tool"], ref["model"], ref["engine"], ref["hardware"], test, config,
               shape.get("input_tokens"), shape.get("output_tokens"))
        # a run that failed and has no ok row of its own is a failed point
        failed = row["failed"] and not row["measures"]
        items.append((key, Point(settings, row["measures"], failed, ref)))
    return group(items)


def _plain(value: object) -> str:
    """``16.0`` -> ``16``: a setting as the tools write it."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


MEASURE_LABELS = {
    "output_tps": "output tok/s", "decode_tps": "decode tok/s", "prefill_tps": "prefill tok/s",
    "total_tps": "total tok/s", "e2e_latency": "request latency (s)", "ttft": "TTFT (s)",
    "itl": "inter-token latency (s)", "tpot": "time per output token (s)",
    "run_time": "time per repetition (s)",
}


def measure_label(measure: tuple[str, str] | None) -> str:
    """``("e2e_latency", "mean")`` -> ``"mean request latency s"``."""
    if measure is None:
        return "none"
    metric, stat = measure
    return f"{'' if stat == 'value' else stat + ' '}{MEASURE_LABELS.get(metric, metric)}"


def sweep_tables(sweeps: list[Sweep]) -> list[dict]:
    """What the report shows of each sweep: its title, what it varies, the measures, the
    frontier's configs (lowest latency first), the dominated and failed configs."""
    tables = []
    for index, sweep in enumerate(sweeps, start=1):
        tool, model, engine, hardware, test, config, _, _ = sweep.key
        where = " / ".join(x for x in (engine, hardware) if x)
        title = " ".join(x for x in (tool, model or "?", test, f"({config})" if config else "",
                                     f"[{where}]" if where else "") if x)
        tables.append({
            "index": index, "title": title, "model": model or "?", "tool": tool,
            "swept": ", ".join(sweep.swept), "configs": len(sweep.points),
            "throughput": measure_label(sweep.throughput),
            "latency": measure_label(sweep.latency),
            "frontier": [{"config": sweep.name(p), "throughput": p.throughput,
                          "latency": p.latency, "best": p.best, "series": p.ref}
                         for p in sweep.frontier],
            "best": sweep.name(sweep.best) if sweep.best else None,
            "dominated": [sweep.name(p) for p in sweep.points
                          if not p.failed and not p.frontier and p.latency is not None],
            "unmeasured": [sweep.name(p) for p in sweep.points
                           if not p.failed and (p.throughput is None or p.latency is None)],
            "failed": [sweep.name(p) for p in sweep.points if p.failed],
            "chart": None,
        })
    return tables
