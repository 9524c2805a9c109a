"""A finding: one sentence about the day, every number in it a citation of a fact.

A finding's text is a template in which each number is a placeholder for the fact it comes
from: ``{F12}`` stands for the fact's display (``102.2 tok/s``), ``{F12:n}`` for its bare
number (``25`` of ``25 requests``). The report renders a placeholder as the value linked to
the fact in its appendix, the LLM prompt as the plain value; no fact id ever reaches a reader.
A recommendation is a finding's consequence, written the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from chimera_pipeline.lib.facts.model import format_number

PLACEHOLDER = re.compile(r"\{(F\d+)(?::(n))?\}")


@dataclass(frozen=True)
class Finding:
    kind: str
    score: float  # higher is more important; findings are listed by score
    template: str
    subjects: tuple[str, ...] = ()
    recommendation: str | None = None


@dataclass
class Findings:
    """The day's findings in order, the recommendations they lead to, and the summary."""

    findings: list[Finding] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)


def cited(template: str) -> list[str]:
    """The fact ids a template cites, in order, once each."""
    return list(dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(template)))


def render(template: str, facts: Mapping[str, Mapping],
           link: Callable[[str, str], str] | None = None) -> str:
    """Fill a template from the facts (by id); ``link(text, fact_id)`` wraps each value."""
    def fill(match: re.Match[str]) -> str:
        fact = facts[match.group(1)]
        if match.group(2) == "n" and fact.get("value") is not None:
            text = format_number(fact["value"], fact.get("unit"))
        else:
            text = fact["display"]
        return link(text, match.group(1)) if link else text
    return PLACEHOLDER.sub(fill, template)
