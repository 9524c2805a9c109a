"""Ratios between the ends of a day's rankings, as facts a sentence can state.

"gemma3:270m decoded 2.8x faster than gemma3:latest" is worth saying, and only the findings
engine may compute it: the narrative checker verifies a multiplicative claim ("N times",
"Nx", "twice", "half") only against a ratio fact. One per comparison the findings rank
(``findings/rules.py:rankings``): the fastest and slowest decode throughput of a suite, and
the lowest and highest mean latency of a compile benchmark or of the timing baselines. The
subject is ``better vs worse``; the value, at least 1, is how many times better the first is.
Its provenance divides the two facts' own provenance queries, so it reads the measurements,
not the ``facts`` table.
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa
import pyarrow.compute as pc

from chimera_pipeline.lib.facts import provenance
from chimera_pipeline.lib.facts.model import PRIORITY_MODEL, Fact, facts_of

# (category, metric of the ranked facts, what the ratio says, higher is better)
RANKED = (("performance", "decode_tps.mean", "decode throughput", True),
          ("compile", "mean_ms", "mean latency", False),
          ("timing", "mean_ms", "mean latency", False))


def ratio_key(context: str, metric: str) -> str:
    """The fact key of the ratio between the ends of ``metric``'s ranking in ``context``."""
    return f"ratio.{context}.{metric.split('.')[0]}"


def ratio_facts(facts: list[Fact], table: pa.Table | None = None) -> list[Fact]:
    """The ratio facts of one day's facts (computed before ids are assigned): ``facts`` and
    the day's facts made as a table (``model.number``), of which only the ranked metrics'
    are made objects."""
    if table is not None and table.num_rows:
        ranked = pc.is_in(table["metric"], pa.array(sorted({m for _, m, _, _ in RANKED})))
        facts = facts + facts_of(table.filter(ranked))
    groups: dict[tuple[str, str, str], list[Fact]] = defaultdict(list)
    for fact in facts:
        # a value that is not a number ranks nowhere: sorted with it, the ends of a ranking
        # would depend on the order the facts came in
        if fact.context and fact.value is not None and fact.value == fact.value and fact.subject:
            groups[(fact.category, fact.metric or "", fact.context)].append(fact)
    out = []
    for category, metric, what, higher_better in RANKED:
        for (cat, met, context), group in sorted(groups.items()):
            if (cat, met) != (category, metric) or len(group) < 2:
                continue
            # ties (one benchmark in two files of the day) broken by provenance, so the
            # ratio cites the same files whatever order the facts came in
            ranked = sorted(group, key=lambda f: (-f.value if higher_better else f.value,
                                                  f.subject, f.provenance or ""))
            best, worst = ranked[0], ranked[-1]
            low, high = sorted((best.value, worst.value))
            if low <= 0:
                continue  # no ratio of a zero
            out.append(Fact(
                ratio_key(context, metric), f"{context}: {best.subject} vs {worst.subject}, "
                f"{what} ratio", high / low, "x", "comparison", PRIORITY_MODEL + 1,
                provenance.ratio(best.provenance, worst.provenance),
                f"{best.subject} vs {worst.subject}", f"{metric.split('.')[0]}.ratio",
                context=context))
    return out
