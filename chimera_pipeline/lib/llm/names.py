"""Names in a sentence: what the facts are about, found and masked as whole tokens.

A model, config, backend, test, file or GPU name often carries digits (``gemma3:270m``,
``g60_c1024_t0.4``, ``RTX 4090``, ``Technical_Report_109.md``) that are not measurements.
They are masked before any number is read, and only as whole tokens: a name is never blanked
inside a longer token, so "14090 tok/s" stays a number when a GPU called "RTX 4090" exists.

Two sources of names:

* **known names**, from the day's facts: every subject, the parts a subject is made of (the
  model and the config of ``gemma3:latest g60_c1024``, the benchmark and backend of
  ``conv_bench onnx``, the model and GPU of a tool series), every context (suite, benchmark,
  tool test) and the identifiers facts carry as text (config names, error texts). Subjects and
  their parts are *mentions*: what a sentence says a number is about;
* **identifier shapes** nobody listed: dates, times, stamps, versions, file names, and tokens
  that start with a letter and carry digits (``H100``, ``fp16``, ``Q4_K_M``). A token that
  starts with a digit is never masked by shape (``5x``, ``50k``, ``14090``): it is read as a
  quantity, or found unreadable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

FILLER = "\ue100"  # private use: no digit, no letter, never in model output
AMBIGUOUS = "ambiguous:"  # a short name several subjects share: a mention of none of them

# a tool series' subject: "model (settings) on hardware"
_TOOL_SUBJECT = re.compile(r"^(?P<model>.+?)(?: \((?P<settings>.*)\))?(?: on (?P<hw>.+))?$")
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_DATES = re.compile("|".join((
    r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?",
    r"\b[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}\b|\b[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4}\b",
    r"\b[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?:\s?[AaPp]\.?[Mm]\.?)?(?![0-9:])",
    rf"\b{_MONTH}\.?\s+[0-9]{{1,2}}(?:st|nd|rd|th)?(?:,?\s+[0-9]{{4}})?\b",
    rf"\b[0-9]{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\.?(?:,?\s+[0-9]{{4}})?\b",
    rf"\b{_MONTH}\s+[0-9]{{4}}\b",
    r"\b(?:19|20)[0-9]{6}(?:[-_T][0-9]{4,6})?\b",
)))
# a bare year after a word that introduces a time ("in 2025"), unless a unit follows
_YEAR = re.compile(r"\b(?:in|since|of|during|until|till|by|from|year|early|late|mid|"
                   r"through)\s+((?:19|20)[0-9]{2})\b(?![.,][0-9]|\s*(?:%|[a-zA-Z]+/s|x\b|×|"
                   r"ms\b|s\b|secs?\b|seconds?\b|min|tok|req|file|run|time|GB|MB|KB|bytes?\b))")
_DIGIT = re.compile(r"[0-9]")
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,40}>")
_WRAPPERS = "\"'“”‘’`([{<*_"
_TRAILERS = "\"'“”‘’`)]}>*_,;:!?."
_VERSION = re.compile(r"^[0-9]+(?:\.[0-9]+){2,}$")
_FILE = re.compile(r"^[\w./-]*\.(?:md|json|jsonl|csv|tsv|txt|log|ipynb|py|ya?ml|png|html?)$",
                   re.I)
# words a careless model glues to a number ("about99"): such a token is not a name
_GLUED_WORDS = {"at", "about", "around", "roughly", "approx", "approximately", "nearly",
                "almost", "only", "just", "over", "under", "by", "to", "of", "and", "or",
                "than", "from", "was", "were", "is", "are", "hit", "reached", "x", "with",
                "up", "down", "some", "ca", "circa", "exactly"}


@dataclass(frozen=True, slots=True)
class Mention:
    """A known name found in a sentence, at ``start:end``."""

    start: int
    end: int
    name: str  # as the facts spell it
    subject: bool  # names what a fact is about: a model, config, backend, GPU or file
    context: bool  # names a group compared within: a suite, a benchmark, a tool's test


def subject_parts(subject: str, prefixes: set[str]) -> tuple[str, ...]:
    """The names a subject is made of, itself first: a config-level subject is its model and
    config, a compile subject its benchmark and backend (``prefixes`` are the day's other
    subjects and contexts), a ratio ``A vs B`` its two sides, a tool series its model and GPU."""
    parts = [subject]
    if " vs " in subject:
        for side in subject.split(" vs ", 1):
            parts += subject_parts(side, prefixes)
        return tuple(dict.fromkeys(parts))
    tool = _TOOL_SUBJECT.match(subject)
    if tool and (tool["settings"] is not None or tool["hw"]):
        parts += [tool["model"]] + ([tool["hw"]] if tool["hw"] else [])
        words = (tool["hw"] or "").split()
        # a GPU is called by the end of its name: "RTX 4090" for "NVIDIA GeForce RTX 4090"
        parts += [" ".join(words[i:]) for i in range(1, len(words) - 1)]
    for i, char in enumerate(subject):
        if char == " " and subject[:i] in prefixes:
            parts += [subject[:i], subject[i + 1:]]
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))


class NameIndex:
    """The day's known names, and the masking of a sentence with them and by shape."""

    def __init__(self, facts: Iterable) -> None:
        facts = list(facts)
        contexts = {f.context for f in facts if f.context}
        subjects = {f.subject for f in facts if f.subject}
        prefixes = subjects | contexts
        self._parts: dict[str, tuple[str, ...]] = {
            s: subject_parts(s, prefixes) for s in subjects}
        subject_names = {p for parts in self._parts.values() for p in parts}
        texts = {f.text_value for f in facts if f.text_value and len(f.text_value) <= 200}
        self.kinds: dict[str, tuple[bool, bool]] = {}
        for name in subject_names | contexts | texts:
            key = name.lower()
            subject, context = self.kinds.get(key, (False, False))
            self.kinds[key] = (subject or name in subject_names, context or name in contexts)
        self.spelled = {name.lower(): name for name in sorted(subject_names | contexts | texts)}
        # a short name a model is called by ("q4_0" of llama3.1:8b-instruct-q4_0): a mention
        # of the one subject part that has it, or of none when several do
        owners: dict[str, set[str]] = {}
        for name in subject_names:
            if "/" in name and " " not in name:  # a file: called by its base name
                owners.setdefault(name.rsplit("/", 1)[1].lower(), set()).add(name)
            for piece in re.split(r"[:/\s-]+", name):
                if len(piece) >= 3 and re.search(r"[A-Za-z]", piece) and _DIGIT.search(piece):
                    owners.setdefault(piece.lower(), set()).add(name)
        self.fragments = {piece: (min(names) if len(names) == 1 else AMBIGUOUS + piece)
                          for piece, names in owners.items() if piece not in self.spelled}

    def parts(self, subject: str | None) -> tuple[str, ...]:
        """``subject`` and the names it is made of (lower-cased for comparison)."""
        if not subject:
            return ()
        return tuple(p.lower() for p in self._parts.get(subject) or (subject,))

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        names = sorted({*self.spelled, *self.fragments}, key=len, reverse=True)
        if not names:
            return None
        body = "|".join(re.escape(n) for n in names)
        # whole tokens: not inside a word, a number, a path or a longer name ("name:" and
        # "name-based" are the name)
        return re.compile(rf"(?<![\w./:@-])(?:{body})(?![\w/@]|[.,:]\w)", re.I)

    def mentions(self, text: str) -> list[Mention]:
        """Every known name in ``text``, longest first where names overlap."""
        if self._pattern is None:
            return []
        found = []
        for match in self._pattern.finditer(text):
            key = match.group(0).lower()
            if key not in self.spelled:
                owner = self.fragments[key]
                found.append(Mention(match.start(), match.end(), owner, True, False))
                continue
            subject, context = self.kinds.get(key, (False, False))
            found.append(Mention(match.start(), match.end(), self.spelled[key], subject, context))
        return found

    def mask(self, text: str) -> tuple[str, str, list[Mention]]:
        """``(named, masked, mentions)``, each keeping every character's position: ``named``
        blanks the subjects and contexts (the words left say what the sentence says of
        them), ``masked`` every known name and identifier shape (the digits left are
        quantities)."""
        found = self.mentions(text)
        named, masked = list(text), list(text)
        for mention in found:
            _blank(masked, mention.start, mention.end)
            if mention.subject or mention.context:
                _blank(named, mention.start, mention.end)
        return "".join(named), mask_shapes("".join(masked)), found


def _blank(chars: list[str], start: int, end: int) -> None:
    chars[start:end] = FILLER * (end - start)


def mask_shapes(text: str) -> str:
    """Blank dates, times, stamps, versions, file names and letter-first tokens with digits;
    leave every token that starts with a digit to the quantity reader."""
    text = _TAG.sub(lambda m: " " * len(m.group(0)), text)  # <b>303.9</b> reads 303.9
    chars = list(text)
    for match in _DATES.finditer(text):
        _blank(chars, match.start(), match.end())
    for match in _YEAR.finditer(text):
        _blank(chars, match.start(1), match.end(1))
    for token in re.finditer(r"\S+", "".join(chars)):
        raw = token.group(0)
        core = raw.lstrip(_WRAPPERS)
        start = token.start() + len(raw) - len(core)
        core = core.rstrip(_TRAILERS)
        if not _DIGIT.search(core):
            continue
        end = start + len(core)
        if _VERSION.match(core) or _FILE.match(core):
            _blank(chars, start, end)
        elif "=" in core and core[0].isalpha():  # key=value: the key is a name, the value
            _blank(chars, start, start + core.index("=") + 1)  # is read
        elif core[0].isalpha() or (core[0] in "/." and re.search(r"[A-Za-z]", core)):
            lead = re.match(r"[^\W\d_]+", core)
            word = lead.group(0) if lead else ""
            if word.lower() in _GLUED_WORDS and core[len(word)].isdigit():
                continue  # "about99": a number glued to a word, not a name
            _blank(chars, start, end)
    return "".join(chars)
