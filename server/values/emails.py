"""Email addresses.

The rules (documented behaviour; tests/values/ checks each):

- email: trimmed; one @; local part as RFC 5322 dot-atom (no quoted forms), at most 64
  characters; domain of letter-digit-hyphen labels with a letter TLD, lower-cased, an
  internationalised domain converted to its ASCII (punycode) form. Spoken forms ("ana at example
  dot com") are refused with the written form suggested, for the agent to confirm.
"""

from __future__ import annotations

import re
from typing import Any

from server.salesforce.fields import FieldInfo
from server.values.problems import _EXPECTED, _InvalidValueError
from server.values.text import _check_length

_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
# Letter-digit-hyphen labels of at most 63 characters, and a top-level domain of letters
# (or its punycode form).
_DOMAIN = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
)
_WHITESPACE = re.compile(r"\s")
_SPOKEN_AT = re.compile(r"\s+at\s+", re.IGNORECASE)
_SPOKEN_DOT = re.compile(r"\s*\bdot\b\s*", re.IGNORECASE)


def _email(field: FieldInfo, value: Any) -> str:
    if not isinstance(value, str):
        raise _InvalidValueError(f"is not an email address — give {_EXPECTED['email']}")
    text = value.strip()
    if "@" not in text and _SPOKEN_AT.search(text):
        written = _SPOKEN_DOT.sub(".", _SPOKEN_AT.sub("@", text)).replace(" ", "")
        try:
            guess = _valid_email(written)
        except _InvalidValueError:
            pass
        else:
            raise _InvalidValueError(
                f"is spoken, not written — did you mean {guess}? Confirm the spelling with "
                f"the caller and send it written"
            )
    address = _valid_email(text)
    _check_length(field, address)
    return address


def _valid_email(text: str) -> str:
    """``text`` with its domain lower-cased and in ASCII; else what is wrong, as an error."""
    local, at, domain = text.rpartition("@")
    if local and len(local) <= 64 and _EMAIL_LOCAL.fullmatch(local):
        ascii_domain = _ascii_domain(domain)
        if ascii_domain is not None:
            return f"{local}@{ascii_domain}"
    if not at or not local or not domain:
        reason = "it has no @"
    elif _WHITESPACE.search(text):
        reason = "it contains a space"
    elif "@" in local:
        reason = "it has more than one @"
    elif len(local) > 64 or not _EMAIL_LOCAL.fullmatch(local):
        reason = "the part before the @ has characters an address cannot have"
    else:
        reason = "the part after the @ is not a domain name"
    raise _InvalidValueError(
        f"is not a valid email address ({reason}) — ask the caller to spell it, "
        f"e.g. ana@example.com"
    )


def _ascii_domain(domain: str) -> str | None:
    domain = domain.lower()
    if not domain.isascii():
        try:
            # Internationalised domains travel as punycode (IDNA 2003, the stdlib codec).
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if len(domain) > 253 or not _DOMAIN.fullmatch(domain):
        return None
    return domain
