"""Sheet titles read by OCR, as printed: words an OCR split joined, letters it confused
restored, where a vocabulary of drawing-title words says so.

A scan's text layer (or our OCR) reads lettered title blocks badly in two ways: it splits a
word at a narrow letter spaced as wide as any ("DI AGRAM", "BUI LOI NG": 0.0-0.4 of a
letter's height between the pieces, where real spaces are 0.4-0.9) and confuses letters
("PR!MARY", "BUILOING"). A title is what a reader sees first in the sheet list, so it is
tidied, but only into words of :data:`TITLE_WORDS`: a title word the vocabulary does not
know is left as read.
"""

from __future__ import annotations

import re
from typing import Sequence

#: Words of drawing titles (construction and plant drawings), upper case.
TITLE_WORDS = frozenset("""
ABBREVIATIONS ACCESSIBILITY ACOUSTICAL ARCHITECTURAL ARRANGEMENT ASSEMBLIES ASSEMBLY
BASEMENT BATHROOM BUILDING BUILDINGS CABINETS CASEWORK CEILING CEILINGS CIRCULATION
CIVIL COLUMN COLUMNS COMMUNICATIONS CONCRETE CONDENSATE CONDITIONING CONSTRUCTION
CONTROL CONTROLS COOLANT COOLING CORRIDOR COVER DEMOLITION DETAIL DETAILS DIAGRAM
DIAGRAMS DISTRIBUTION DOMESTIC DRAINAGE DUCTWORK ELECTRICAL ELEVATION ELEVATIONS
ELEVATOR ELEVATORS EMERGENCY ENLARGED ENTRANCE EQUIPMENT EROSION EXHAUST EXISTING
EXTERIOR FEEDWATER FINISH FINISHES FIRST FLOOR FLOORS FOUNDATION FOUNDATIONS FOURTH
FRAMING GARAGE GENERAL GRADING GROUND HEATING INTERIOR INTERMEDIATE ISOMETRIC KITCHEN
LANDSCAPE LANDSCAPING LEGEND LEGENDS LIGHTING LOADING LOCATION MASONRY MECHANICAL
MEZZANINE OPERATING OVERALL PARKING PARTIAL PARTITION PARTITIONS PAVING PENTHOUSE
PIPING PLUMBING PREPROCESSING PRIMARY PROCESS PROPOSED PROTECTION REACTOR REFLECTED
REINFORCING REMOVAL RESTROOM RESTROOMS SANITARY SCHEDULE SCHEDULES SECOND SECONDARY
SECTION SECTIONS SECURITY SIGNAGE SPECIFICATIONS SPRINKLER STAIRS STRUCTURAL SUPPLY
SYMBOLS SYSTEM SYSTEMS TECHNOLOGY TELECOMMUNICATIONS THIRD TOILET TURBINE TYPICAL
UTILITIES UTILITY VENTILATION WALLS WINDOW WINDOWS
""".split())

#: Letters an OCR reads for another in lettered titles: (read, printed).
CONFUSIONS = frozenset([("!", "I"), ("|", "I"), ("1", "I"), ("L", "I"), ("I", "L"),
                        ("0", "O"), ("O", "D"), ("D", "O"), ("Q", "O"), ("O", "Q"),
                        ("5", "S"), ("8", "B"), ("B", "8"), ("C", "G"), ("G", "C"),
                        ("E", "F"), ("F", "E"), ("U", "V"), ("V", "U"), ("N", "H"),
                        ("H", "N")])
#: Pieces of a word closer than this (share of the letters' height) may be joined; real
#: spaces between the words of a lettered title are wider.
SPLIT_GAP = 0.45
#: Words shorter than this are never corrected (too many near neighbours).
MIN_CORRECTED = 5


def as_title_word(text: str) -> str | None:
    """``text`` as a word of :data:`TITLE_WORDS`: itself, or the one word it differs from in
    a single confused letter (:data:`CONFUSIONS`); None if neither."""
    t = text.upper()
    if t in TITLE_WORDS:
        return t
    if len(t) < MIN_CORRECTED:
        return None
    found = {w for w in _same_length(len(t))
             if sum(a != b for a, b in zip(t, w)) == 1
             and all(a == b or (a, b) in CONFUSIONS for a, b in zip(t, w))}
    return found.pop() if len(found) == 1 else None


def _same_length(n: int) -> list[str]:
    return [w for w in TITLE_WORDS if len(w) == n]


def tidy_title(words: Sequence[tuple[str, float]]) -> str:
    """A title line from its words as read, each with the gap after it (share of the
    letters' height; the last one's is ignored): runs of up to three pieces closer than
    :data:`SPLIT_GAP` are joined where they make a title word none of them is, and a word
    one confused letter from a title word is that word. Other words stay as read."""
    texts = [t for t, _gap in words]
    gaps = [g for _t, g in words]
    out: list[str] = []
    i = 0
    while i < len(texts):
        for n in (3, 2):
            run = texts[i:i + n]
            if len(run) < n or any(g >= SPLIT_GAP for g in gaps[i:i + n - 1]):
                continue
            if any(t.upper() in TITLE_WORDS for t in run):
                continue
            joined = as_title_word("".join(run))
            if joined is not None and _alphabetic(run):
                out.append(_case_like(run[0], joined))
                i += n
                break
        else:
            word = texts[i]
            fixed = as_title_word(word) if _alphabetic([word]) else None
            out.append(word if fixed is None else _case_like(word, fixed))
            i += 1
    return " ".join(out)


def _alphabetic(pieces: Sequence[str]) -> bool:
    """Letters (or letters an OCR confused) only: "EL", "0'-0"" and "A-A" are not pieces."""
    return all(re.fullmatch(r"[A-Za-z0-9!|]+", p) and re.search(r"[A-Za-z]", p)
               for p in pieces)


def _case_like(read: str, word: str) -> str:
    return word if not read[:1].islower() else word.lower()
