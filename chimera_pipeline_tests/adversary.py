"""A careless LLM: plausible sentences with wrong numbers, written from a day's findings.

It sees what the model sees (the day's top findings and the facts they cite) and writes what a
careless model writes: a true count reused as a ratio, a range, a suffix, a true number given
to another model, a truncated value, a unit swapped, a share called a change, a direction
flipped, a p99 that is a mean, the slowest called the fastest, yesterday's value as today's, a
part larger than its whole, a number glued to its unit, in fullwidth digits, with a decimal
comma... Each planted sentence is wrong; the claim checker must keep every one of them out of
the published report. ``true_sentences`` are the same findings worded differently, which it
must let through.

Used by the adversarial tests (unit: every kind against the gate on every real-corpus day;
e2e: through ``chimera run`` with the Ollama-protocol test server) and the narrative benchmark.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

TOP_FINDINGS = 8  # what the prompt carries (lib/llm/narration.py)
FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


@dataclass(frozen=True)
class Planted:
    kind: str
    sentence: str


class Day:
    """A day's facts and findings as the prompt gives them."""

    def __init__(self, day: str, facts: list[dict], findings: list[dict]) -> None:
        self.day = day
        self.facts = facts
        self.by_id = {f["fact_id"]: f for f in facts}
        self.narrated = [f for f in findings if f["role"] == "finding"][:TOP_FINDINGS]
        ids = [i for f in self.narrated for i in (f["fact_ids"] or "").split(",") if i]
        self.given = [self.by_id[i] for i in dict.fromkeys(ids) if i in self.by_id]

    def given_where(self, **wanted: object) -> list[dict]:
        return [f for f in self.given if all(_matches(f, k, v) for k, v in wanted.items())]

    def models(self) -> list[dict]:
        """Given per-model means (decode tok/s), each with its subject."""
        return [f for f in self.given if (f["metric"] or "").endswith("decode_tps.mean")
                and f["subject"] and " " not in f["subject"]]


def _matches(fact: dict, key: str, wanted: object) -> bool:
    if key == "metric_end":
        return (fact["metric"] or "").endswith(str(wanted))
    return fact.get(key) == wanted


def _num(fact: dict) -> str:
    """The fact's number as its display writes it, without the unit."""
    return re.match(r"[-\d.,]+", fact["display"]).group(0).replace(",", "")


def _other_value(fact: dict, bump: float) -> str:
    return f"{float(_num(fact)) + bump:.{max(1, len(_num(fact).partition('.')[2]))}f}"


# -- the planted claims, one generator per kind ---------------------------------------------

def _count_as_ratio(d: Day) -> Iterator[str]:
    for f in d.given_where(unit="requests"):
        if f["subject"] and f["value"] and f["value"] >= 2:
            yield f"{f['subject']} ran {int(f['value'])} times faster than the slowest model measured."


def _range(d: Day) -> Iterator[str]:
    yield "Across configurations, decode throughput moved by 12-15% between runs."


def _suffix(d: Day) -> Iterator[str]:
    yield "The day's requests generated roughly 50k output tokens in total."


def _invented(d: Day) -> Iterator[str]:
    for f in d.models()[:1]:
        yield f"{f['subject']} peaked at 9876.5 tok/s on the longest prompt."


def _swapped_subject(d: Day) -> Iterator[str]:
    models = d.models()
    for a, b in zip(models, models[1:], strict=False):
        if a["subject"] != b["subject"] and a["value"] != b["value"]:
            yield f"{b['subject']} decoded at {a['display']} on average."
            return


def _truncated(d: Day) -> Iterator[str]:
    for f in d.given:
        v = f["value"]
        if f["subject"] and f["unit"] in ("tok/s", "ms", "s") and v and v % 1 >= 0.5 and v < 1e4:
            yield f"{f['subject']} came in at {int(v)} {f['unit']}."
            return


def _unit_mismatch(d: Day) -> Iterator[str]:
    for f in d.models()[:1]:
        yield f"{f['subject']} returned its first token after {_num(f)} ms."


def _count_as_throughput(d: Day) -> Iterator[str]:
    for f in d.given_where(unit="requests"):
        if f["subject"]:
            yield f"{f['subject']} decoded at {int(f['value'])} tok/s."
            return


def _share_as_change(d: Day) -> Iterator[str]:
    for f in d.given_where(metric="error_rate"):
        if f["value"]:
            yield f"The decode throughput of {f['subject']} dropped by {f['display']}."
            return


def _citation_of_another_subject(d: Day) -> Iterator[str]:
    models = d.models()
    for a, b in zip(models, models[1:], strict=False):
        if a["subject"] != b["subject"]:
            yield f"{b['subject']} decoded at {{{a['fact_id']}}} on average."
            return


def _digits_of_a_name(d: Day) -> Iterator[str]:
    for f in d.models():
        digits = re.findall(r"\d+(?:\.\d+)?", f["subject"])
        if digits:
            yield f"{f['subject']} decoded at {digits[0]} tok/s."
            yield f"{f['subject']} decoded at 1{digits[-1]} tok/s."
            return


def _empty_subject(d: Day) -> Iterator[str]:
    subjectless = [f for f in d.facts if not f["subject"] and f["unit"] in ("files", "requests")
                   and f["value"]]
    models = d.models() or [f for f in d.given if f["subject"]]
    for f in subjectless[:1]:
        for m in models[:1]:
            noun = "files" if f["unit"] == "files" else "requests"
            yield f"{m['subject'].split(' vs ')[0]} produced {int(f['value'])} {noun}."


def _number_word(d: Day) -> Iterator[str]:
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
             "ten", "eleven", "twelve"]
    for f in d.given_where(metric="failed"):
        wrong = int(f["value"]) + 1
        if f["subject"] and wrong < len(words):
            yield f"{words[wrong].capitalize()} of the requests to {f['subject']} failed."
            return
    for f in d.models()[:1]:
        yield f"{f['subject']} ran five times faster than the slowest model measured."


def _ratios(d: Day) -> list[tuple[dict, str, str]]:
    out = []
    for f in d.given:
        if f["unit"] == "x" and " vs " in (f["subject"] or ""):
            a, b = f["subject"].split(" vs ", 1)
            prefix = f["context"] + " " if f["context"] and a.startswith(f["context"] + " ") \
                else ""
            out.append((f, a.removeprefix(prefix), b.removeprefix(prefix)))
    return out


def _multiplier(d: Day) -> Iterator[str]:
    for f, a, b in _ratios(d)[:1]:
        word = "twice" if round(f["value"]) != 2 else "three times"
        yield f"{a} was {word} as fast as {b}."
        if abs(1 / f["value"] - 0.5) > 0.05:
            yield f"{b} ran at half the speed of {a}."


def _fold(d: Day) -> Iterator[str]:
    for f, a, b in _ratios(d)[:1]:
        yield f"{a} was {round(f['value']) + 4}-fold faster than {b}."


def _ratio_inverted(d: Day) -> Iterator[str]:
    for f, a, b in _ratios(d)[:1]:
        yield f"{b} was {f['display']} faster than {a}."


def _percent_of_ratio(d: Day) -> Iterator[str]:
    for f, a, b in _ratios(d)[:1]:
        yield f"{a} was {round((f['value'] - 1) * 100) + 20}% faster than {b}."


def _percentage_points(d: Day) -> Iterator[str]:
    for f in d.given_where(metric="error_rate"):
        if f["value"]:
            yield f"The error rate of {f['subject']} rose by {_num(f)} percentage points."
            return


def _sign_flip(d: Day) -> Iterator[str]:
    for f in d.given:
        if f["category"] == "change" and f["unit"] == "%" and f["value"]:
            verb = "fell" if f["value"] > 0 else "rose"
            yield f"The {f['metric'].replace('_', ' ')} of {f['subject']} {verb} by " \
                  f"{abs(float(_num(f)))}% against the previous day."
            yield f"{f['subject']} changed by {-float(_num(f)):+.1f}% against the previous day."
            return


def _stat_swap(d: Day) -> Iterator[str]:
    for f in d.models()[:1]:
        yield f"The p99 decode throughput of {f['subject']} was {f['display']}."


def _superlative_swap(d: Day) -> Iterator[str]:
    models = sorted(d.models(), key=lambda f: f["value"])
    if len(models) > 1 and models[0]["value"] < models[-1]["value"]:
        yield f"The fastest model decoded at {models[0]['display']} on average."


def _previous_day_as_today(d: Day) -> Iterator[str]:
    for f in d.given:
        if (f["metric"] or "").endswith(".previous") and f["subject"]:
            yield f"{f['subject']} decoded at {f['display']} on average on this day."
            return


def _decimal_comma(d: Day) -> Iterator[str]:
    for f in d.models()[:1]:
        yield f"{f['subject']} decoded at {_other_value(f, 3).replace('.', ',')} tok/s."


def _fullwidth(d: Day) -> Iterator[str]:
    for f in d.models()[:1]:
        yield f"{f['subject']} decoded at {_other_value(f, 3).translate(FULLWIDTH)} tok/s."


def _markdown(d: Day) -> Iterator[str]:
    for f in d.models()[:1]:
        yield f"{f['subject']} decoded at **{_other_value(f, 7)}** tok/s."


def _glued_unit(d: Day) -> Iterator[str]:
    for f in d.models()[:1]:
        yield f"{f['subject']} decoded at {_other_value(f, 3)}tok/s."


def _scientific(d: Day) -> Iterator[str]:
    for f in d.models()[:1]:
        yield f"{f['subject']} decoded at 1e4 tok/s."


def _failed_and_total(d: Day) -> list[tuple[dict, dict]]:
    pairs = []
    for failed in d.given_where(metric="failed"):
        total = next((f for f in d.given if f["metric"] == "requests"
                      and f["subject"] == failed["subject"]
                      and f["context"] == failed["context"]), None)
        if total and failed["subject"] and failed["value"] < total["value"]:
            pairs.append((failed, total))
    return pairs


def _part_exceeds_whole(d: Day) -> Iterator[str]:
    for failed, total in _failed_and_total(d)[:1]:
        yield (f"{int(total['value'])} of the {int(failed['value'])} requests to "
               f"{failed['subject']} failed.")


def _wrong_whole(d: Day) -> Iterator[str]:
    for failed, total in _failed_and_total(d)[:1]:
        yield (f"{int(failed['value'])} of the {int(total['value']) + 7} requests to "
               f"{failed['subject']} failed.")


def _context_swap(d: Day) -> Iterator[str]:
    models = d.models()
    for a in models:
        for b in models:
            if a["subject"] == b["subject"] and a["context"] != b["context"] \
                    and a["display"] != b["display"]:
                yield f"In {b['context']}, {a['subject']} decoded at {a['display']} on average."
                return


def _wrong_thing(d: Day) -> Iterator[str]:
    for f in d.given_where(metric="failed"):
        yield f"{int(f['value'])} configs of {f['subject']} failed."
        return


def _fraction(d: Day) -> Iterator[str]:
    for f in d.given_where(metric="error_rate"):
        if f["value"] and abs(f["value"] - 50) > 5:
            yield f"Half of the requests to {f['subject']} failed."
            return
        if f["value"] and abs(f["value"] - 25) > 2.5:
            yield f"A quarter of the requests to {f['subject']} failed."
            return


def _vague(d: Day) -> Iterator[str]:
    for f in d.given_where(metric="failed"):
        yield f"Hundreds of requests to {f['subject']} failed."
        return
    yield "Thousands of tokens were generated on this day."


def _bytes(d: Day) -> Iterator[str]:
    yield "The day's files weighed 12.5 MB in total."


def _wrong_metric(d: Day) -> Iterator[str]:
    for f in d.given:
        if f["metric"] == "mean_ms" and f["subject"]:
            yield f"{f['subject']} compiled in {f['display']}."
            return
    for f in d.models()[:1]:
        yield f"{f['subject']} prefilled its prompts at {f['display']}."


PLANTERS: dict[str, Callable[[Day], Iterator[str]]] = {fn.__name__.lstrip("_"): fn for fn in (
    _count_as_ratio, _range, _suffix, _invented, _swapped_subject, _truncated, _unit_mismatch,
    _count_as_throughput, _share_as_change, _citation_of_another_subject, _digits_of_a_name,
    _empty_subject, _number_word, _multiplier, _fold, _ratio_inverted, _percent_of_ratio,
    _percentage_points, _sign_flip, _stat_swap, _superlative_swap, _previous_day_as_today,
    _decimal_comma, _fullwidth, _markdown, _glued_unit, _scientific, _part_exceeds_whole,
    _wrong_whole, _context_swap, _wrong_thing, _fraction, _vague, _bytes, _wrong_metric)}


def planted(day: Day) -> list[Planted]:
    """Every planted wrong claim the day's findings allow, each kind as often as it can."""
    return [Planted(kind, sentence) for kind, planter in PLANTERS.items()
            for sentence in planter(day)]


# -- true sentences: the findings, worded differently ---------------------------------------

def true_sentences(day: Day) -> list[str]:
    """The narrated findings said another way, with their true numbers."""
    out = []
    for finding in day.narrated:
        facts = [day.by_id[i] for i in (finding["fact_ids"] or "").split(",") if i in day.by_id]
        sentence = _reword(finding, facts)
        if sentence:
            out.append(sentence)
    return out


def _reword(finding: dict, facts: list[dict]) -> str | None:
    kind, text = finding["kind"], finding["text"]
    ranking = re.match(r"In (\S+), (\S+) decoded fastest at (.+?) on average and (\S+) slowest "
                       r"at (.+?)(?:; \S+ was (\S+) faster)?\.$", text)
    if kind == "ranking" and ranking:
        ctx, a, va, b, vb, ratio = ranking.groups()
        said = f"{a} was the fastest model in {ctx} at {va}, ahead of {b} at {vb}."
        return said + (f" {a} decoded {ratio} faster than {b}." if ratio else "")
    errors = re.match(r"(\d+) of the (\d+) requests to (\S+) in (\S+) failed \(([\d.]+%)\)",
                      text)
    if kind == "errors" and errors:
        failed, total, model, ctx, rate = errors.groups()
        return (f"{model} lost {failed} of its {total} requests in {ctx} to errors, an error "
                f"rate of {rate}.")
    compile_rank = re.match(r"On (\S+), (\S+) had the lowest mean latency of the backends that "
                            r"ran, ([\d.]+ ms), and (\S+) the highest, ([\d.]+ ms) \(\S+ "
                            r"([\d.]+x) faster\)", text)
    if kind == "ranking" and compile_rank:
        bench, best, vb, worst, vw, ratio = compile_rank.groups()
        return f"On {bench}, {best} took {vb} on average and ran {ratio} faster than {worst}."
    gain = re.match(r"Of the (\d+) configs swept for (\S+), (\S+) decoded fastest at "
                    r"([\d.]+ tok/s), ([\d.]+%) above the baseline config (\S+)", text)
    if kind == "sweep_gain" and gain:
        n, model, best, tps, pct, base = gain.groups()
        return (f"Tuning {model} paid off: {best} reached {tps}, beating the baseline config "
                f"{base} by {pct}.")
    change = re.match(r"The (.+?) of (\S+) in (\S+) changed by (-?[\d.]+%) against \S+ \(from "
                      r"([\d.]+ \S+) to ([\d.]+ \S+)\)", text)
    if kind == "change" and change:
        what, model, ctx, pct, before, after = change.groups()
        return f"In {ctx}, the {what} of {model} moved from {before} to {after}, a change of {pct}."
    document = re.match(r"(\S+) states (\d+) numbers", text)
    if kind == "document" and document:
        return f"{document.group(1)} holds {document.group(2)} numbers that no parser reads."
    return None


# the answer's limits (lib/llm/gate.py), with room to spare
SUMMARY_WORDS, ANALYSIS_WORDS = 140, 230
NEUTRAL = "The findings below were computed from the files of this benchmark day."


@dataclass
class Answer:
    """What the careless model answers for one day, and what of it is true or planted."""

    day: str
    sections: dict[str, str]
    planted: list[Planted]
    true: list[str]

    def text(self) -> str:
        return json.dumps(self.sections)


def _words(text: str) -> int:
    return len(re.findall(r"[A-Za-z][\w'’:.-]*", text))


def answers(days: list[Day]) -> dict[str, Answer]:
    """One answer per day, each within the gate's word limits: two true sentences (or a
    neutral one) lead the summary, planted claims follow; kinds not yet planted on an
    earlier day go first, so the days together plant every kind the corpus allows."""
    out: dict[str, Answer] = {}
    covered: set[str] = set()
    for day in days:
        true = [s for text in true_sentences(day) for s in _split(text)] or [NEUTRAL]
        summary, analysis, wrong = list(true[:2]), list(true[2:4]), []
        for plant in sorted(planted(day), key=lambda p: p.kind in covered):
            target, limit = ((summary, SUMMARY_WORDS) if len(summary) < 4
                             else (analysis, ANALYSIS_WORDS))
            if _words(" ".join([*target, plant.sentence])) > limit:
                continue
            target.append(plant.sentence)
            wrong.append(plant)
            covered.add(plant.kind)
        out[day.day] = Answer(day.day, {"executive_summary": " ".join(summary),
                                        "performance_analysis": " ".join(analysis)},
                              wrong, [s for s in true[:4] if s != NEUTRAL])
    return out


def _split(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]
