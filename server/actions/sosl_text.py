"""The text of a ``search`` action: each value is searched as plain words.

A parameterized search's ``q`` is SOSL's search expression without the braces: quotes make
phrases, ``*`` and ``?`` are wildcards, ``AND``/``OR``/``AND NOT`` and parentheses combine terms,
and SOSL reserves ``? & | ! { } [ ] ( ) ^ ~ * : \\ " ' + -`` (SOQL and SOSL Reference, "FIND
{SearchQuery}", "Reserved Characters"). Whatever a caller says must be searched literally, so
:func:`search_words` makes each value plain words before it is put into the text:

- every reserved character becomes a space, except a ``+`` starting a number (``+1 415 555 0100``:
  the country code, which is how phone numbers are searched). Punctuation separates tokens in
  Salesforce's index anyway, so ``(720) 555-0163`` or ``Jean-Luc`` still find what they say;
- a word ``AND``, ``OR`` or ``NOT`` (any case) is quoted, a one-word phrase, so it is searched
  for instead of combining the words around it;
- control characters and runs of spaces become one space.

No backslash is ever written: Salesforce reads one in ``q`` as an escape, while a client that
escapes ``q`` itself (the emulator does, for braces) reads it as text; without one, both read the
same words. The operator's own text around the values (``{{ company }}*``) keeps SOSL's meaning;
:func:`operator_text_problem` refuses braces, backslashes and unbalanced quotes in it when the
file is loaded. :func:`search_problem` refuses, before sending, text Salesforce refuses
("search term must be longer than one character") or that is too long to search.
"""

from __future__ import annotations

import re

#: Longest rendered search text sent: past 4,000 characters Salesforce drops a search's logical
#: operators (its words' AND becomes OR, finding more than asked), past 10,000 it finds nothing
#: (SOQL and SOSL Reference, "SOSL Syntax").
MAX_SEARCH_CHARS = 4000
#: The fewest letters or digits a search may have (Salesforce refuses fewer).
MIN_SEARCH_ALNUM = 2
_RESERVED = re.compile(r"""[?&|!{}\[\]()^~*:\\"'\-\s\x00-\x1f\x7f]""")
# A '+' that does not start a number (after the other reserved characters became spaces).
_LONE_PLUS = re.compile(r"\+(?!\d)|(?<=\S)\+")
_OPERATORS = frozenset({"AND", "OR", "NOT"})


def search_words(value: str) -> str:
    """``value`` as plain words of a SOSL search (see the module docstring)."""
    spaced = _LONE_PLUS.sub(" ", _RESERVED.sub(" ", value))
    return " ".join(f'"{word}"' if word.upper() in _OPERATORS else word for word in spaced.split())


def search_problem(text: str) -> str | None:
    """Why the rendered search ``text`` cannot be sent, or None."""
    if sum(char.isalnum() for char in text) < MIN_SEARCH_ALNUM:
        return "give at least two letters or digits to search for"
    if len(text) > MAX_SEARCH_CHARS:
        return f"the search is longer than {MAX_SEARCH_CHARS} characters; shorten it"
    return None


def operator_text_problem(text: str) -> str | None:
    """What is wrong with the action's own search text (rendered with placeholder values)."""
    if any(char in text for char in "{}\\"):
        return "the search text cannot hold braces or backslashes"
    if text.count('"') % 2:
        return 'a quote (") is not closed'
    return None
