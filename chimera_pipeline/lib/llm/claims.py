"""Check every quantity the LLM wrote against the findings it was given.

The model is given the day's top findings; every number in them is a fact. A quantity it
writes (read by ``quantities.py``, names masked by ``names.py``) is *verified* only when one
of those facts (``given``: the facts the prompt's findings cite) states it:

* **the same value at the written precision**: rounding, not truncation (76 is not 76.59);
  s<->ms<->min, KB<->bytes (decimal or binary), a fraction word<->a percent, and a ratio<->the
  percent it is faster or slower are the only conversions;
* **of a compatible kind**: a throughput is not a count; "N times" needs a ratio the findings
  engine computed; a count needs a count of the same thing (requests, files, configs...), of
  failures when the sentence says they failed, of all when it does not; a percent said to
  change needs a change, one said to fail a failure rate; a stated direction (rose, fell,
  improved, +, -) must be the change's; a named statistic (p99, median, peak) the fact's; a
  named metric (TTFT, decode, compile) the fact's; a superlative (fastest, lowest) must hold
  in the fact's comparison group; a part cannot exceed its whole;
* **about the same subject**: the model, config, backend or GPU the quantity's clause names
  (the nearest name to it) must be one the fact is about; a fact about no subject verifies no
  quantity whose clause names one; a ratio needs both of its sides named, the right way round.

A citation ``{F12}`` is filled from the facts (its value is right by construction) and passes
the same subject and kind checks. Percentage points, ranks, vague amounts ("thousands of") and
numbers in a form that cannot be read safely are never verified. Every quantity becomes a
``report_claims`` row; the gate (``gate.py``) leaves out each sentence with an unverified one.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace

from chimera_pipeline.lib.facts.model import FactRecord
from chimera_pipeline.lib.llm import wording
from chimera_pipeline.lib.llm.names import FILLER, Mention, NameIndex
from chimera_pipeline.lib.llm.quantities import CITATION_BASE, Quantity, read_quantities

UNVERIFIED_MARK = " [⚠ unverified]"

_CITATION = re.compile(r"\{(F\d+)\}")
# a sentence ends at . ! ? followed by a space (not after an abbreviation), or at a line end:
# never inside a number (2.1) or a file name (report_109.md)
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\betc)(?<!\bapprox)(?<!\bcf)"
                           r"(?<!\bca)(?<!\bNo)(?<!\bno)(?<!\bFig)[.!?]+[\"'”’)\]]*(?=\s)|\n+")
_CONTENT_WORD = re.compile(r"[A-Za-z]{3,}")
_LABEL_STOPWORDS = {"to", "this", "of", "the", "by", "only", "that", "into", "a", "in", "on",
                    "with", "those", "these", "total", "size", "day", "llm"}
_FILLER_WORDS = {"and", "the", "with", "for", "from", "about", "roughly", "around", "nearly",
                 "almost", "just", "only", "its", "their", "was", "were", "are", "also",
                 "which", "that", "this", "than", "then", "each", "both", "all", "some"}


@dataclass
class Claim:
    """One quantity of the LLM text and the verdict on it (a ``report_claims`` row)."""

    section: str
    sentence: str
    text: str
    value: float
    unit: str | None
    fact_id: str | None
    verified: bool
    reason: str


def sentences(text: str) -> list[str]:
    """The sentences of a text, each exactly as written (nothing inside one is changed)."""
    out, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[start:match.end()]
        if piece.strip():
            out.append(piece.strip())
        start = match.end()
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


@dataclass
class _Context:
    """What the words around one quantity say about it."""

    failure: bool = False
    success: bool = False
    negated: bool = False
    change: bool = False
    direction: int = 0  # +1 rose / -1 fell, from the words (0: none or both)
    both_ways: bool = False
    text: str = ""  # the clause's words
    quality: int = 0  # +1 better / -1 worse
    stats: set[str] = field(default_factory=set)
    metrics: set[str] = field(default_factory=set)
    ranks: set[str] = field(default_factory=set)
    earlier: bool = False  # the words say it is an earlier day's value
    subject: str | None = None  # the name it is attributed to (lower-cased)
    clause_subjects: list[str] = field(default_factory=list)
    contexts: set[str] = field(default_factory=set)  # suites/benchmarks the sentence names
    span: tuple[int, int] = (0, 0)  # the clause read with the quantity
    scope: list[str] = field(default_factory=list)  # who the quantity may be about
    leading_contexts: set[str] = field(default_factory=set)  # "In baseline, ..."
    clause_contexts: set[str] = field(default_factory=set)


def _word_context(text: str) -> _Context:
    ctx = _Context()
    ctx.failure = bool(wording.FAILURE.search(text))
    ctx.success = bool(wording.SUCCESS.search(text))
    ctx.negated = bool(wording.NEGATION.search(text))
    up, down = bool(wording.INCREASE.search(text)), bool(wording.DECREASE.search(text))
    better, worse = bool(wording.BETTER.search(text)), bool(wording.WORSE.search(text))
    ctx.direction = int(up) - int(down)
    ctx.both_ways = up and down
    ctx.quality = int(better) - int(worse)
    ctx.change = up or down or better or worse or bool(wording.CHANGE.search(text))
    ctx.stats = {stat for pattern, stat in wording.STATISTICS if re.search(pattern, text, re.I)}
    ctx.stats |= wording.named_percentiles(text)
    ctx.metrics = {name for pattern, name in wording.METRIC_WORDS
                   if re.search(pattern, text, re.I)}
    ctx.earlier = bool(wording.PREVIOUS.search(text))
    ctx.ranks = {rank for pattern, rank in wording.SUPERLATIVES
                 if re.search(pattern, re.sub(r"\bat\s+(?:most|least)\b", "", text, flags=re.I),
                              re.I)}
    return ctx


def _clauses(named: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in wording.CLAUSE_BREAK.finditer(named):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(named)))
    return [(a, b) for a, b in spans if b > a]


class Checker:
    """Verifies the quantities of one day's LLM text against the facts it was given."""

    def __init__(self, facts: Sequence[FactRecord], given: Collection[str] | None = None
                 ) -> None:
        self.facts = list(facts)
        self.by_id = {f.fact_id: f for f in self.facts}
        self.given = [f for f in self.facts if given is None or f.fact_id in set(given)]
        self.given_ids = {f.fact_id for f in self.given}
        self.names = NameIndex(self.facts)
        # the contexts each kind of comparison was made in (a ratio of conv_bench is not
        # one of mlp_bench), and the largest count of the day per unit (the total)
        self._compared: dict[str | None, set[str]] = defaultdict(set)
        self._largest: dict[str | None, float] = {}
        for f in self.facts:
            if " vs " in (f.subject or "") and f.context:
                self._compared[f.metric].add(f.context.lower())
            if not f.subject and f.value is not None:
                self._largest[f.unit] = max(self._largest.get(f.unit, f.value), f.value)
        self.previous_subjects: list[str] = []  # the names of the sentence before
        groups: dict[tuple, list[float]] = defaultdict(list)
        self._alternatives: dict[tuple, set[str]] = defaultdict(set)
        for f in self.facts:
            if f.value is not None and f.subject and self._group(f) is not None:
                groups[self._group(f)].append(f.value)
            if f.subject and f.context:
                self._alternatives[(f.subject.lower(), f.category, f.metric)].add(
                    f.context.lower())
        self._groups = {k: v for k, v in groups.items() if len(v) > 1}
        # failed requests per (subject, context): "completed N requests" must not hide them
        self._failed = {(f.subject, f.context): f.value for f in self.facts
                        if f.metric == "failed" and f.value}
        self._totals = {(f.subject, f.context): f.value for f in self.facts
                        if f.metric == "requests"}
        # the subjects measured alike: a name that is part of several tells none apart
        self._measured: dict[tuple, set[str]] = defaultdict(set)
        for f in self.facts:
            if f.subject:
                self._measured[(f.category, f.metric, f.context)].add(f.subject)

    @classmethod
    def from_rows(cls, rows: Sequence, given: Collection[str] | None = None) -> Checker:
        """From ``facts`` rows (mappings) or records."""
        return cls([r if isinstance(r, FactRecord) else FactRecord.from_row(r) for r in rows],
                   given)

    @staticmethod
    def _group(fact: FactRecord) -> tuple | None:
        """The comparison a superlative ranks a fact in: the same measure (a day's mean,
        whichever table states it) in the same context; another day's value is in none."""
        if fact.stat == "previous":
            return None
        stat = {"current": "mean", "value": "mean"}.get(fact.stat or "", fact.stat)
        # a sweep compares one model's configs: its facts are keyed sweep.<model>.<what>
        within = fact.fact_key.rsplit(".", 1)[0] if fact.category == "sweep" else None
        return (fact.context, fact.unit, (fact.metric or "").split(".")[0], stat, within)

    # -- one sentence ----------------------------------------------------------------------

    def new_section(self) -> None:
        """A new paragraph: no name carries over from the sentence before."""
        self.previous_subjects = []

    def check(self, section: str, sentence: str, mark: bool = True) -> tuple[str, list[Claim]]:
        """The sentence with citations filled (and unverified quantities marked when
        ``mark``), and a claim per quantity."""
        cited: list[FactRecord | str] = []

        def placeholder(match: re.Match[str]) -> str:
            cited.append(self.by_id.get(match.group(1)) or match.group(1))
            return chr(CITATION_BASE + len(cited) - 1)

        # the placeholders are private-use characters: any the model typed are blanked
        sentence_in = re.sub("[\ue000-\uf8ff]", " ", sentence)
        filled = _CITATION.sub(placeholder, sentence_in)
        named, masked, mentions = self.names.mask(filled)
        quantities = read_quantities(masked)
        claims = [self._claim(section, sentence, filled, named, mentions, quantities, i, cited)
                  for i in range(len(quantities))]
        self._check_parts(quantities, claims)
        self._check_from_to(masked, quantities, claims)
        named_subjects = [m.name.lower() for m in mentions if m.subject]
        if named_subjects:
            self.previous_subjects = named_subjects
        out, cursor = [], 0
        for quantity, claim in zip(quantities, claims, strict=True):
            if mark and not claim.verified:
                out.append(filled[cursor:quantity.end] + UNVERIFIED_MARK)
                cursor = quantity.end
        out.append(filled[cursor:])
        rendered = "".join(out)
        for i, fact in enumerate(cited):
            shown = fact.display if isinstance(fact, FactRecord) else fact
            rendered = rendered.replace(chr(CITATION_BASE + i), shown)
        return rendered, claims

    def _claim(self, section: str, sentence: str, filled: str, named: str,
               mentions: list[Mention], quantities: list[Quantity], index: int,
               cited: list) -> Claim:
        q = quantities[index]
        text = filled[q.start:q.end].strip()
        for i, fact in enumerate(cited):
            text = text.replace(chr(CITATION_BASE + i), "{" + (
                fact.fact_id if isinstance(fact, FactRecord) else fact) + "}")

        def claim(fact: FactRecord | None, verified: bool, reason: str,
                  value: float = q.value) -> Claim:
            return Claim(section, sentence.strip(), text, value, q.unit,
                         fact.fact_id if fact and verified else None, verified, reason)

        if q.form in ("unreadable", "vague"):
            return claim(None, False, q.reason or "unreadable")
        if q.form == "ordinal":
            return claim(None, False, "a rank (1st, 2nd...) is not checked against facts")
        if q.bound:
            return claim(None, False, "a bound (more than, at least...) is not a value a fact "
                         "states")
        if q.unit == "pp":
            return claim(None, False, "no finding states a difference in percentage points")
        ctx = self._context(named, mentions, quantities, q)
        if ctx.negated:
            return claim(None, False, "a negated statement (not, never...) is not checked")
        if q.form == "citation":
            fact = cited[q.citation]
            if not isinstance(fact, FactRecord):
                return claim(None, False, "cites a fact id that does not exist",
                             value=math.nan)
            if fact.fact_id not in self.given_ids:
                return claim(None, False, f"cites {fact.fact_id} ({fact.label}), which no "
                             "finding given to the model states", value=fact.value or 0.0)
            problem = self._about(fact, None, ctx, q, mentions)
            if problem:
                return claim(None, False, f"cites {fact.fact_id}: {problem}",
                             value=fact.value or 0.0)
            return claim(fact, True, "cited by id", value=fact.value or 0.0)
        return self._typed(q, ctx, mentions, claim)

    def _typed(self, q: Quantity, ctx: _Context, mentions: list[Mention], claim) -> Claim:
        equal = [f for f in self.given if self._same_value(q, f)]
        if not equal:
            elsewhere = any(self._same_value(q, f) and self._kind_problem(q, f, ctx) is None
                            for f in self.facts if f.fact_id not in self.given_ids)
            return claim(None, False, "no finding given to the model states this value"
                         + (" (a fact of the day not in the prompt has it)" if elsewhere
                            else ""))
        best: tuple[int, str] | None = None
        for fact in equal:
            kind = self._kind_problem(q, fact, ctx)
            if kind:
                best = min(best or (9, ""), (1, kind))
                continue
            problem = self._about(fact, q, ctx, q, mentions)
            if problem is None:
                return claim(fact, True, f"matches {fact.fact_id} ({fact.label})")
            best = min(best or (9, ""), (0, problem))
        return claim(None, False, best[1] if best else "no fact has this value")

    # -- the context of a quantity --------------------------------------------------------

    def _context(self, named: str, mentions: list[Mention], quantities: list[Quantity],
                 q: Quantity) -> _Context:
        spans = _clauses(named)
        index = next((i for i, (a, b) in enumerate(spans) if a <= q.start < b), 0)
        start, end = spans[index] if spans else (0, len(named))
        own = start
        if index and not self._has_words(named, start, end, quantities):
            start = spans[index - 1][0]  # a bare appositive ("..., 0.693 ms") reads with
            #                              the clause before it
        words = list(named[start:end])
        for other in quantities:  # the quantities' own words (5 *times*) are not context
            for i in range(max(other.start, start), min(other.end, end)):
                words[i - start] = " "
        ctx = _word_context("".join(words).replace(FILLER, " "))
        ctx.text = "".join(words).replace(FILLER, " ").lower()
        subjects = [m for m in mentions if m.subject]
        in_clause = [m for m in subjects if start <= m.start < end]
        if own > start and any(own <= m.start < end for m in in_clause):
            # "A was the fastest at X and B at Y": B's clause names its own subject, so the
            # rank said of A is not said of B
            ctx.ranks = _word_context(named[own:end].replace(FILLER, " ")).ranks
        ctx.clause_subjects = [m.name.lower() for m in in_clause]
        ctx.subject = _nearest(in_clause, q) or _nearest(subjects, q)
        # who the quantity may be about: the names of its clause, else of its sentence,
        # else of the sentence before (a pronoun's "it"); a number is verified only when
        # every one of them is part of its fact's subject
        ctx.scope = (ctx.clause_subjects or [m.name.lower() for m in subjects]
                     or list(self.previous_subjects))
        if not ctx.subject and ctx.scope:
            ctx.subject = ctx.scope[-1]
        ctx.contexts = {m.name.lower() for m in mentions if m.context}
        ctx.clause_contexts = {m.name.lower() for m in mentions if m.context
                               and start <= m.start < end
                               and not re.match(r"\s+config", named[m.end:m.end + 8])}
        first = spans[0] if spans else (0, 0)
        if re.match(r"\s*(?:in|on|for|during|across|of)\b", named[first[0]:first[1]], re.I):
            ctx.leading_contexts = {m.name.lower() for m in mentions
                                    if m.context and first[0] <= m.start < first[1]}
        # a rank said in another clause of the sentence holds for this quantity when that
        # clause names no other subject ("X averaged 15 ms and was the fastest")
        for a, b in spans:
            if (a, b) == (start, end) or not (a > end or b <= start):
                continue
            others = {m.name.lower() for m in subjects if a <= m.start < b}
            if others <= set(ctx.scope):
                ctx.ranks |= _word_context(named[a:b].replace(FILLER, " ")).ranks
        ctx.span = (start, end)
        return ctx

    @staticmethod
    def _has_words(named: str, start: int, end: int, quantities: list[Quantity]) -> bool:
        text = list(named[start:end])
        for q in quantities:
            for i in range(max(q.start, start), min(q.end, end)):
                text[i - start] = " "
        words = _CONTENT_WORD.findall("".join(text).replace(FILLER, " x "))
        return any(w.lower() not in _FILLER_WORDS for w in words)

    # -- value and kind -------------------------------------------------------------------

    def _same_value(self, q: Quantity, fact: FactRecord) -> bool:
        """Equal at the written precision, in the units the two are written in."""
        if fact.value is None:
            return False
        value, unit = fact.value, fact.unit
        candidates: list[float] = []
        if q.unit == "fraction":
            if unit == "%":
                candidates = [value / 100]
            elif unit == "x" and value:
                candidates = [1 / value]
        elif q.unit == "x":
            if unit == "x":
                candidates = [value] + ([1 / value] if value else [])
        elif q.unit == "%":
            if unit == "%":
                candidates = [abs(value)]  # the sign is the kind check's to judge
            elif unit == "x" and value:
                candidates = [(value - 1) * 100, (1 - 1 / value) * 100]
        elif q.unit == "s":
            factor = {"s": 1.0, "ms": 1e-3}.get(unit or "")
            candidates = [value * factor] if factor else []
        elif q.unit in ("tok/s", "req/s"):
            candidates = [value] if unit == q.unit else []
        elif q.unit == "bytes":
            if unit == "bytes":
                typed = [q.value] + ([q.value / q.factor * q.binary] if q.binary else [])
                return any(abs(t - value) <= q.tolerance * (q.binary or q.factor) / q.factor
                           for t in typed)
        elif unit in (None, "count", "requests", "files"):
            candidates = [value]
        typed = abs(q.value) if q.unit == "%" else q.value
        return any(abs(typed - c) <= q.tolerance for c in candidates)

    def _kind_problem(self, q: Quantity, fact: FactRecord, ctx: _Context) -> str | None:
        """Why the quantity, as the sentence words it, is not what the fact states."""
        failure_fact = _is_failure(fact)
        change_fact = _is_change(fact)
        if q.noun:
            things = _fact_things(fact)
            noun = "failure" if q.noun == "failure" else q.noun
            if noun == "failure":
                if not failure_fact:
                    return f"a count of failures is stated; {fact.fact_id} ({fact.label}) is not"
            elif noun not in things:
                return (f"a count of {q.noun}s is stated; {fact.fact_id} counts "
                        f"{fact.label or fact.unit}")
        if q.unit is None or q.unit in ("%", "fraction"):
            if q.whole_of is not None:
                if failure_fact:
                    return f"the whole of a part is stated; {fact.fact_id} counts failures"
            elif q.unit in ("%", "fraction") and fact.unit == "x":
                pass  # a ratio stated as a percent faster: the ratio check reads it
            elif ctx.failure and not failure_fact and q.noun != "failure":
                return (f"the sentence says these failed; {fact.fact_id} ({fact.label}) is "
                        "not a failure count or rate")
            elif failure_fact and not ctx.failure and q.noun != "failure":
                return (f"{fact.fact_id} ({fact.label}) counts failures; the sentence does "
                        "not say they failed")
        if ctx.success and (failure_fact or (fact.metric == "requests" and self._failed.get(
                (fact.subject, fact.context)))):
            return (f"the sentence says these succeeded; {fact.fact_id} ({fact.label}) "
                    + ("is a failure count or rate" if failure_fact else "includes "
                       f"{self._failed[(fact.subject, fact.context)]:g} that failed"))
        if q.all_of and failure_fact and fact.metric == "failed" and fact.value != \
                self._totals.get((fact.subject, fact.context)):
            return (f"all of them are said to have failed; {fact.fact_id} is "
                    f"{fact.display} of {self._totals.get((fact.subject, fact.context)):g}")
        if q.unit == "%" and fact.unit == "%" and not ctx.failure and ctx.change and not \
                change_fact:
            return (f"a change is stated; {fact.fact_id} ({fact.label}) is a share, not a "
                    "change")
        if q.sign and q.form != "citation" and not change_fact and fact.unit == "%":
            return f"a signed change is stated; {fact.fact_id} ({fact.label}) is not a change"
        if change_fact and fact.value and " vs " not in (fact.subject or ""):
            sign = 1 if fact.value > 0 else -1
            if ctx.both_ways and fact.unit == "%":
                return "the sentence says both rose and fell: which is not clear"
            if q.sign and q.sign != sign:
                return f"the sign is wrong: {fact.fact_id} is {fact.display}"
            if ctx.direction and ctx.direction != sign and fact.unit == "%":
                return f"the direction is wrong: {fact.fact_id} is {fact.display}"
            better = sign * (1 if wording.higher_is_better(fact.metric) else -1)
            if ctx.quality and ctx.quality != better and fact.unit == "%":
                return (f"called {'better' if ctx.quality > 0 else 'worse'}, but "
                        f"{fact.fact_id} ({fact.label}) is "
                        f"{'an improvement' if better > 0 else 'a regression'}")
        if ctx.metrics:
            families = wording.metric_families(fact.metric)
            named = ctx.metrics & wording.SPECIFIC_METRICS or ctx.metrics
            if families and not families & named:
                return (f"the sentence speaks of {', '.join(sorted(ctx.metrics))}; "
                        f"{fact.fact_id} is {fact.label}")
        stat = fact.stat or ("mean" if "mean" in (fact.label or "").lower().split() else None)
        if stat == "previous" and not (ctx.earlier or q.from_before):
            return (f"{fact.fact_id} is the value of {fact.text_value or 'an earlier day'}; "
                    "the sentence does not say it is an earlier day's")
        if ctx.earlier and stat != "previous" and fact.unit != "%" and " vs " not in (
                fact.subject or "") and fact.category != "change":
            return (f"the sentence speaks of an earlier day; {fact.fact_id} is this day's "
                    f"{fact.label}")
        named_stats, may_name = ctx.stats, wording.stat_names(stat)
        if named_stats and may_name is not None:
            if not may_name & named_stats:
                return (f"the sentence names the {'/'.join(sorted(named_stats))}; "
                        f"{fact.fact_id} is the {stat}")
        elif wording.must_be_named(stat) and not (
                stat in ("min", "max") and ctx.ranks & {"min", "max", "best", "worst"}):
            return f"{fact.fact_id} is a {stat}, which the sentence does not name"
        return self._rank_problem(fact, ctx)

    def _rank_problem(self, fact: FactRecord, ctx: _Context) -> str | None:
        if not ctx.ranks or fact.value is None or fact.unit == "x":
            return None
        values = self._groups.get(self._group(fact))
        if not values:
            return None
        high = wording.higher_is_better(fact.metric)
        for rank in ctx.ranks:
            wanted = {"max": max, "min": min, "best": max if high else min,
                      "worst": min if high else max}[rank]
            if fact.stat in ("max", "min") and wanted.__name__ == fact.stat:
                continue
            if not math.isclose(fact.value, wanted(values), rel_tol=1e-9):
                return (f"called the {rank} of its comparison, but {fact.fact_id} "
                        f"({fact.display}) is not")
        return None

    # -- subject --------------------------------------------------------------------------

    def _about(self, fact: FactRecord, typed: Quantity | None, ctx: _Context, q: Quantity,
               mentions: list[Mention]) -> str | None:
        """Why the fact is not about what the sentence gives the quantity to."""
        if typed is None:  # a citation: its kind is the fact's, its words must fit
            problem = self._kind_problem(_as_typed(q, fact), fact, ctx)
            if problem:
                return problem
        if " vs " in (fact.subject or ""):
            return self._comparison_problem(fact, q, ctx, mentions)
        if not fact.subject:
            if ctx.clause_subjects:
                return (f"{fact.fact_id} ({fact.label}) is about no model, and the sentence "
                        f"gives it to {ctx.clause_subjects[0]}")
            return self._qualifier_problem(fact, ctx)
        parts = self.names.parts(fact.subject)
        strangers = [n for n in ctx.scope if n not in parts]
        if strangers:
            named = self.names.spelled.get(strangers[0], strangers[0])
            return f"value belongs to {fact.subject}, not {named}"
        if ctx.subject and ctx.subject != fact.subject.lower():
            # the model is named, the fact is one of its configs (or GPUs): the sentence
            # must tell that one from its siblings, and must not name a sibling's
            siblings = [self.names.parts(s) for s in self._measured[
                (fact.category, fact.metric, fact.context)]
                if s != fact.subject and ctx.subject in self.names.parts(s)]
            said = {m.name.lower() for m in mentions if m.subject} & set(parts)
            clause = set(ctx.clause_subjects)
            for sibling in siblings:
                if (clause & set(sibling)) - set(parts):
                    return f"value belongs to {fact.subject}, not {sibling[0]}"
                if said <= set(sibling):
                    return (f"value belongs to {fact.subject}; the sentence names only "
                            f"{', '.join(sorted(said))}, which {sibling[0]} is too")
        strict = ctx.clause_contexts or ctx.leading_contexts
        if fact.context and strict and fact.context.lower() not in strict:
            return f"value is from {fact.context}, not {', '.join(sorted(strict))}"
        if fact.context and ctx.contexts and fact.context.lower() not in ctx.contexts:
            others = self._alternatives.get((fact.subject.lower(), fact.category, fact.metric))
            if others and others & ctx.contexts:
                return f"value is from {fact.context}, not {', '.join(sorted(ctx.contexts))}"
        return None

    def _qualifier_problem(self, fact: FactRecord, ctx: _Context) -> str | None:
        """A count of the day (files dated by mtime, CSV files) says which files: its
        qualifying words must be in the clause, or a subset passes for the total."""
        if fact.unit not in ("files", "requests", "count") or fact.value == self._largest.get(
                fact.unit):
            return None  # the day's total needs no qualifier
        words = set(re.findall(r"[a-z]+", (fact.label or "").lower())) - _LABEL_STOPWORDS
        words -= {"file", "files", "request", "requests", "number", "numbers", "row", "rows"}
        if words and not any(re.search(rf"\b{w}", ctx.text) for w in words):
            return (f"{fact.fact_id} counts {fact.label}; the sentence does not say which "
                    "of them")
        return None

    def _comparison_problem(self, fact: FactRecord, q: Quantity, ctx: _Context,
                            mentions: list[Mention]) -> str | None:
        """A comparison ``A vs B`` (A the better: a ratio >= 1, or a gain in %) must name
        both sides and say it the right way round: A r times (or p %) better than B, or B r
        times worse than A, or B at 1/r of A."""
        better_side, worse_side = fact.subject.split(" vs ", 1)
        a, b = set(self.names.parts(better_side)), set(self.names.parts(worse_side))
        sides = {"a": a - b, "b": b - a}  # a shared model or benchmark name tells no side

        def first_mentions(found: list[Mention]) -> dict[str, int]:
            first: dict[str, int] = {}
            for m in found:
                for side, names in sides.items():
                    if m.subject and m.name.lower() in names:
                        first.setdefault(side, m.start)
            return first

        start, end = ctx.span
        first = first_mentions([m for m in mentions if start <= m.start < end])
        if len(first) < 2:
            first = first_mentions(mentions)
        if len(first) < 2:
            return f"{fact.fact_id} compares {better_side} with {worse_side}; name both"
        leading = min(first, key=first.get)
        named = ctx.leading_contexts or (ctx.contexts & self._compared.get(fact.metric, set()))
        if fact.context and named and fact.context.lower() not in named:
            return f"{fact.fact_id} compares {fact.context}, not {', '.join(sorted(named))}"
        higher_better = wording.higher_is_better(fact.metric)
        typed = q.form != "citation"
        ratio = fact.value if fact.unit == "x" else 1 + (fact.value or 0.0) / 100
        quality = (q.sign if higher_better else -q.sign) if q.sign and typed else ctx.quality
        # speed words (faster, better) say which side is better; value words (higher,
        # lower) say which side's value is larger, which for a latency is the worse side
        speed = bool(quality) or higher_better
        direction = quality or (ctx.direction if higher_better else 0)
        if fact.unit == "%" or (q.unit == "%" and typed):
            value = q.value if typed else fact.value
            if speed:
                wanted = ((ratio - 1) * 100 if leading == "a" and direction >= 0 else
                          (1 - 1 / ratio) * 100 if leading == "b" and direction < 0 else None)
            else:
                wanted = ((ratio - 1) * 100 if leading == "b" and ctx.direction > 0 else
                          (1 - 1 / ratio) * 100 if leading == "a" and ctx.direction < 0
                          else None)
            tolerance = q.tolerance if typed else 0.05
            ok = wanted is not None and abs(abs(value) - wanted) <= max(tolerance, 1e-9)
        elif typed and (q.unit == "fraction" or q.value < 1):
            ok = (leading == "b" and not quality) if speed else (
                leading == "a" and ctx.direction <= 0)  # "B at half the speed of A"
        elif speed:
            ok = (leading == "a" and direction >= 0) or (leading == "b" and direction < 0)
        else:  # "B's latency was 5.9x A's", "A's latency was 5.9x lower"
            ok = (leading == "b" and ctx.direction >= 0) or (leading == "a"
                                                             and ctx.direction < 0)
        if not ok:
            return (f"the comparison is the wrong way round: {fact.fact_id} says {better_side} "
                    f"is {fact.display} better than {worse_side}")
        return None

    # -- parts and wholes, from and to ---------------------------------------------------

    def _check_from_to(self, masked: str, quantities: list[Quantity],
                       claims: list[Claim]) -> None:
        """``from X to Y`` of a change: X is the earlier day's value, never today's."""
        for i in range(len(quantities) - 1):
            first, second = quantities[i], quantities[i + 1]
            before = masked[max(0, first.start - 6):first.start].lower()
            if not (re.search(r"\bfrom\s*$", before)
                    and re.fullmatch(r"\s*to\s*", masked[first.end:second.start], re.I)):
                continue
            a, b = claims[i], claims[i + 1]
            if a.verified and b.verified:
                fa, fb = self.by_id[a.fact_id], self.by_id[b.fact_id]
                if fa.stat != "previous" and fb.stat == "previous":
                    for c in (a, b):
                        c.verified, c.fact_id = False, None
                        c.reason = ("from and to are swapped: the earlier day's value is "
                                    f"{fb.display}")

    def _check_parts(self, quantities: list[Quantity], claims: list[Claim]) -> None:
        """``X of the Y``: X is at most Y, and both are about the same subject."""
        for i, q in enumerate(quantities):
            if q.part_of is None:
                continue
            whole, part = quantities[q.part_of], claims[i]
            whole_claim = claims[q.part_of]
            if q.value > whole.value + whole.tolerance:
                part.verified, part.fact_id = False, None
                part.reason = f"a part ({part.text}) larger than its whole ({whole_claim.text})"
                continue
            if part.verified and whole_claim.verified:
                a, b = self.by_id[part.fact_id], self.by_id[whole_claim.fact_id]
                if (a.subject, a.context) != (b.subject, b.context):
                    for c in (part, whole_claim):
                        c.verified, c.fact_id = False, None
                        c.reason = (f"the part ({a.label}) and the whole ({b.label}) are "
                                    "about different things")


def _nearest(candidates: list[Mention], q: Quantity) -> str | None:
    before = [m for m in candidates if m.end <= q.start]
    if before:
        return before[-1].name.lower()
    after = [m for m in candidates if m.start >= q.end]
    return after[0].name.lower() if after else None


def _as_typed(q: Quantity, fact: FactRecord) -> Quantity:
    """A citation read as if its fact's display had been typed in its place."""
    unit = {"ms": "s", "requests": None, "files": None, "count": None}.get(fact.unit or "",
                                                                          fact.unit)
    noun = {"requests": "request", "files": "file"}.get(fact.unit or "")
    return replace(q, unit=unit, noun=noun, value=fact.value or 0.0, form="citation")


def _is_failure(fact: FactRecord) -> bool:
    words = f"{fact.metric or ''} {fact.label or ''}".lower()
    return bool(re.search(r"fail|error", words))


def _is_change(fact: FactRecord) -> bool:
    return fact.category == "change" or "gain" in (fact.metric or "") or (
        fact.fact_key or "").startswith(("change.", "tool_change."))


def _fact_things(fact: FactRecord) -> set[str]:
    """What a count fact counts, from its unit, metric and label words."""
    words = re.findall(r"[a-z_]+", f"{fact.unit or ''} {fact.metric or ''} "
                       f"{fact.label or ''}".lower())
    things = {wording.FACT_THING_WORDS[w] for w in words if w in wording.FACT_THING_WORDS}
    for part in re.findall(r"[a-z]+", " ".join(words)):
        if part in wording.FACT_THING_WORDS:
            things.add(wording.FACT_THING_WORDS[part])
    if "failure" in things:
        things.add("request")
    return things


def check_section(section: str, text: str, facts: Sequence, given: Collection[str] | None = None
                  ) -> tuple[str, list[Claim]]:
    """Check every sentence of ``text``; facts are ``facts`` rows or records, ``given`` the
    ids the model was given (all of them when None). Returns the marked text and claims."""
    checker = Checker.from_rows(facts, given)
    checker.new_section()
    rendered, claims = [], []
    for sentence in sentences(text):
        out, found = checker.check(section, sentence)
        rendered.append(out)
        claims += found
    return " ".join(rendered), claims
