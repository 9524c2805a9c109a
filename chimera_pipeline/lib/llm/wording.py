"""The words the claim checker reads around a quantity, in one place.

A number is only as true as what the sentence says it is: "5 requests failed" and "5 times
faster" state different things with the same digit. These tables say which words name a
unit, a counted thing, a failure, a change and its direction, a statistic, a metric or a
rank, so that ``quantities.py`` (what was typed) and ``claims.py`` (whether a fact states
it) read a sentence the same way. Words are matched lower-cased and whole.
"""

from __future__ import annotations

import re

# -- units written after a number: (pattern, canonical unit, factor to the canonical unit)
UNIT_PATTERNS: tuple[tuple[str, str, float], ...] = (
    (r"tok(?:en)?s?\s*/\s*s(?:ec(?:ond)?)?", "tok/s", 1.0),
    (r"t/s", "tok/s", 1.0),
    (r"tok(?:en)?s?\s+(?:per|a|/)\s+sec(?:ond)?", "tok/s", 1.0),
    (r"tps", "tok/s", 1.0),
    (r"req(?:uest)?s?\s*/\s*s(?:ec(?:ond)?)?", "req/s", 1.0),
    (r"req(?:uest)?s?\s+(?:per|a)\s+sec(?:ond)?", "req/s", 1.0),
    (r"rps|qps", "req/s", 1.0),
    (r"ms|msecs?|milli-?seconds?", "s", 1e-3),
    (r"µs|us|micro-?seconds?", "s", 1e-6),
    (r"ns|nano-?seconds?", "s", 1e-9),
    (r"s|secs?|seconds?", "s", 1.0),
    (r"mins?|minutes?", "s", 60.0),
    (r"h|hrs?|hours?", "s", 3600.0),
    (r"%|percent|per\s*cent|pct", "%", 1.0),
    (r"pp|p\.p\.|percentage[-\s]points?|points?", "pp", 1.0),
    (r"x|×|-?fold|times", "x", 1.0),
    (r"bytes?", "bytes", 1.0),
    (r"[kK]i?B", "bytes", 1e3),
    (r"Mi?B", "bytes", 1e6),
    (r"Gi?B", "bytes", 1e9),
    (r"Ti?B", "bytes", 1e12),
)
# binary prefixes state the same bytes as decimal ones, read either way (KB is used for both)
BINARY_BYTES = {1e3: 1024.0, 1e6: 1024.0**2, 1e9: 1024.0**3, 1e12: 1024.0**4}

# magnitude suffixes glued to a number (50k, 1.2M, 3B) or written after it
SUFFIXES = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9}
SCALE_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}

# -- number words
SMALL_NUMBERS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "a dozen": 12, "dozen": 12}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}
# "one" in these phrases is a pronoun, not a count
ONE_IDIOMS = re.compile(r"\b(?:no|any|each|every|this|that|which|the|some)\s+one\b|"
                        r"\bone\s+(?:another|by\s+one|off|-off|-time|way\s+or)\b", re.I)
# amounts no fact can back: a careless model's "thousands of tokens"
VAGUE = {"dozens": 24.0, "hundreds": 200.0, "thousands": 2e3, "millions": 2e6,
         "billions": 2e9}

# -- multiplicative and fractional words: (pattern, value, kind); ratio "x" or share
MULTIPLIERS: tuple[tuple[str, float, str], ...] = (
    (r"twice", 2.0, "x"),
    (r"doubl(?:e|ed|es|ing)(?![-\s]+(?:check|precision|click|digit))", 2.0, "x"),
    (r"tripl(?:e|ed|es|ing)", 3.0, "x"),
    (r"quadrupl(?:e|ed|es|ing)", 4.0, "x"),
    (r"two[-\s]thirds(?=\s+(?:of|the|as)\b)", 2 / 3, "fraction"),
    (r"three[-\s]quarters(?=\s+(?:of|the|as)\b)", 0.75, "fraction"),
    (r"(?:a|one)[-\s]third(?=\s+(?:of|the|as)\b)", 1 / 3, "fraction"),
    (r"(?:a|one)[-\s]quarter(?=\s+(?:of|the|as)\b)", 0.25, "fraction"),
    (r"(?:a|one)[-\s]fifth(?=\s+(?:of|the|as)\b)", 0.2, "fraction"),
    (r"(?:a|one)[-\s]tenth(?=\s+(?:of|the|as)\b)", 0.1, "fraction"),
    (r"halv(?:ed|es|ing)|(?:by|in)\s+half|half(?=\s+(?:of|the|as|its|their|failed|were|"
     r"timed|did|had|ran|completed|succeeded)\b)", 0.5, "fraction"),
    (r"two[-\s]fifths(?=\s+(?:of|the|as)\b)", 0.4, "fraction"),
    (r"three[-\s]fifths(?=\s+(?:of|the|as)\b)", 0.6, "fraction"),
    (r"four[-\s]fifths(?=\s+(?:of|the|as)\b)", 0.8, "fraction"),
)
# a word fraction is read to a tenth of itself (half: 0.45-0.55), a word multiple to the unit
FRACTION_TOLERANCE = 0.1

# -- what a count counts: the noun (or its synonyms) a fact's unit or label must name
COUNT_NOUNS = {
    "request": "request", "requests": "request", "prompt": "request", "prompts": "request",
    "call": "request", "calls": "request", "run": "request", "runs": "request",
    "generation": "request", "generations": "request", "response": "request",
    "responses": "request",
    "failure": "failure", "failures": "failure", "error": "failure", "errors": "failure",
    "timeout": "failure", "timeouts": "failure",
    "file": "file", "files": "file", "document": "file", "documents": "file",
    "artifact": "file", "artifacts": "file", "csv": "file", "json": "file", "md": "file",
    "config": "config", "configs": "config", "configuration": "config",
    "configurations": "config", "setting": "config", "settings": "config",
    "combination": "config", "combinations": "config",
    "number": "number", "numbers": "number", "value": "number", "values": "number",
    "figure": "number", "figures": "number",
    "row": "row", "rows": "row", "measurement": "row", "measurements": "row",
    "record": "row", "records": "row", "sample": "row", "samples": "row",
    "token": "token", "tokens": "token",
    "model": "model", "models": "model",
    "test": "test", "tests": "test", "benchmark": "test", "benchmarks": "test",
    "suite": "test", "suites": "test", "backend": "backend", "backends": "backend",
    "day": "day", "days": "day", "night": "day", "nights": "day",
    "gpu": "gpu", "gpus": "gpu", "iteration": "iteration", "iterations": "iteration",
    "trial": "iteration", "trials": "iteration", "repetition": "iteration",
    "repetitions": "iteration", "kernel": "kernel", "kernels": "kernel",
    "parameter": "parameter", "parameters": "parameter", "byte": "byte", "bytes": "byte",
}
# the thing a fact counts, from the words of its unit, metric and label
FACT_THING_WORDS = {**COUNT_NOUNS, "failed": "failure", "parse_failures": "file",
                    "swept": "config", "typed_rows": "row", "values": "number",
                    "stated": "number"}

# -- words that say what happened to the quantity
FAILURE = re.compile(r"\b(?:fail(?:ed|s|ing|ures?)?|errors?|errored|timed[-\s]out|time-?outs?|"
                     r"unsuccessful|crash(?:ed|es)?|lost|broke|broken)\b", re.I)
SUCCESS = re.compile(r"\b(?:succe(?:eded|ssful(?:ly)?|ss(?:es)?)|completed|passed|ok|"
                     r"error-free|without\s+(?:an?\s+)?(?:errors?|failures?)|"
                     r"no\s+(?:errors?|failures?))\b", re.I)
# a negated statement ("did not reach 90 tok/s") says nothing a fact can back
NEGATION = re.compile(r"\b(?:not|never|neither|nor|none|cannot|no\s+longer)\b|n't\b", re.I)
INCREASE = re.compile(r"\b(?:rose|rise[sn]?|rising|increas(?:e|ed|es|ing)|up|gr[eo]w(?:s|n)?|"
                      r"gain(?:ed|s)?|jump(?:ed|s)?|climb(?:ed|s)?|higher|more|above|"
                      r"boost(?:ed)?|grew)\b", re.I)
DECREASE = re.compile(r"\b(?:fell|falls?|fallen|drop(?:ped|s)?|decreas(?:e|ed|es|ing)|down|"
                      r"declin(?:e|ed|es)|lower|less|fewer|below|shr[ai]nk|shrunk|"
                      r"reduc(?:e|ed|tion)|cut|slipp?(?:ed|s)?|dipp?(?:ed|s)?|sl[iu]d(?:es)?|"
                      r"sank|sink|loss|losing|plung(?:e|ed)|tumbl(?:e|ed))\b", re.I)
BETTER = re.compile(r"\b(?:improv(?:e|ed|es|ement|ing)|better|faster|quicker|shorter|speed-?up|"
                    r"outperform(?:ed|s)?|ahead)\b", re.I)
WORSE = re.compile(r"\b(?:regress(?:ed|es|ion)?|worse|worsen(?:ed|s)?|slower|longer|"
                   r"deteriorat(?:e|ed|ion)|degrad(?:e|ed|ation)|slow-?down|behind|"
                   r"trail(?:ed|s)?|lagg?(?:ed|s)?)\b", re.I)
CHANGE = re.compile(r"\b(?:chang(?:e|ed|es)|mov(?:e|ed)|shift(?:ed)?|swing|swung|delta|"
                    r"differ(?:ed|ence|ent)?|gap|between\s+runs|day[-\s]over[-\s]day|"
                    r"against|compared|vs\.?|versus)\b", re.I)
COMPARATIVE_THAN = re.compile(r"\b(?:than|as\s+\w+\s+as|compared\s+(?:with|to)|over|vs\.?|"
                              r"versus|relative\s+to|of)\b", re.I)

# an earlier day's value must be said to be one ("from 77.62 tok/s", "the previous day's")
PREVIOUS = re.compile(r"\b(?:previous(?:ly)?|earlier|before|prior|last|yesterday|"
                      r"formerly|used\s+to|had\s+been)\b", re.I)

# a bound ("more than 100 tok/s", "fewer than 2") says less than a value: never verified
BOUND = re.compile(r"\b(?:fewer|less|more|greater|higher|lower)\s+than\s*$|\bat\s+(?:least|most)"
                   r"\s*$|\b(?:under|up\s+to|nearly|almost|just\s+under|upwards\s+of)\s*$",
                   re.I)
# words that are not a count's noun but do not name another thing either
NOUN_STOPS = {"of", "and", "or", "to", "than", "per", "in", "at", "by", "for", "on", "with",
              "from", "while", "which", "is", "was", "were", "are", "the", "a", "an", "as",
              "each", "every", "across", "over", "against", "out", "this", "that",
              "before", "after", "during", "since", "vs", "versus", "more", "less"}
SPECIFIC_METRICS = {"ttft", "decode", "prefill", "compile", "error_rate", "variation"}

# -- statistics: a fact's metric ends with the statistic it is (decode_tps.p99)
STATISTICS: tuple[tuple[str, str], ...] = (
    (r"\bp50\b|\bmedian\b|50th\s+percentile", "p50"),
    (r"\bp90\b|90th\s+percentile", "p90"),
    (r"\bp95\b|95th\s+percentile", "p95"),
    (r"\bp99\b|99th\s+percentile", "p99"),
    (r"\bmean\b|\baverage[sd]?\b|\bavg\b|on\s+average", "mean"),
    (r"\bstd\b|\bstdev\b|standard\s+deviation|±|\bspread\b|\bjitter\b", "std"),
    (r"\bmin\b|\bminimum\b", "min"),
    (r"\bmax\b|\bmaximum\b|\bpeak(?:ed|s)?\b", "max"),
)
# a fact statistic and the words that may stand for it
STAT_OF_METRIC = {"mean": {"mean"}, "current": {"mean"}, "previous": {"mean"},
                  "value": {"mean"}, "p50": {"p50"}, "p90": {"p90"}, "p95": {"p95"},
                  "p99": {"p99"}, "std": {"std"}, "min": {"min"}, "max": {"max"}}
# statistics a sentence must name to state them: a p99 read as "the" latency misleads
MUST_BE_NAMED = {"p90", "p95", "p99", "std", "min", "max"}
# any other percentile CHIMERA_PERCENTILES may name (p75, p99.9): "p99.9", "99.9th percentile"
_PERCENTILE_WORDS = re.compile(
    r"\bp(\d{1,2}(?:\.\d+)?)\b|\b(\d{1,2}(?:\.\d+)?)(?:st|nd|rd|th)\s+percentile", re.I)
_PERCENTILE_STAT = re.compile(r"p\d{1,2}(?:\.\d+)?")


def named_percentiles(text: str) -> set[str]:
    """The percentiles a sentence names, as a fact's statistic is written (``p99.9``)."""
    return {"p" + (a or b).rstrip("0").rstrip(".") if "." in (a or b) else "p" + (a or b)
            for a, b in _PERCENTILE_WORDS.findall(text)}


def stat_names(stat: str | None) -> set[str] | None:
    """The statistics a sentence may name to state a fact of ``stat`` (None: any); a
    percentile outside :data:`STAT_OF_METRIC` only by its own name."""
    if stat in STAT_OF_METRIC:
        return STAT_OF_METRIC[stat]
    return {stat} if stat and _PERCENTILE_STAT.fullmatch(stat) else None


def must_be_named(stat: str | None) -> bool:
    """Whether a sentence must name ``stat`` to state it: every percentile but the median."""
    return stat in MUST_BE_NAMED or bool(
        stat and stat != "p50" and _PERCENTILE_STAT.fullmatch(stat))

# -- metric families: words in the sentence, and the fact metrics they can name
METRIC_WORDS: tuple[tuple[str, str], ...] = (
    (r"\bttft\b|time\s+to\s+(?:the\s+)?first\s+token|first[-\s]token", "ttft"),
    (r"\bdecod(?:e|ed|es|ing)\b|\bgenerat(?:ion|ed|es|e)\b|\boutput\s+(?:speed|rate|"
     r"throughput)", "decode"),
    (r"\bprefill(?:ed|s)?\b|prompt\s+(?:processing|eval(?:uation)?)", "prefill"),
    (r"\bcompil(?:e|ed|es|ing|ation)\b", "compile"),
    (r"\blatenc(?:y|ies)\b", "latency"),
    (r"\bthroughput\b|\bspeed\b|tokens?\s+(?:per|/)\s*s", "throughput"),
    (r"\berror\s+rate\b|\bfailure\s+rate\b", "error_rate"),
    (r"\bcoefficient\s+of\s+variation\b|\bvaried\b|\bvariab(?:le|ility)\b", "variation"),
)


def metric_families(metric: str | None) -> set[str]:
    """The families a fact's metric belongs to (``decode_tps.mean`` -> decode, throughput)."""
    name = (metric or "").split(".")[0]
    families = set()
    if "ttft" in name:
        families |= {"ttft", "latency"}
    if name in ("decode_tps", "output_tps", "total_tps", "e2e_tps"):
        families |= {"decode", "throughput"}
    if name == "prefill_tps":
        families |= {"prefill", "throughput"}
    if name == "requests_per_s":
        families |= {"throughput"}
    if name == "compile_time_s":
        families |= {"compile"}
    if name in ("mean_ms", "e2e_latency", "itl", "tpot", "latency"):
        families |= {"latency"}
    if name == "error_rate":
        families |= {"error_rate"}
    if name == "cv_percent":
        families |= {"variation", "latency"}
    if name == "gain_pct":
        families |= {"decode", "throughput"}
    return families


def higher_is_better(metric: str | None) -> bool:
    """Throughputs and gains are better high; times, latencies and error rates low."""
    name = (metric or "").split(".")[0]
    return not ("ttft" in name or name.endswith(("_s", "_ms")) or name in (
        "error_rate", "e2e_latency", "itl", "tpot", "latency", "cv_percent", "failed"))


# -- ranks: a superlative says where the subject stands among those compared
SUPERLATIVES: tuple[tuple[str, str], ...] = (
    (r"\bfastest\b|\bquickest\b|\bbest\b|\blead(?:ing|s)?\b|\bled\b|\btop(?:ped|s)?\b|"
     r"\bwinn(?:er|ing)\b|\bwon\b|\bfirst\s+place\b", "best"),
    (r"\bslowest\b|\bworst\b|\blast\s+place\b", "worst"),
    (r"\bhighest\b|\blargest\b|\bmost\b|\bbiggest\b", "max"),
    (r"\blowest\b|\bsmallest\b|\bleast\b|\bfewest\b", "min"),
)

# the connectives that start a new clause: a quantity is read with the words of its clause
CLAUSE_BREAK = re.compile(
    r"[;:()\[\]—–]|,\s|\s(?:while|whereas|but|and|although|though)\s", re.I)
