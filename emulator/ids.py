"""Salesforce record ids: 15-character base-62 ids and their 18-character case-safe form.

The checksum (CONTRACT.md §11): split the 15-character id into three 5-character chunks; for
each chunk build a 5-bit number whose bit *i* is set when character *i* is an upper-case letter;
map each number through ``A-Z0-5`` and append the three characters.
"""

from __future__ import annotations

import itertools
import re
import string

_CHECKSUM_ALPHABET = string.ascii_uppercase + "012345"
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_ID_RE = re.compile(r"[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?")


def checksum(id15: str) -> str:
    """The three checksum characters for a 15-character id."""
    suffix = []
    for start in (0, 5, 10):
        bits = 0
        for i, char in enumerate(id15[start : start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << i
        suffix.append(_CHECKSUM_ALPHABET[bits])
    return "".join(suffix)


def to18(record_id: str) -> str:
    """The 18-character form of a 15- or 18-character id (an 18-character id is re-checksummed)."""
    id15 = record_id[:15]
    return id15 + checksum(id15)


def is_well_formed(value: str) -> bool:
    """True when ``value`` has the shape of a record id: 15 or 18 base-62 characters.

    An 18-character id must also carry the checksum of its first 15 characters
    (compared case-insensitively, as Salesforce does).
    """
    if not _ID_RE.fullmatch(value):
        return False
    return len(value) == 15 or value[15:].upper() == checksum(value[:15])


def normalize(value: str) -> str | None:
    """The 18-character id for a well-formed id, else ``None``."""
    return to18(value) if is_well_formed(value) else None


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(_BASE62[rem])
    return "".join(reversed(chars))


class IdFactory:
    """Makes new 18-character ids for one key prefix: ``<prefix><pod 3><sequence 9>``.

    The pod characters vary with ``pod`` so that two emulators (production, sandbox) hand out
    distinguishable ids, as real orgs on different instances do.
    """

    def __init__(self, key_prefix: str, *, pod: str = "5g0", start: int = 1) -> None:
        if len(key_prefix) != 3 or len(pod) != 3:
            raise ValueError("key prefix and pod are three characters each")
        self._head = key_prefix + pod
        self._counter = itertools.count(start)

    def next_id(self) -> str:
        """A new, never-returned 18-character id."""
        # Spread sequence numbers so ids mix upper and lower case, like real ones.
        seq = next(self._counter) * 7_919_423 % (62**9)
        return to18(self._head + _base62(seq, 9))
