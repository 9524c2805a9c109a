"""The rules that turn a day's facts into findings, each tied to the recommendation it leads to.

Every rule reads the facts' generic shape (subject, context, metric, value, unit, text), so
facts from a new file format flow in as soon as they carry those fields. A rule stays silent
when there is nothing to say: a change inside the noise band, a sweep whose best config is its
baseline, a day with no failures. Scores order the findings: regressions and failures first,
then gains and rankings, then data quality, then what the inventory holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping

import pyarrow as pa
import pyarrow.compute as pc

from chimera_pipeline.lib.facts.comparisons import ratio_key
from chimera_pipeline.lib.findings import frontier
from chimera_pipeline.lib.findings.model import Finding

Fact = dict
LABELS = {"decode_tps": "decode throughput", "ttft_s": "time to first token",
          "ttft": "time to first token", "prefill_tps": "prefill throughput",
          "output_tps": "output throughput", "total_tps": "total throughput",
          "requests_per_s": "request throughput", "itl": "inter-token latency",
          "tpot": "time per output token", "e2e_latency": "request latency"}
SOURCES = {"tool": "benchmark tool's run time", "path": "path", "content": "content",
           "mtime": "modification time"}
# a tool series' throughput, in the order one is chosen to headline it
THROUGHPUTS = ("output_tps", "decode_tps", "prefill_tps", "total_tps", "requests_per_s")


class FactIndex:
    """The day's facts, looked up by key or grouped by (context, metric).

    The facts are dicts (``fact_rows``) and, optionally, a table of the day's other facts
    (``facts.compute_parts``: most of a busy day's are request statistics no rule reads):
    a table's rows become dicts only when a lookup asks for them, and every answer lists
    the facts of both in the day's order (by id)."""

    # the fields rules select by; a busy day has thousands of facts and a dozen lookups
    INDEXED = ("metric", "category")

    def __init__(self, facts: list[Fact], table: pa.Table | None = None) -> None:
        self._rows = facts
        self._table = table if table is not None and table.num_rows else None
        self._made: dict[int, Fact] = {}  # the table's rows made dicts, by position
        self._selected: dict[object, list[Fact]] = {}  # by the question asked
        self._table_keys: dict[str, int] | None = None
        self.by_key = {f["fact_key"]: f for f in facts}
        self.by_field: dict[str, dict[object, list[Fact]]] = {
            name: defaultdict(list) for name in self.INDEXED}
        # by the key's first part (``tool``, ``inventory``...): the rules that look at one
        # producer's facts read those, not the day's thousands of request statistics
        self.by_family: dict[str, list[Fact]] = defaultdict(list)
        for fact in facts:
            for name in self.INDEXED:
                self.by_field[name][fact.get(name)].append(fact)
            self.by_family[fact["fact_key"].partition(".")[0]].append(fact)

    @property
    def facts(self) -> list[Fact]:
        """Every fact of the day, in order."""
        if self._table is None:
            return self._rows
        return _in_order(self._rows, self._rows_at(range(self._table.num_rows)))

    def key(self, key: str) -> Fact | None:
        found = self.by_key.get(key)
        if found is None and self._table is not None:
            if self._table_keys is None:  # the last of a key, as ``by_key`` keeps it
                self._table_keys = {k: i for i, k in enumerate(
                    self._table["fact_key"].to_pylist())}
            at = self._table_keys.get(key)
            found = None if at is None else self._rows_at([at])[0]
        return found

    def family(self, prefix: str) -> list[Fact]:
        """The facts whose key starts with ``prefix.``, in the day's order."""
        found = [f for f in self.by_family.get(prefix, ()) if f["fact_key"] != prefix]
        if self._table is None or "." in prefix:  # a family is a key's first part
            return found
        keys = self._table["fact_key"]
        return _in_order(found, self._matching(
            ("family", prefix), lambda: pc.and_(pc.starts_with(keys, f"{prefix}."),
                                                pc.not_equal(keys, prefix))))

    def where(self, **wanted: object) -> list[Fact]:
        """The facts with every given field equal, in the day's order."""
        candidates = self._rows
        for name in self.INDEXED:
            if name in wanted:
                candidates = self.by_field[name].get(wanted[name], [])
                break
        found = [f for f in candidates if all(f.get(k) == v for k, v in wanted.items())]
        if self._table is None:
            return found
        return _in_order(found, self._matching(tuple(sorted(wanted.items(), key=repr)),
                                               lambda: self._equal(wanted)))

    def grouped(self, metric: str, category: str) -> dict[str, list[Fact]]:
        groups: dict[str, list[Fact]] = defaultdict(list)
        for fact in self.where(metric=metric, category=category):
            if fact.get("context") and fact.get("value") is not None:
                groups[fact["context"]].append(fact)
        return dict(sorted(groups.items()))

    def by_id(self) -> Mapping[str, Fact]:
        """The facts by id, the table's made dicts when asked for (a finding's citations)."""
        return _ById(self)

    def _equal(self, wanted: dict[str, object]) -> pa.ChunkedArray | pa.Array:
        """Which of the table's rows have every ``wanted`` field equal (a missing column is
        None, as ``dict.get`` reads a missing key)."""
        rows = self._table.num_rows
        mask = pa.repeat(pa.scalar(True), rows)
        for name, value in wanted.items():
            if name not in self._table.column_names:
                same = pa.repeat(pa.scalar(value is None), rows)
            elif value is None:
                same = pc.is_null(self._table[name])
            else:
                same = pc.fill_null(pc.equal(self._table[name], value), False)
            mask = pc.and_(mask, same)
        return mask

    def _matching(self, asked: object, mask) -> list[Fact]:
        """The table's rows ``mask()`` selects, made dicts once per question ``asked``."""
        if asked not in self._selected:
            self._selected[asked] = self._rows_at(pc.indices_nonzero(mask()).to_pylist())
        return self._selected[asked]

    def _rows_at(self, positions: Iterable[int]) -> list[Fact]:
        wanted = [at for at in positions if at not in self._made]
        if wanted:
            rows = self._table.take(pa.array(wanted, pa.int64())).to_pylist()
            self._made.update(zip(wanted, rows, strict=True))
        return [self._made[at] for at in positions]


class _ById(Mapping):
    """A day's facts by id: its dicts, then its table's rows made dicts when asked for."""

    def __init__(self, index: FactIndex) -> None:
        self._index = index
        self._rows = {f["fact_id"]: f for f in index._rows}
        self._table_ids: dict[str, int] | None = None

    def __getitem__(self, fact_id: str) -> Fact:
        found = self._rows.get(fact_id)
        if found is not None:
            return found
        table = self._index._table
        if table is not None:
            if self._table_ids is None:
                self._table_ids = {k: i for i, k in enumerate(table["fact_id"].to_pylist())}
            at = self._table_ids.get(fact_id)
            if at is not None:
                return self._index._rows_at([at])[0]
        raise KeyError(fact_id)

    def __iter__(self) -> Iterator[str]:
        yield from self._rows
        if self._index._table is not None:
            yield from self._index._table["fact_id"].to_pylist()

    def __len__(self) -> int:
        table = self._index._table
        return len(self._rows) + (table.num_rows if table is not None else 0)


def _in_order(first: list[Fact], second: list[Fact]) -> list[Fact]:
    """Two lists of a day's facts, each in the day's order, as one in that order."""
    if not second:
        return first
    if not first:
        return list(second)  # not the cached list itself: a caller may change its answer
    return sorted([*first, *second], key=lambda f: int(f["fact_id"][1:]))


def c(fact: Fact, bare: bool = False) -> str:
    """A fact's citation placeholder."""
    return "{" + fact["fact_id"] + (":n}" if bare else "}")


def changes(facts: FactIndex) -> Iterator[Finding]:
    """Changes against the last comparable day that pass the noise-aware rule."""
    for pct in facts.where(category="change", unit="%"):
        verdict = pct.get("text_value")
        if verdict not in ("improvement", "regression") or pct["subject"].endswith(" default"):
            continue  # a suite without configs: its one "default" config is the suite
        stem = pct["fact_key"].removesuffix(".pct")
        before, now = facts.key(f"{stem}.previous"), facts.key(f"{stem}.current")
        what = LABELS.get(pct["metric"], pct["metric"])
        where = f" in {pct['context']}" if pct.get("context") else ""
        day = before["text_value"] if before else "the last comparable day"
        span = f" (from {c(before)} to {c(now)})" if before and now else ""
        yield Finding(
            "change", (90 if verdict == "regression" else 70) + min(abs(pct["value"]), 100) / 10,
            f"The {what} of {pct['subject']}{where} changed by {c(pct)} against {day}{span}, "
            f"{'a regression' if verdict == 'regression' else 'an improvement'} beyond the "
            "noise band.", (pct["subject"],),
            f"Investigate the {what} regression of {pct['subject']}{where} since {day}: "
            f"{c(pct)}." if verdict == "regression" else None)


def rankings(facts: FactIndex) -> Iterator[Finding]:
    """The fastest and slowest subject of each comparison: models by decode throughput,
    backends by compile-benchmark latency, timing baselines by latency."""
    for context, group in facts.grouped("decode_tps.mean", "performance").items():
        ranked = sorted(group, key=lambda f: (-f["value"], f["subject"]))
        top, low = ranked[0], ranked[-1]
        if len(ranked) == 1:
            requests = facts.key(top["fact_key"].replace(".decode_tps.mean", ".requests"))
            count = f" over {c(requests, bare=True)} requests" if requests else ""
            yield Finding("ranking", 55, f"{top['subject']} decoded at {c(top)} on average in "
                          f"{context}{count}.", (top["subject"],))
            continue
        ratio = facts.key(ratio_key(context, "decode_tps"))
        times = f"; {top['subject']} was {c(ratio)} faster" if ratio else ""
        yield Finding("ranking", 60, f"In {context}, {top['subject']} decoded fastest at "
                      f"{c(top)} on average and {low['subject']} slowest at {c(low)}{times}.",
                      (top["subject"], low["subject"]))
    for context, group in facts.grouped("mean_ms", "compile").items():
        if len(group) < 2:
            continue
        ranked = sorted(group, key=lambda f: (f["value"], f["subject"]))
        best, worst = ranked[0], ranked[-1]
        backend = best["subject"].removeprefix(f"{context} ")
        ratio = facts.key(ratio_key(context, "mean_ms"))
        times = f" ({backend} {c(ratio)} faster)" if ratio else ""
        yield Finding("ranking", 50, f"On {context}, {backend} had the lowest mean latency of "
                      f"the backends that ran, {c(best)}, and "
                      f"{worst['subject'].removeprefix(f'{context} ')} the highest, "
                      f"{c(worst)}{times}.",
                      (best["subject"], worst["subject"]),
                      f"Use {backend} for {context}: its mean latency, {c(best)}, is the lowest "
                      f"measured.")
    for context, group in facts.grouped("mean_ms", "timing").items():
        ranked = sorted(group, key=lambda f: (f["value"], f["subject"]))
        best, worst = ranked[0], ranked[-1]
        if len(ranked) > 1:
            ratio = facts.key(ratio_key(context, "mean_ms"))
            times = f" ({best['subject']} {c(ratio)} faster)" if ratio else ""
            yield Finding("ranking", 45, f"Of the {context}, {best['subject']} had the lowest "
                          f"mean latency, {c(best)}, and {worst['subject']} the highest, "
                          f"{c(worst)}{times}.", (best["subject"], worst["subject"]))
        spread = max(facts.where(metric="cv_percent", context=context),
                     key=lambda f: (f["value"] or 0, f["subject"]), default=None)
        if spread is not None and (spread["value"] or 0) > 10:
            yield Finding("variability", 47, f"{spread['subject']} varied most of the "
                          f"{context}: its latency has a coefficient of variation of "
                          f"{c(spread)}.", (spread["subject"],),
                          f"Stabilise {spread['subject']} (warm-up runs, a quiet machine) "
                          f"before comparing it: its latency varies by {c(spread)}.")


def sweeps(facts: FactIndex) -> Iterator[Finding]:
    """The best config of each parameter sweep, against the sweep's baseline config."""
    for best in facts.where(category="sweep", metric="best_config"):
        model = best["subject"]
        tps = facts.key(f"sweep.{model}.best_decode_tps")
        configs = facts.key(f"sweep.{model}.configs")
        gain = facts.key(f"sweep.{model}.gain_pct")
        base = facts.key(f"sweep.{model}.baseline_config")
        base_tps = facts.key(f"sweep.{model}.baseline_decode_tps")
        swept = f"the {c(configs, bare=True)} configs swept" if configs else "the configs swept"
        if gain and gain["text_value"] == "gain" and gain["value"] > 0 and base and base_tps:
            yield Finding(
                "sweep_gain", 75 + min(gain["value"], 100) / 10,
                f"Of {swept} for {model}, {best['text_value']} decoded fastest at {c(tps)}, "
                f"{c(gain)} above the baseline config {base['text_value']} ({c(base_tps)}).",
                (model,), f"Use {best['text_value']} for {model}: {c(gain)} more decode "
                f"tokens/s than the baseline config {base['text_value']}.")
        elif tps is not None:
            what = ("its baseline config" if base is None
                    else f"within the noise of the baseline config {base['text_value']}")
            yield Finding("sweep_flat", 40, f"Of {swept} for {model}, the fastest, "
                          f"{best['text_value']} at {c(tps)}, is {what}: tuning these settings "
                          f"gave no measurable gain.", (model,))


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def failures(facts: FactIndex) -> Iterator[Finding]:
    """Requests that failed, with their most common error; backends that failed to compile.
    Models that failed the same way in the same suite share one recommendation."""
    same_cause: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    for rate in facts.where(metric="error_rate"):
        if not rate.get("context") or not rate["value"]:
            continue
        stem = rate["fact_key"].removesuffix(".error_rate")
        if facts.key(f"{stem}.status"):
            continue  # a run that failed outright: tool_results says so
        failed, total = facts.key(f"{stem}.failed"), facts.key(f"{stem}.requests")
        top = facts.key(f"{stem}.top_error")
        count = (f"{c(failed, bare=True)} of the {c(total, bare=True)} requests"
                 if failed and total else "Requests")
        if top is None:  # a tool that counts its failed requests without saying why
            yield Finding("errors", 70 + rate["value"] / 10,
                          f"{count} to {rate['subject']} in {rate['context']} failed "
                          f"({c(rate)}); the file does not say why.", (rate["subject"],),
                          f"Find out why {c(rate)} of the requests to {rate['subject']} in "
                          f"{rate['context']} failed, then rerun it.")
            continue
        error = top["text_value"]
        same_cause[(rate["context"], error)].append(rate)
        yield Finding(
            "errors", 70 + rate["value"] / 10,
            f"{count} to {rate['subject']} in {rate['context']} failed ({c(rate)}); the most "
            f"common error was \"{error}\".", (rate["subject"],))
    for (context, error), rates in sorted(same_cause.items()):
        models = _joined([r["subject"] for r in rates])
        shares = _joined([c(r) for r in rates])
        whose = "its" if len(rates) == 1 else "their"
        # a recommendation only, ranked with its worst finding
        yield Finding("errors", 70 + max(r["value"] for r in rates) / 10, "",
                      tuple(r["subject"] for r in rates),
                      f"Rerun {context} for {models} once \"{error}\" is fixed: {shares} of "
                      f"{whose} requests failed.")
    broken: dict[tuple[str, str], list[str]] = defaultdict(list)
    for fact in facts.where(category="compile", metric="status"):
        backend = fact["subject"].removeprefix(f"{fact['context']} ")
        reason = (fact.get("text_value") or "failed").removeprefix("failed: ").rstrip(".")
        broken[(backend, reason)].append(fact["context"])
    for (backend, reason), benches in sorted(broken.items()):
        names = _joined(sorted(set(benches)))
        yield Finding("compile_failure", 72, f"The {backend} backend failed on {names}, so it "
                      f"has no latency there: {reason}.", (backend,),
                      f"Install or fix what the {backend} backend needs ({reason}) and rerun "
                      f"{names}.")


def tool_results(facts: FactIndex) -> Iterator[Finding]:
    """Each benchmark tool's test of the day: its fastest series by the throughput the tool
    reports (with its TTFT when measured), and runs that failed outright."""
    groups: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    for fact in facts.family("tool"):
        metric, _, stat = (fact.get("metric") or "").partition(".")
        if (metric in THROUGHPUTS
                and stat in ("mean", "value") and fact.get("value") is not None):
            groups[(fact["context"], metric)].append(fact)
    chosen: dict[str, tuple[str, list[Fact]]] = {}
    for (context, metric), group in sorted(groups.items(),
                                           key=lambda item: THROUGHPUTS.index(item[0][1])):
        chosen.setdefault(context, (metric, group))
    for context, (metric, group) in sorted(chosen.items()):
        # a tie in throughput goes to the lower latency: the best is a frontier point
        best = max(group, key=lambda f: (f["value"], -_latency(facts, f), f["subject"]))
        stem = best["fact_key"].rsplit(".", 2)[0]
        ttft = facts.key(f"{stem}.ttft.mean") or facts.key(f"{stem}.ttft.value")
        others = f" (best of {len(group)})" if len(group) > 1 else ""
        latency = f", time to first token {c(ttft)}" if ttft else ""
        yield Finding("tool_result", 60, f"In {context}, {best['subject']} reached "
                      f"{c(best)} {LABELS.get(metric, metric)}{others}{latency}.",
                      (best["subject"],))
    for fact in facts.where(category="performance", metric="status"):
        yield Finding("run_failure", 80, f"The {fact['context']} run of {fact['subject']} "
                      "failed: no request completed, so it has no measurements.",
                      (fact["subject"],), f"Rerun {fact['context']} for {fact['subject']}: "
                      "none of its requests completed.")


def _latency(facts: FactIndex, throughput: Fact) -> float:
    """The latency of a tool series (its throughput fact's), by the frontier's measure order;
    infinite when it measured none."""
    stem = throughput["fact_key"].rsplit(".", 2)[0]
    for metric, stat in frontier.LATENCIES:
        fact = facts.key(f"{stem}.{metric}.{stat}")
        if fact is not None and fact.get("value") is not None:
            return fact["value"]
    return float("inf")


def tool_sweeps(facts: FactIndex) -> Iterator[Finding]:
    """Each tool sweep of the day (configs of one model and test that differ in their
    settings, :mod:`.frontier`): the config with the highest throughput, which is a point of
    the throughput-latency frontier the report draws (a tie goes to the lower latency), with
    its latency, and the frontier's other configs."""
    series: dict[str, dict] = {}
    for fact in facts.family("tool"):
        key = fact["fact_key"]
        if not fact.get("context"):
            continue
        metric, _, stat = (fact.get("metric") or "").partition(".")
        if metric == "status":
            stem = key.removesuffix(".status")
        elif stat and fact.get("value") is not None and key.endswith(f".{metric}.{stat}"):
            stem = key.removesuffix(f".{metric}.{stat}")
        else:
            continue
        entry = series.setdefault(stem, {"fact": fact, "measures": {}, "facts": {},
                                         "failed": False})
        if metric == "status":
            entry["failed"] = True
        else:
            entry["measures"][(metric, stat)] = fact["value"]
            entry["facts"][(metric, stat)] = fact
    items = []
    for entry in series.values():
        test, settings = frontier.parameters(entry["fact"]["context"])
        subject, more = frontier.parameters(entry["fact"]["subject"])
        items.append(((test, subject), frontier.Point(
            settings | {k: v for k, v in more.items() if k not in settings},
            entry["measures"], entry["failed"] and not entry["measures"], entry)))
    for sweep in frontier.group(items):
        best = sweep.best
        test, subject = sweep.key
        what = LABELS.get(sweep.throughput[0], sweep.throughput[0])
        tps = best.ref["facts"][sweep.throughput]
        lat = best.ref["facts"].get(sweep.latency) if sweep.latency else None
        if lat is None:
            yield Finding("sweep_best", 58, f"Of the configs of {subject} swept over "
                          f"{_joined(sweep.swept)} in {test}, {sweep.name(best)} reached the "
                          f"highest {what}, {c(tps)}; no latency was measured to weigh it "
                          "against.", (subject,))
            continue
        others = [sweep.name(p) for p in sweep.frontier if p is not best]
        rest = (f"; the frontier's other configs are {_joined(others)}" if others
                else "; it is the frontier's only config")
        yield Finding("sweep_best", 58, f"Of the configs of {subject} swept over "
                      f"{_joined(sweep.swept)} in {test}, {sweep.name(best)} reached the highest "
                      f"{what}, {c(tps)}, at {LABELS.get(sweep.latency[0], sweep.latency[0])} "
                      f"{c(lat)}, a point of the throughput-latency frontier{rest}.",
                      (subject,))


def quality(facts: FactIndex) -> Iterator[Finding]:
    """Parse failures, duplicates, files dated by mtime, missing telemetry."""
    failed, example = facts.key("quality.parse_failures"), facts.key(
        "quality.parse_failure_example")
    if failed and failed["value"] and example:
        path, _, reason = example["text_value"].partition(": ")
        yield Finding("quality", 65, f"{c(failed, bare=True)} file(s) of the day failed to "
                      f"parse, for example {path} ({reason.rstrip('.')}).", (),
                      f"Fix or remove {path}, which failed to parse.")
    copies, example = facts.key("quality.duplicates"), facts.key("quality.duplicate_example")
    if copies and copies["value"] and example:
        yield Finding("quality", 45, f"{c(copies, bare=True)} file(s) are exact copies of "
                      f"other files (for example {example['text_value']}); each is counted "
                      f"once.", (), f"Remove the {c(copies, bare=True)} duplicate file(s) so "
                      f"that the tree holds each measurement once.")
    undated = facts.key("quality.dated_by_mtime")
    if undated and undated["value"]:
        yield Finding("quality", 44, f"{c(undated, bare=True)} file(s) carry no date in their "
                      f"name or content and were dated by their modification time.", (),
                      f"Put a date stamp (YYYYMMDD) in the names of the "
                      f"{c(undated, bare=True)} file(s) dated only by modification time: a copy "
                      f"or a checkout moves them to another day.")
    for unnamed in facts.where(subject="unknown model", metric="requests"):
        if unnamed.get("context"):
            yield Finding("quality", 43, f"{c(unnamed)} in {unnamed['context']} name no model, "
                          "so they cannot be compared with other days or models.", (),
                          f"Record the model's name in the {unnamed['context']} result files "
                          f"(the {c(unnamed)} of this day have none).")
    telemetry = facts.key("quality.missing_telemetry")
    if telemetry:
        yield Finding("quality", 42, f"No GPU telemetry was recorded beside the day's LLM "
                      f"requests ({telemetry['text_value']}).", (),
                      "Record GPU telemetry while the benchmarks run, so throughput can be "
                      "read against GPU load and temperature.")


def inventory(facts: FactIndex) -> Iterator[Finding]:
    """What the day's files are, where their dates came from, what they held."""
    files, size = facts.key("inventory.files"), facts.key("inventory.bytes")
    if files is None:
        return
    kinds = ", ".join(f"{c(f, bare=True)} {f['fact_key'].rsplit('.', 1)[1].upper()}"
                      for f in facts.family("inventory")
                      if f["fact_key"].startswith("inventory.type."))
    yield Finding("inventory", 20, f"This day has {c(files)} ({c(size)}): {kinds}.")
    sources = [f for f in facts.family("inventory")
               if f["fact_key"].startswith("inventory.dated_by.")]
    if sources:
        dated = _joined([f"from their {SOURCES.get(source, source)} for "
                         f"{c(f, bare=True)}" for f in sources
                         for source in [f["fact_key"].rsplit(".", 1)[1]]])
        by_content = facts.key("inventory.dated_by.content")
        yield Finding("inventory", 15, f"The files' benchmark dates were read {dated}.", (),
                      f"Put the benchmark date in the names of the {c(by_content, bare=True)} "
                      "file(s) dated from their content, so their day does not depend on which "
                      "date their text mentions first." if by_content else None)
    values, typed = facts.key("inventory.values"), facts.key("inventory.typed_rows")
    if values and typed:
        yield Finding("inventory", 18, f"The day's files gave {c(typed, bare=True)} typed "
                      f"measurement rows and {c(values, bare=True)} numbers in metric_values.")


def documents(facts: FactIndex) -> Iterator[Finding]:
    """Write-ups and untyped files: how many numbers they state that nothing measured backs."""
    typed = facts.key("inventory.typed_rows")
    paths = []
    for stated in facts.where(category="document", metric="values"):
        path = stated["subject"]
        paths.append(path)
        yield Finding("document", 30, f"{path} states {c(stated, bare=True)} numbers that no "
                      "typed parser reads; they are kept in metric_values, unchecked.", (path,))
    if paths and typed is not None and typed["value"] == 0:
        yield Finding("document", 30, "", tuple(paths),  # a recommendation only
                      f"Keep the measurement files behind {_joined(paths)} beside "
                      f"{'it' if len(paths) == 1 else 'them'}: this day has no typed "
                      "measurement to check their numbers against.")


RULES = (changes, failures, sweeps, rankings, tool_results, tool_sweeps, quality, documents,
         inventory)
