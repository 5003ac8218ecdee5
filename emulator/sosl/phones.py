"""Phone numbers in a search: matched by their digits, with or without the country code.

What Salesforce documents: phone fields keep whatever a user or client wrote ("Salesforce
preserves whichever phone number format you enter", Help article 000385963: ``+1 415 555 0100``,
``(415) 555-0100`` and ``4155550100`` are all stored as written); ``IN PHONE FIELDS`` "searches
only phone number fields" and ``IN ALL FIELDS`` every searchable field (SOSL "IN SearchGroup");
the index splits text at spaces and punctuation (SOSL "FIND {SearchQuery}"). How the index
normalises a phone number is not documented. The rule below is the emulator's, chosen so that a
caller-id lookup finds the caller however either side wrote the number [U: Salesforce's exact
index rules]:

1. A number's *digits* are the digits before its first letter (``x12`` / ``ext. 12`` extensions
   are dropped).
2. Its *national forms* are its digits without any prefix that is not part of the national
   number:

   - written internationally (a leading ``+`` or ``00``): without the country code, and without
     a ``(0)``, the trunk prefix some write after the code (``+44 (0)20 7946 0958``). E.164
     country codes are a prefix code (no code begins another), so the code is read off the
     digits exactly: 1 and 7 are one digit, the 44 two-digit codes in ``_TWO_DIGIT_CODES`` are
     two, every other is three (``+1 415 555 0132`` → ``4155550132``, ``+44 20 7946 0958`` →
     ``2079460958``);
   - written nationally: its digits, and without a trunk prefix ``0`` (``020 7946 0958`` →
     ``2079460958``) or, for eleven digits starting with ``1``, without that ``1`` (a North
     American number with its country code but no ``+``: ``1 415 555 0132`` → ``4155550132``).
3. Two numbers written internationally match when their digits are equal; otherwise when they
   share a national form. With a trailing ``*`` the search number is a prefix: of the stored
   digits (both international), or of a national form.

So ``+1 (415) 555-0132``, ``415.555.0132``, ``4155550132`` and ``1 415 555 0132`` all find a
phone stored as ``+1 415 555 0132`` or as ``(415) 555-0132``, and ``+44 20 7946 0958`` finds
``020 7946 0958`` — but a number does not match another that merely ends with it
(``5550132`` does not find ``+1 415 555 0132``), nor one of another country
(``+44 415 555 0132`` does not find it either). Phone fields are also searched by token, as
all text is, so ``FIND {0132}`` finds it by its last group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The two-digit E.164 country codes (zones 2–9); 1 and 7 are the one-digit ones.
_TWO_DIGIT_CODES = frozenset(
    {20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54}
    | {55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98}
)
_BEFORE_LETTERS = re.compile(r"[^A-Za-z]*")
_NON_DIGITS = re.compile(r"\D")


def _country_code_length(digits: str) -> int:
    if digits[:1] in ("1", "7"):
        return 1
    return 2 if len(digits) > 1 and int(digits[:2]) in _TWO_DIGIT_CODES else 3


@dataclass(frozen=True, slots=True)
class Number:
    """A written phone number: its international digits (when written with ``+`` or ``00``)
    and its national forms (rules 1 and 2 above)."""

    international: str | None
    national: frozenset[str]


def read(written: str) -> Number:
    """The digits a written phone number is known by."""
    head = _BEFORE_LETTERS.match(written)
    text = (head.group() if head else "").strip()
    if text.startswith(("+", "00")):
        text = text.replace("(0)", "")
    digits = _NON_DIGITS.sub("", text)
    if not digits:
        return Number(None, frozenset())
    if text.startswith("+") or digits.startswith("00"):
        international = digits if text.startswith("+") else digits[2:]
        national = international[_country_code_length(international) :]
        return Number(international, frozenset({national} - {""}))
    if digits.startswith("0"):
        return Number(None, frozenset({digits, digits[1:]} - {""}))
    if len(digits) == 11 and digits.startswith("1"):
        return Number(None, frozenset({digits, digits[1:]}))
    return Number(None, frozenset({digits}))


def matches(searched: str, stored: str) -> bool:
    """Whether the search number ``searched`` (as written, maybe ending in ``*``) finds the
    stored phone value ``stored`` (rule 3 above)."""
    prefix = searched.rstrip().endswith("*")
    wanted, have = read(searched.rstrip().rstrip("*")), read(stored)
    if wanted.international and have.international:
        if prefix:
            return have.international.startswith(wanted.international)
        return have.international == wanted.international
    if prefix:
        return any(form.startswith(w) for form in have.national for w in wanted.national)
    return not wanted.national.isdisjoint(have.national)
