"""Check every number in the LLM's text against ``facts``.

Citations (``{F12}``) are replaced by the fact's value as the warehouse holds it: right by
construction. Every number the model typed itself is then looked up: it is *verified* when
a fact has the same value, allowing for units (s↔ms), rounding to the digits written and
thousands separators, **and** the fact's subject matches what the sentence names (a true
number attached to the wrong model is not verified). Unverified numbers are marked where
they stand, and every number becomes a ``report_claims`` row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNVERIFIED_MARK = " [⚠ unverified]"

_CITATION = re.compile(r"\{(F\d+)\}")
_NUMBER = re.compile(
    r"(?<![\w.:/-])([-+]?(?:\d{1,3}(?:,\d{2,3})+|\d+)(?:\.\d+)?)"
    r"(?:\s*(tok/s|tokens/s|tokens per second|ms|seconds|sec|s|%|x|×|GB|MB)\b|(%))?"
    r"(?![\w:-])"
)
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+Z?)?\b")
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=\d))+(?:[.!?]+|\n|$)")
_UNIT_ALIASES = {"tokens/s": "tok/s", "tokens per second": "tok/s", "seconds": "s", "sec": "s",
                 "×": "x"}
_PLACEHOLDER = 0xE000  # Unicode private use area: no digits, never in model output
_CONVERSIONS = {("s", "ms"): 1000.0, ("ms", "s"): 0.001}


@dataclass
class Claim:
    section: str
    sentence: str
    text: str
    value: float
    unit: str | None
    fact_id: str | None
    verified: bool
    reason: str


def sentences(text: str) -> list[str]:
    """The sentences of a text as the checker splits them (a decimal point ends none)."""
    return [m.group(0) for m in _SENTENCE.finditer(text) if m.group(0).strip()]


def _tolerance(text: str) -> float:
    decimals = len(text.split(".", 1)[1]) if "." in text else 0
    return 0.5 * 10 ** (-decimals) + 1e-9


def _matches(typed: float, text: str, unit: str | None, fact: dict) -> bool:
    value, fact_unit = fact.get("value"), fact.get("unit")
    if value is None:
        return False
    if unit and fact_unit and unit != fact_unit:
        factor = _CONVERSIONS.get((fact_unit, unit))
        if factor is None:
            return False
        value *= factor
    return abs(value - typed) <= _tolerance(text) or (
        abs(value) >= 1 and abs(typed - int(value)) < 1e-9 and "." not in text)


def _subjects_in(sentence: str, subjects: list[str]) -> list[str]:
    return sorted({s for s in subjects if s and s in sentence})


def _mask(text: str, subjects: list[str]) -> str:
    """Blank out identifiers whose digits are not measurements (models, configs, dates)."""
    masked = _DATE.sub(lambda m: "#" * len(m.group(0)), text)
    for subject in sorted(subjects, key=len, reverse=True):
        masked = masked.replace(subject, "#" * len(subject))
    return masked


def identifiers(facts: list[dict]) -> list[str]:
    """Names that carry digits but are not numbers: models, configs, benches, backends."""
    names: set[str] = set()
    for fact in facts:
        for part in (fact.get("subject") or "").split(" "):
            if part:
                names.add(part)
        if fact.get("text_value") and re.fullmatch(r"[\w.:-]+", fact["text_value"]):
            names.add(fact["text_value"])
    return sorted(names, key=len, reverse=True)


def check_section(section: str, text: str, facts: list[dict]) -> tuple[str, list[Claim]]:
    """Fill citations, verify typed numbers, mark the unverified ones; return text + claims."""
    by_id = {f["fact_id"]: f for f in facts}
    claims: list[Claim] = []

    displays: list[str] = []

    def cite(match: re.Match[str]) -> str:
        """Swap a citation for a digit-free placeholder, so it is not checked as typed."""
        fact = by_id.get(match.group(1))
        if fact is None:
            claims.append(Claim(section, text, match.group(0), float("nan"), None, None, False,
                                "cites a fact id that does not exist"))
            displays.append(f"{match.group(1)}{UNVERIFIED_MARK}")
        else:
            claims.append(Claim(section, fact["label"], match.group(0), fact.get("value") or 0.0,
                                fact.get("unit"), fact["fact_id"], True, "cited by id"))
            displays.append(fact["display"])
        return chr(_PLACEHOLDER + len(displays) - 1)

    filled = _CITATION.sub(cite, text)
    names = identifiers(facts)
    out, cursor = [], 0
    for sentence_match in _SENTENCE.finditer(filled):
        sentence = sentence_match.group(0)
        if not sentence.strip():
            continue
        masked = _mask(sentence, names)
        named = _subjects_in(sentence, [f["subject"] for f in facts if f.get("subject")])
        for number in _NUMBER.finditer(masked):
            raw = sentence[number.start(1):number.end(1)]
            unit = number.group(2) or number.group(3)
            unit = _UNIT_ALIASES.get(unit, unit)
            claim = _verify(section, sentence.strip(), raw, unit, facts, named)
            claims.append(claim)
            if not claim.verified:
                end = sentence_match.start() + number.end()
                out.append(filled[cursor:end] + UNVERIFIED_MARK)
                cursor = end
    out.append(filled[cursor:])
    rendered = "".join(out)
    for i, display in enumerate(displays):
        rendered = rendered.replace(chr(_PLACEHOLDER + i), display)
    return rendered, claims


def _verify(section: str, sentence: str, raw: str, unit: str | None, facts: list[dict],
            named: list[str]) -> Claim:
    typed = float(raw.replace(",", ""))
    candidates = [f for f in facts if _matches(typed, raw, unit, f)]
    if not candidates:
        return Claim(section, sentence, raw, typed, unit, None, False, "no fact has this value")
    if named:
        for fact in candidates:
            if any(n in (fact.get("subject") or "") or (fact.get("subject") or "") in n
                   for n in named):
                return Claim(section, sentence, raw, typed, unit, fact["fact_id"], True,
                             f"matches {fact['fact_id']} ({fact['label']})")
        other = candidates[0]
        return Claim(section, sentence, raw, typed, unit, None, False,
                     f"value belongs to {other.get('subject') or other['label']}, "
                     f"not {', '.join(named)}")
    fact = candidates[0]
    return Claim(section, sentence, raw, typed, unit, fact["fact_id"], True,
                 f"matches {fact['fact_id']} ({fact['label']})")
