"""A caller's number, however it was written or said, and whether a stored phone is the same.

:func:`caller_number` reads the number find_caller looks up: written ("+1 (415) 555-0132",
"415.555.0132", "00 44 20 7946 0958") or spoken, as a speech-to-text transcript gives it ("four
one five five five five zero one three two", "oh" for zero, "double five", "triple seven",
"plus four four", "one eight hundred …"). Digits and words may be mixed, and words before the first
digit ("my number is …") are passed over; an extension ("ext. 12", "extension twelve") is dropped,
since a caller id never has one. A number without a country code is read in ``region``
(``CALLFORCE_PHONE_REGION``) by Google's libphonenumber rules (:mod:`phonenumbers`), and the answer
is always E.164 ("+14155550132"). What is not a whole number (letters other than the spoken digits,
a local number without its area code, too many or too few digits) is refused with what to give
instead.

:func:`same_number` says how a phone stored in Salesforce (written any way a user wrote it)
relates to that E.164 number: ``"exact"`` when it is the same number written with its country
code, ``"national"`` when it is written without one but reads as the same number in ``region``,
else ``None``.

phonenumbers (about 40 ms to import) is imported on first use, so a server that never looks a
caller up never pays for it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from server.errors import InvalidArguments

if TYPE_CHECKING:
    import phonenumbers

#: Spoken digits, as speech-to-text writes them.
_WORD_DIGITS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "nought": "0",
    "naught": "0",
    "nil": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_REPEATS = {"double": 2, "triple": 3}
_HUNDREDS = {"hundred": "00", "thousand": "000"}
_EXTENSION = frozenset({"ext", "extension", "x"})
#: Words a transcript puts around a number ("my number is …") that say nothing about it.
_FILLER = frozenset({"and", "dash", "hyphen", "dot", "point", "space"})
_TOKEN = re.compile(r"[^\W\d_]+|\d+|\+")
#: Longest text read (a caller id or a spoken number is far shorter).
MAX_CHARS = 200
Relation = Literal["exact", "national"]
_EXAMPLE = "e.g. +14155550132 or (415) 555-0132"


def _digits(text: str) -> str:
    """The digits (and a leading +) that the written or spoken ``text`` says."""
    out: list[str] = []
    repeat = 1
    for token in _TOKEN.findall(text.lower()):
        if token in _EXTENSION:
            break
        if token in ("+", "plus"):
            if out:
                raise InvalidArguments(f"phone: a + may only start the number — give {_EXAMPLE}")
            out.append("+")
            continue
        if token in _REPEATS:
            repeat = _REPEATS[token]
            continue
        if token in _HUNDREDS and out and out[-1] != "+":
            out.append(_HUNDREDS[token])
            continue
        digit = token if token.isdigit() else _WORD_DIGITS.get(token)
        if digit is None:
            if token in _FILLER or not out:  # "my number is four one five …"
                continue
            raise InvalidArguments(
                f"phone: {token!r} is not a digit — give the number as digits or spoken digits, "
                f"{_EXAMPLE}"
            )
        out.append(digit * repeat if len(digit) == 1 else digit)
        repeat = 1
    return "".join(out)


def caller_number(text: str, region: str) -> str:
    """The E.164 form of the number ``text`` writes or says; InvalidArguments when it is none."""
    import phonenumbers  # noqa: PLC0415 - imported on first use (see the module docstring)

    if len(text) > MAX_CHARS:
        raise InvalidArguments(f"phone: longer than {MAX_CHARS} characters — give {_EXAMPLE}")
    digits = _digits(text)
    if digits.startswith("00"):  # the international call prefix most of the world dials
        digits = "+" + digits[2:]
    if len(digits.lstrip("+")) < 3:
        raise InvalidArguments(f"phone: give the caller's whole number, {_EXAMPLE}")
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException as exc:
        failed = phonenumbers.NumberParseException
        problem = {
            failed.INVALID_COUNTRY_CODE: "no such country code",
            failed.TOO_SHORT_AFTER_IDD: "too few digits",
            failed.TOO_SHORT_NSN: "too few digits",
            failed.TOO_LONG: "too many digits",
        }.get(exc.error_type, "not a phone number")
        raise InvalidArguments(f"phone: {problem} — give {_EXAMPLE}") from None
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        raise InvalidArguments(f"phone: give the number with its area code, {_EXAMPLE}")
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        problem = {
            phonenumbers.ValidationResult.TOO_SHORT: "too few digits",
            phonenumbers.ValidationResult.TOO_LONG: "too many digits",
            phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "no such country code",
        }.get(reason, "not a phone number")
        raise InvalidArguments(f"phone: {problem} — give {_EXAMPLE}")
    return _e164(number)


def _e164(number: phonenumbers.PhoneNumber) -> str:
    import phonenumbers  # noqa: PLC0415

    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


@lru_cache(maxsize=4096)
def _stored_as_e164(stored: str, region: str) -> tuple[str, bool] | None:
    """(the E.164 form of a stored phone, whether it was written with its country code)."""
    import phonenumbers  # noqa: PLC0415

    main = re.split(r"(?i)\s*(?:ext\.?|extension|x|#)\s*\d", stored, maxsplit=1)[0].strip()
    international = main.startswith(("+", "00"))
    if main.startswith("00"):
        main = "+" + main[2:]
    try:
        number = phonenumbers.parse(main, region)
    except phonenumbers.NumberParseException:
        return None
    return _e164(number), international


def same_number(stored: object, e164: str, region: str) -> Relation | None:
    """How the stored phone ``stored`` relates to ``e164`` (see the module docstring)."""
    if not isinstance(stored, str) or not stored.strip() or len(stored) > MAX_CHARS:
        return None
    read = _stored_as_e164(stored, region)
    if read is None or read[0] != e164:
        return None
    return "exact" if read[1] else "national"
