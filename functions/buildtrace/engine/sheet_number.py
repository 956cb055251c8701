"""Sheet numbers: recognise the printed forms, repair OCR confusions, and make a matching key.

The forms we accept (US National CAD Standard and the common variants): ``A-101``, ``A101``,
``A1.01``, ``M-100``, ``S-201.1``, ``E0002``, ``G-001``, ``FP-2.1``, ``2-A-101``. In the
canonical form a number is: an optional set prefix of 1–2 digits and a dash, a discipline
designator of 1–3 letters, an optional separator, 1–4 digits, an optional ``.``/``-``
suffix of 1–3 digits, and an optional letter (``A-101A``).

OCR and hidden scan text confuse letters and digits (``Ml 01`` for M101, ``Ml 1 0`` for M110,
``M1O1``, ``S-2O1``). :func:`parse_sheet_number` reads a character as a letter in the
designator and as a digit in the number, counting every such repair, and returns the
reading with the fewest repairs. The printed form is kept for display; :attr:`key` drops
separators and case so that ``A-101``, ``A101`` and ``a 101`` pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters read as a digit where a digit is expected, and the repair's cost. A lowercase
# l or a | between letters and digits is a 1 in practice, so it costs less than a real
# letter-for-digit swap.
_AS_DIGIT = {
    "O": ("0", 0.6), "o": ("0", 0.8), "Q": ("0", 1.5), "D": ("0", 1.5), "Ø": ("0", 0.2),
    "ø": ("0", 0.2), "l": ("1", 0.5), "|": ("1", 0.5), "I": ("1", 0.6), "i": ("1", 1.0),
    "L": ("1", 1.5), "!": ("1", 1.0), "S": ("5", 1.5), "s": ("5", 1.5), "Z": ("2", 1.5),
    "B": ("8", 1.5),
}
# Characters read as a letter where a designator letter is expected.
_AS_LETTER = {"0": ("O", 1.5), "1": ("I", 1.5), "5": ("S", 1.5), "8": ("B", 1.5),
              "2": ("Z", 2.0), "|": ("I", 1.0), "l": ("L", 0.5)}
# Designator letters that OCR also makes of digits; after the first letter they cost a little,
# so that "MI O7" reads as M107 rather than a designator "MI".
_DIGIT_LIKE_LETTERS = {"I": 0.75, "O": 0.75, "L": 0.5}
#: Readings that need more repair than this are not sheet numbers.
MAX_REPAIR_COST = 2.4
_MAX_DIGITS = 4
_CANONICAL = re.compile(
    r"^(?:(?P<set>\d{1,2})-)?(?P<disc>[A-Z]{1,3})(?P<sep>[-. ]?)(?P<num>\d{1,4})"
    r"(?:(?P<subsep>[.-])(?P<sub>\d{1,3}))?(?P<suffix>[A-Z]?)$")


@dataclass(frozen=True)
class SheetNumber:
    """A recognised sheet number.

    ``printed``: the form to display (repairs applied, the printed separators kept, stray
    spaces removed). ``key``: what pairing compares (upper case, no separators).
    ``repairs``: the summed cost of the character repairs it took (0 for a clean read)."""

    printed: str
    key: str
    discipline: str
    repairs: float


def normalise_key(printed: str) -> str:
    """The matching key of a printed number: upper case without spaces, dashes or dots."""
    return re.sub(r"[\s\-._–—]", "", printed.upper())


def parse_sheet_number(text: str, *, allow_bare_number: bool = False) -> SheetNumber | None:
    """Read ``text`` as a sheet number, repairing letter/digit confusions; None if it is not one.

    ``allow_bare_number`` also accepts digits alone (``2``, ``0104``): only sensible for text
    found next to a "Drawing No" label, since bare numbers are everywhere on a sheet."""
    raw = text.strip().strip(":;,'\"()[]")
    if not raw or len(raw) > 16:
        return None
    compact = re.sub(r"\s+", " ", raw)
    if allow_bare_number:
        digits = compact.replace(" ", "")
        if re.fullmatch(r"\d{1,5}", digits):
            return SheetNumber(digits, digits, "", 0.0)
    best: SheetNumber | None = None
    # Try every split of the string into: optional "N-" set prefix, designator letters,
    # separator, digits, optional sub-number and suffix; repair characters to fit.
    chars = compact
    for set_len in (0, 1, 2):
        start = 0
        set_part = ""
        if set_len:
            if len(chars) <= set_len + 1 or chars[set_len] != "-":
                continue
            set_part = chars[:set_len]
            if not set_part.isdigit():
                continue
            start = set_len + 1
        for disc_len in (1, 2, 3):
            cand = _read(chars[start:], disc_len)
            if cand is None:
                continue
            printed, disc, cost = cand
            if set_part:
                printed = f"{set_part}-{printed}"
            if best is None or cost < best.repairs - 1e-9:
                best = SheetNumber(printed, normalise_key(printed), disc, cost)
    return best


def _read(s: str, disc_len: int) -> tuple[str, str, float] | None:
    """Read ``s`` as designator (``disc_len`` letters) + number; (printed, disc, cost)."""
    if len(s) < disc_len + 1:
        return None
    cost = 0.0
    disc = []
    # A separator right after the designator shows where the letters end.
    separated = len(s) > disc_len and s[disc_len] in "-."
    for pos, ch in enumerate(s[:disc_len]):
        if "A" <= ch <= "Z":
            disc.append(ch)
            if pos > 0 and not separated:
                cost += _DIGIT_LIKE_LETTERS.get(ch, 0.0)
        elif "a" <= ch <= "z" and ch != "l":
            disc.append(ch.upper())
            cost += 0.3
        elif ch in _AS_LETTER:
            letter, c = _AS_LETTER[ch]
            disc.append(letter)
            cost += c
        else:
            return None
    rest = s[disc_len:]
    sep = ""
    if rest and rest[0] in "-.":
        sep = rest[0]
        rest = rest[1:]
    rest = rest.lstrip(" ")
    # Number body: digits (with repairs), ignoring stray single spaces inside ("Ml 1 0").
    out = []
    genuine_digits = 0
    i = 0
    sub_sep = None
    suffix = ""
    after_space = False
    while i < len(rest):
        ch = rest[i]
        if ch == " ":
            after_space = True
            i += 1
            continue
        if ch.isdigit():
            out.append(ch)
            genuine_digits += 1
        elif ch in "-." and sub_sep is None and genuine_digits and i + 1 < len(rest):
            sub_sep = (ch, len(out))
        elif ch in _AS_DIGIT:
            d, c = _AS_DIGIT[ch]
            # A trailing capital letter is a suffix (A-101A), not a misread digit.
            if i == len(rest) - 1 and ch.isupper() and len(out) >= 2 and sub_sep is None:
                if after_space:
                    return None  # "M101 A": a revision letter in the next cell, not a suffix
                suffix = ch
            else:
                out.append(d)
                cost += c
        elif i == len(rest) - 1 and "A" <= ch <= "Z" and len(out) >= 2 and not after_space:
            suffix = ch
        else:
            return None
        after_space = False
        i += 1
    if not out or genuine_digits == 0:
        return None
    if sub_sep is not None:
        sep_ch, at = sub_sep
        main, sub = "".join(out[:at]), "".join(out[at:])
        if not sub or len(sub) > 3:
            return None
        body = f"{main}{sep_ch}{sub}"
    else:
        main = "".join(out)
        body = main
    if len(main) > _MAX_DIGITS:
        return None
    printed = f"{''.join(disc)}{sep}{body}{suffix}"
    if not _CANONICAL.match(printed):
        return None
    # Disciplines are short: a 3-letter designator is rarer than a repair, so prefer 1-2.
    cost += 0.25 * max(0, disc_len - 2)
    if cost > MAX_REPAIR_COST:
        return None
    return printed, "".join(disc), cost
