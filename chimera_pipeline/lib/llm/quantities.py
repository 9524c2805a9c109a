"""The claim reader: every quantity a reader of the sentence reads, with what it counts.

It reads a sentence whose names are already masked (``names.py``), so every digit left is
part of a quantity or is reported unreadable; nothing with a digit is skipped. Forms read:

* numbers with a unit or none: ``102.2 tok/s``, ``17162.6 ms``, ``2,280,000 files``,
  ``22,80,000``, ``1e4``, ``**99.9**tok/s``; a signed change ``+2.1%``, ``−5 %``;
* magnitudes: ``50k``, ``1.2M``, ``3B tokens``, ``2 million``, ``71 KB``;
* ranges: ``12-15%``, ``12 to 15 %``, ``between 12 and 15`` (each end is a quantity, with the
  unit written after the second);
* percentage points (``3 pp``, ``3 percentage points``);
* multiplicative and fractional quantities: ``5 times``, ``5x``, ``x5``, ``3-fold``, ``twice``,
  ``double``, ``half``, ``a third``, ``a quarter``;
* number words: ``five``, ``twenty-five``, ``a dozen``; vague amounts (``thousands of``);
* parts of a whole: ``5 of the 25 requests``, ``5/25 requests``, ``5 out of 25``;
* citations ``{F12}``, already swapped for a placeholder character by the checker.

What a quantity counts comes from the words after it (``requests``, ``files``, ``configs``);
what it says happened (failed, rose, fastest) is the checker's to read from its clause.
Written precision: a number is read to half its last written digit (``76`` is 75.5-76.5,
``50k`` is 49,500-50,500), a word multiple to the unit, a word fraction to a tenth of itself.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field, replace

from chimera_pipeline.lib.llm import wording

CITATION_BASE = 0xE000  # citation i is chr(CITATION_BASE + i); the checker knows the facts

# a sign only where it cannot be a range's dash ("12-15%"): after a space, a bracket or the start
_SIGN = r"(?:(?<![\w.,%])(?P<sign>[+\-−–‑±~≈])\s?)?"
_DIGITS = r"(?P<digits>[0-9]+(?:[,_][0-9]+)*(?:\.[0-9]+)?|\.[0-9]+)"
_EXP = r"(?:[eE](?P<exp>[+-]?[0-9]+))?"
_NUMBER = re.compile(rf"{_SIGN}(?<![\w.,])\$?{_DIGITS}{_EXP}")
_X_FIRST = re.compile(r"(?<![\w.])[x×](?P<digits>[0-9]+(?:\.[0-9]+)?)\b")
_GROUPED = re.compile(r"^[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?$|^[1-9]\d?(?:,\d{2})*,\d{3}(?:\.\d+)?$")
_UNITS = [(re.compile(rf"(?:{pattern})(?![\w/])", re.I if "i?B" not in pattern else 0),
           unit, factor) for pattern, unit, factor in wording.UNIT_PATTERNS]
_ORDINAL = re.compile(r"(?:st|nd|rd|th)\b")
_WORD = re.compile(r"[A-Za-z]+")
_RANGE_JOIN = re.compile(r"\s*(?:-|–|—|to|and)\s*", re.I)
_PART_OF = re.compile(r"\s*(?:of|out\s+of)\s+(?:the|its|their|all|these|those|a\s+total\s+of)?"
                      r"\s*$|\s*/\s*$", re.I)
_NUMBER_WORD = re.compile(
    r"\b(?:(?P<tens>" + "|".join(wording.TENS) + r")(?:[-\s](?P<unit>one|two|three|four|five|"
    r"six|seven|eight|nine))?|(?P<small>a\s+dozen|" + "|".join(
        w for w in wording.SMALL_NUMBERS if w != "a dozen") + r"))"
    r"(?:\s+(?P<scale>hundred|thousand|million|billion))?\b|\ba\s+(?P<alone>hundred|thousand)\b"
    r"|\b(?P<single>single)(?=\s+(?:\w+\s+)?(?:requests?|files?|runs?|configs?|models?)\b)",
    re.I)
_VAGUE = re.compile(r"\b(?P<word>" + "|".join(wording.VAGUE) + r")\b(?=\s+of\b)", re.I)
_MULTIPLIERS = [(re.compile(rf"\b(?:{pattern})\b", re.I), value, kind)
                for pattern, value, kind in wording.MULTIPLIERS]


@dataclass(frozen=True, slots=True, kw_only=True)
class Quantity:
    """One quantity typed in a sentence."""

    start: int
    end: int
    text: str  # as written
    value: float  # in ``unit``'s canonical unit (ms are stored as s)
    tolerance: float  # the written precision, in the same unit
    unit: str | None  # tok/s, req/s, s, %, pp, x, bytes, fraction, or None
    noun: str | None = None  # what a count counts (request, file, config...)
    form: str = "number"  # number, range, word, multiplier, vague, ordinal, citation,
    #                       unreadable
    sign: int = 0  # +1 / -1 when written with a sign
    factor: float = 1.0  # what the written digits were multiplied by (ms -> s: 0.001)
    binary: float | None = None  # for KB/MB/GB: the binary reading's factor, also accepted
    whole_of: int | None = None  # this is the whole of the part at that index
    part_of: int | None = None  # this is a part of the whole at that index
    citation: int | None = None  # the citation's index
    reason: str | None = None  # why an unreadable quantity cannot be read
    stat: str | None = field(default=None)  # "std" for a ± spread
    bound: bool = False  # "more than", "at least"...: a bound, not a value
    all_of: bool = False  # "all 20": the whole
    from_before: bool = False  # "from" stands right before it (a change's earlier value)


def _tolerance(digits: str, scale: float) -> float:
    decimals = len(digits.split(".", 1)[1]) if "." in digits else 0
    return 0.5 * 10 ** (-decimals) * scale + 1e-12 * max(scale, 1.0)


def _parse_digits(digits: str) -> float | None:
    """The value of a digit string, or None when its separators cannot be read safely: a
    decimal comma (``1,5``) or irregular grouping is not guessed at."""
    if "_" in digits:
        return None
    if "," in digits:
        if not _GROUPED.match(digits):
            return None
        digits = digits.replace(",", "")
    try:
        return float(digits)
    except ValueError:
        return None


def _unit_after(text: str, pos: int) -> tuple[str | None, float, float | None, int]:
    """The unit written at ``pos`` (after optional space): (unit, factor, binary factor,
    end), or (None, 1, None, pos)."""
    space = re.match(r"[\s\u00a0\u202f*]*", text[pos:]).end()
    for pattern, unit, factor in _UNITS:
        match = pattern.match(text, pos + space)
        if match and (space or not match.group(0)[0].isspace()):
            binary = wording.BINARY_BYTES.get(factor) if unit == "bytes" else None
            if unit == "bytes" and "i" in match.group(0):
                factor, binary = binary or factor, None
            return unit, factor, binary, match.end()
    return None, 1.0, None, pos


def _noun_after(text: str, pos: int) -> tuple[str | None, int]:
    """The counted noun within three words after ``pos`` (``5 failed LLM requests``, a
    suite's name between them too), stopping at a clause break or a number. A word there
    that names no countable thing ("36 W", "206 pages") is an unknown noun: it counts
    something no fact counts."""
    cursor, first = pos, None
    for _ in range(4):
        match = re.match(r"[\s\u00a0*]*([A-Za-z][A-Za-z'-]*|\ue100+)", text[cursor:])
        if not match:
            break
        word = match.group(1).lower().removesuffix("'s")
        cursor += match.end()
        if word in wording.COUNT_NOUNS:
            return wording.COUNT_NOUNS[word], cursor
        if word in wording.NOUN_STOPS:
            break
        first = first or word
    if first and not first.startswith("\ue100"):
        return f"unknown:{first}", pos
    return None, pos


def _magnitude(text: str, pos: int) -> tuple[float, str, int]:
    """A suffix glued to the number (50k, 1.2M, 3B) or a scale word after it."""
    match = re.match(r"(k|K|M|B|bn)(?![A-Za-z])", text[pos:])
    if match:
        return wording.SUFFIXES[match.group(1)], match.group(1), pos + match.end()
    match = re.match(r"\s+(thousand|million|billion|trillion)\b", text[pos:], re.I)
    if match:
        return wording.SCALE_WORDS[match.group(1).lower()], match.group(1), pos + match.end()
    return 1.0, "", pos


def _read_number(masked: str, match: re.Match[str]) -> Quantity:
    digits, start = match.group("digits"), match.start()
    sign_text = match.group("sign") or ""
    value = _parse_digits(digits)
    pos = match.end()
    if value is None:
        end = re.match(r"[\w.,]*", masked[pos:]).end() + pos
        return Quantity(start=start, end=end, text=masked[start:end].strip(), value=float("nan"),
                        tolerance=0.0, unit=None, form="unreadable",
                        reason="a number with separators that cannot be read safely "
                        "(a decimal comma or irregular grouping)")
    exp = match.group("exp")
    scale = 10.0 ** int(exp) if exp else 1.0
    magnitude, _, pos = _magnitude(masked, pos)
    scale *= magnitude
    if _ORDINAL.match(masked, pos):
        end = _ORDINAL.match(masked, pos).end()
        return Quantity(start=start, end=end, text=masked[start:end], value=value,
                        tolerance=0.5, unit=None, form="ordinal")
    unit, factor, binary, unit_end = _unit_after(masked, pos)
    noun = None
    if unit is None:
        noun, noun_end = _noun_after(masked, pos)
        end = pos
    else:
        end = unit_end
    glued = re.match(r"[A-Za-z]", masked[end:end + 1]) and not masked[end - 1:end].isspace()
    if glued and unit is None and (noun is None or noun.startswith("unknown:")):
        tail = re.match(r"[\w/]*", masked[end:]).end() + end
        return Quantity(start=start, end=tail, text=masked[start:tail], value=value,
                        tolerance=0.0, unit=None, form="unreadable",
                        reason="a number glued to letters that are not a unit")
    sign = {"+": 1, "-": -1, "−": -1, "–": -1, "‑": -1}.get(sign_text, 0)
    return Quantity(start=start, end=end, text=masked[start:end].strip(" *"),
                    value=sign * value * scale * factor if sign else value * scale * factor,
                    tolerance=_tolerance(digits, scale * factor), unit=unit, noun=noun,
                    sign=sign, factor=scale * factor, binary=binary,
                    stat="std" if sign_text == "±" else None)


def _link_ranges_and_parts(masked: str, found: list[Quantity]) -> list[Quantity]:
    """Give the first end of a range the unit written after the second; mark ``X of the Y``
    parts and wholes (the part counts what the whole counts)."""
    out = list(found)
    for i in range(len(out) - 1):
        first, second = out[i], out[i + 1]
        if first.form not in ("number", "word") or second.form not in ("number", "word"):
            continue
        between = masked[first.end:second.start]
        before = masked[max(0, first.start - 8):first.start].lower()
        if first.unit is None and first.noun is None and _RANGE_JOIN.fullmatch(between) and (
                "and" not in between.lower() or before.rstrip().endswith("between")):
            out[i] = replace(first, unit=second.unit, noun=second.noun, form="range",
                             value=first.value * second.factor, factor=second.factor,
                             tolerance=first.tolerance * second.factor, binary=second.binary)
            out[i + 1] = replace(second, form="range")
            continue
        if second.stat == "std" and first.unit is None and not between.strip():
            out[i] = replace(first, unit=second.unit, value=first.value * second.factor,
                             factor=second.factor, tolerance=first.tolerance * second.factor)
            continue
        if _PART_OF.search(between) and (second.noun or second.unit is None) and (
                first.unit is None or first.unit == second.unit):
            out[i] = replace(first, noun=first.noun or second.noun, part_of=i + 1)
            out[i + 1] = replace(second, whole_of=i)
    return out


def _words(masked: str, taken: list[tuple[int, int]]) -> list[Quantity]:
    """Number words, multiplicative and fractional words, vague amounts."""
    found: list[Quantity] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken) and all(
            end <= q.start or start >= q.end for q in found)

    for pattern, value, kind in _MULTIPLIERS:
        for match in pattern.finditer(masked):
            if free(match.start(), match.end()):
                found.append(Quantity(start=match.start(), end=match.end(), text=match.group(0),
                                      value=value, unit="x" if kind == "x" else "fraction",
                                      tolerance=0.5 if kind == "x"
                                      else value * wording.FRACTION_TOLERANCE,
                                      form="multiplier"))
    idioms = [m.span() for m in wording.ONE_IDIOMS.finditer(masked)]
    for match in _NUMBER_WORD.finditer(masked):
        if not free(match.start(), match.end()):
            continue
        if match.group("small") and match.group("small").lower() == "one" and any(
                a <= match.start() < b for a, b in idioms):
            continue
        if match.group("alone") or match.group("single"):
            base, scale = 1.0, {"hundred": 100.0, "thousand": 1e3}.get(
                (match.group("alone") or "").lower(), 1.0)
        else:
            base = (wording.TENS[match.group("tens").lower()] + (
                wording.SMALL_NUMBERS[match.group("unit").lower()] if match.group("unit")
                else 0) if match.group("tens") else wording.SMALL_NUMBERS[
                    " ".join(match.group("small").lower().split())])
            scale = {"hundred": 100.0, "thousand": 1e3, "million": 1e6, "billion": 1e9}.get(
                (match.group("scale") or "").lower(), 1.0)
        pos = match.end()
        unit, factor, binary, unit_end = _unit_after(masked, pos)
        noun = None
        end = unit_end if unit else pos
        if unit is None:
            noun, _ = _noun_after(masked, pos)
        found.append(Quantity(start=match.start(), end=end, text=masked[match.start():end],
                              value=base * scale * factor, tolerance=0.5 * scale * factor,
                              unit=unit, noun=noun, form="word", binary=binary))
    for match in _VAGUE.finditer(masked):
        if free(match.start(), match.end()):
            found.append(Quantity(start=match.start(), end=match.end(), text=match.group(0),
                                  value=wording.VAGUE[match.group("word").lower()],
                                  tolerance=0.0, unit=None, form="vague",
                                  reason="a vague amount (hundreds, thousands...) that no "
                                  "fact can back"))
    return found


def _stray_digits(text: str, taken: list[tuple[int, int]]) -> list[Quantity]:
    """Digits no reader took: an ASCII digit in a form not read, or any other script's
    digit or numeral (١٠٢, ８８, ²). Each is unreadable, so its sentence is left out."""
    stray = []
    for i, char in enumerate(text):
        numeric = char.isdigit() or unicodedata.category(char) in ("Nd", "No", "Nl")
        joined = (char in ".," and stray and stray[-1].end == i and i + 1 < len(text)
                  and text[i + 1].isdigit())
        if (numeric or joined) and not any(a <= i < b for a, b in taken):
            if stray and stray[-1].end == i:
                last = stray[-1]
                stray[-1] = replace(last, end=i + 1, text=last.text + char)
                continue
            ascii_digit = "0" <= char <= "9"
            stray.append(Quantity(
                start=i, end=i + 1, text=char, value=float("nan"), tolerance=0.0, unit=None,
                form="unreadable", reason="digits in a form the checker cannot read"
                if ascii_digit else "a digit or numeral outside ASCII, which is not read"))
    return stray


_ORDINAL_WORD = re.compile(r"\b(?:second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)"
                           r"[-\s]+(?:fastest|slowest|best|worst|largest|highest|lowest|"
                           r"smallest|place)\b", re.I)


def _ordinal_words(masked: str, taken: list[tuple[int, int]]) -> list[Quantity]:
    """"the third-fastest": a rank in words, read as one (ranks are never verified)."""
    return [Quantity(start=m.start(), end=m.end(), text=m.group(0), value=math.nan,
                     tolerance=0.0, unit=None, form="ordinal")
            for m in _ORDINAL_WORD.finditer(masked)
            if all(m.end() <= a or m.start() >= b for a, b in taken)]


def read_quantities(masked: str) -> list[Quantity]:
    """Every quantity in a masked sentence, in order. Citation placeholders are quantities
    too (``citation`` holds their index)."""
    found: list[Quantity] = []
    for match in _NUMBER.finditer(masked):
        if found and match.start() < found[-1].end:
            continue
        found.append(_read_number(masked, match))
    for match in _X_FIRST.finditer(masked):
        if all(match.end() <= q.start or match.start() >= q.end for q in found):
            digits = match.group("digits")
            found.append(Quantity(start=match.start(), end=match.end(), text=match.group(0),
                                  value=float(digits), tolerance=_tolerance(digits, 1.0),
                                  unit="x"))
    for i, char in enumerate(masked):
        if CITATION_BASE <= ord(char) < CITATION_BASE + 0x100:
            found.append(Quantity(start=i, end=i + 1, text=char, value=float("nan"),
                                  tolerance=0.0, unit=None, form="citation",
                                  citation=ord(char) - CITATION_BASE))
    found += _words(masked, [(q.start, q.end) for q in found])
    found += _stray_digits(masked, [(q.start, q.end) for q in found])
    found.sort(key=lambda q: q.start)
    found = [replace(q, from_before=bool(re.search(r"\bfrom\s+(?:\S+\s+)?$",
                                                   masked[max(0, q.start - 14):q.start], re.I)),
                     bound=bool(wording.BOUND.search(masked[max(0, q.start - 24):q.start])),
                     all_of=bool(re.search(r"\ball\s+(?:of\s+)?(?:the\s+|its\s+|their\s+)?$",
                                           masked[max(0, q.start - 16):q.start], re.I)))
             for q in found]
    found += _ordinal_words(masked, [(q.start, q.end) for q in found])
    found.sort(key=lambda q: q.start)
    return _link_ranges_and_parts(masked, found)
