"""The acceptance gate: nothing the model wrote is published before it passes.

An answer is rejected whole when it did not parse, is cut off, is too short or too long to be
a summary, echoes the prompt, or is in another language; the report then keeps its
deterministic text and says why. An accepted answer is checked sentence by sentence with the
claim checker (``claims.py``): a sentence with a quantity no finding given to the model backs
(an invented figure, a true figure given to the wrong model, a count passed off as a ratio, an
unreadable number) or a bare fact id is left out of the published narrative and listed with
the reason; a sentence that passes is published exactly as written.
``CHIMERA_LLM_MARK_UNVERIFIED`` keeps such sentences instead, with the quantity marked
``[⚠ unverified]``. Every quantity the model typed is a claim, published or not, rejected
answers' included: the grounding rate is verified / typed.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from chimera_pipeline.lib.llm.claims import Checker, Claim, sentences
from chimera_pipeline.lib.llm.language import wrong_language
from chimera_pipeline.lib.llm.prompts import EXAMPLE_SUBJECTS

MIN_SUMMARY_WORDS = 8
MAX_SUMMARY_WORDS = 160
MAX_ANALYSIS_WORDS = 250
ECHO_SHARE = 0.6  # of the answer's 5-word runs found verbatim in the prompt
MIN_DISTINCT_SHARE = 0.4  # distinct words / words: below, the model is repeating itself
_BARE_ID = re.compile(r"(?<![\w{])F\d+(?![\w}])")
_WORD = re.compile(r"[A-Za-z][\w'’:.-]*")


@dataclass
class Dropped:
    section: str
    sentence: str
    reason: str


@dataclass
class GateResult:
    """What is published, what was left out and why; ``rejected`` says why nothing was."""

    published: dict[str, str] = field(default_factory=dict)
    dropped: list[Dropped] = field(default_factory=list)
    claims: list[tuple[Claim, bool]] = field(default_factory=list)  # (claim, published)
    rejected: str | None = None

    @property
    def status(self) -> str:
        return f"rejected: {self.rejected}" if self.rejected else "accepted"


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def echo_share(answer: str, prompt: str) -> float:
    """The share of the answer's 5-word runs that appear verbatim in the prompt."""
    words = [w.lower() for w in _words(answer)]
    runs = {" ".join(words[i:i + 5]) for i in range(len(words) - 4)}
    if not runs:
        return 0.0
    said = " ".join(w.lower() for w in _words(prompt))
    return sum(1 for run in runs if run in said) / len(runs)


def _answer_problem(sections: dict, note: str, prompt: str, language: str) -> str | None:
    if note.startswith("not JSON") or "not matching the schema" in note:
        return f"the answer did not parse ({note.split(';')[0]})"
    if note.startswith("truncated"):
        return "the answer was cut off at the token budget"
    return _summary_problem(sections, prompt, language)


def _summary_problem(sections: dict, prompt: str, language: str) -> str | None:
    """Why the summary is not one: too short or long, repeating itself, an echo of the
    prompt, another language."""
    summary = sections.get("executive_summary") or ""
    words = len(_words(summary))
    if words < MIN_SUMMARY_WORDS:
        return (f"the summary has {words} word(s), fewer than {MIN_SUMMARY_WORDS}: "
                f"{summary.strip()[:60]!r}")
    if words > MAX_SUMMARY_WORDS:
        return f"the summary has {words} words, more than {MAX_SUMMARY_WORDS}"
    lowered = [w.lower() for w in _words(summary)]
    if len(set(lowered)) < MIN_DISTINCT_SHARE * len(lowered):
        return "the summary repeats itself (degenerate output)"
    if echo_share(summary, prompt) >= ECHO_SHARE:
        return "the summary echoes the prompt instead of summarising it"
    found = wrong_language(sections, language)
    if found:
        return f"written in {found!r}, not {language!r}"
    return None


def _check(section: str, text: str, checker: Checker, keep_unverified: bool,
           result: GateResult) -> str:
    kept = []
    checker.new_section()
    for sentence in sentences(text):
        rendered, claims = checker.check(section, sentence, mark=keep_unverified)
        problem = None
        if _BARE_ID.search(sentence):
            problem = "a bare fact id instead of a value"
        elif any(name in sentence for name in EXAMPLE_SUBJECTS):
            problem = "copied from the prompt's worked example"
        elif any(not c.verified for c in claims):
            problem = next(c.reason for c in claims if not c.verified)
        publish = problem is None or keep_unverified
        result.claims += [(c, publish) for c in claims]
        if publish:
            kept.append(rendered)
        else:
            result.dropped.append(Dropped(section, sentence, problem))
    return " ".join(kept)


def _record_unpublished(sections: dict, checker: Checker, result: GateResult) -> None:
    """The quantities of an answer (or section) that is not published at all: typed all the
    same, so they count in the grounding rate."""
    for section in ("executive_summary", "performance_analysis"):
        checker.new_section()
        for sentence in sentences(sections.get(section) or ""):
            result.claims += [(c, False) for c in checker.check(section, sentence)[1]]


def gate(sections: dict, note: str, prompt: str, facts: Sequence, language: str,
         keep_unverified: bool = False, given: Collection[str] | None = None) -> GateResult:
    """Judge one answer; see the module docstring for the rules. ``facts`` are the day's
    (rows or records), ``given`` the ids of those the prompt's findings cite (every fact when
    None): only those verify a quantity."""
    checker = Checker.from_rows(facts, given)
    result = GateResult()
    result.rejected = _answer_problem(sections, note, prompt, language)
    if result.rejected:
        _record_unpublished(sections, checker, result)
        return result
    summary = _check("executive_summary", sections["executive_summary"], checker,
                     keep_unverified, result)
    left = (_summary_problem({"executive_summary": summary}, prompt, language) if summary
            else None)
    if not summary or left:
        result.rejected = ("no sentence of the summary survived the checks" if not summary
                           else f"what survived the checks is not a summary: {left}")
        result.claims = [(c, False) for c, _ in result.claims]
        _record_unpublished({"performance_analysis": sections.get("performance_analysis")},
                            checker, result)
        return result
    result.published["executive_summary"] = summary
    analysis = sections.get("performance_analysis") or ""
    if analysis and len(_words(analysis)) <= MAX_ANALYSIS_WORDS:
        checked = _check("performance_analysis", analysis, checker, keep_unverified, result)
        if checked:
            result.published["performance_analysis"] = checked
    elif analysis:
        result.dropped.append(Dropped("performance_analysis", analysis[:200],
                                      f"more than {MAX_ANALYSIS_WORDS} words"))
        _record_unpublished({"performance_analysis": analysis}, checker, result)
    return result
