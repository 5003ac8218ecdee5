"""The one exception of the SOSL engine, and Salesforce's messages for refused searches.

A refused search answers 400 with ``MALFORMED_SEARCH`` (or, for names in RETURNING, SOQL's
``INVALID_TYPE`` / ``INVALID_FIELD`` / ``INVALID_QUERY_FILTER_OPERATOR``). Messages that point
at a place use SOQL's layout (:func:`emulator.soql.errors.locate`) with one difference that both
recorded SOSL refusals show: the column is counted **from 0**, so the caret stands one character
left of the culprit. Recorded (restforce#688, force-rest-api#92)::

    \\nFIND {John|jane_gray@uoa.edu} RETURNING Contact\\n         ^\\nERROR at Row:1:Column:10
    line 1:10 mismatched character '|' expecting '}'

    \\nFIND {name} IN ALL TYPE RETURNING Account(name)\\n                  ^
    ERROR at Row:1:Column:19\\nMalformed search token: TYPE

Two refusals carry no position: a statement without ``FIND {…}`` (restforce's recorded
``search_error_response``) and a search of fewer than two letters or digits (Salesforce's text;
whether REST adds a caret is [U]).
"""

from __future__ import annotations

from emulator.soql.errors import MALFORMED_QUERY, LocatedError, locate
from emulator.soql.syntax import Pos

MALFORMED_SEARCH = "MALFORMED_SEARCH"
NO_SEARCH_TERM = "No search term found. The search term must be enclosed in braces."
TERM_TOO_SHORT = "search term must be longer than one character"


class SoslError(Exception):
    """A search Salesforce would refuse: ``error_code``, the full ``message`` of its answer, and
    the ``explanation`` alone (the message without the echoed statement and caret)."""

    def __init__(self, error_code: str, message: str, explanation: str | None = None) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message
        self.explanation = explanation if explanation is not None else message


def malformed(explanation: str) -> SoslError:
    """MALFORMED_SEARCH without a position."""
    return SoslError(MALFORMED_SEARCH, explanation)


def locate_search(text: str, problem: LocatedError) -> SoslError:
    """``problem`` (found at a 1-based position) as Salesforce words it for SOSL: 0-based."""
    # What SOQL's rules call a malformed query is, in a search, a malformed search.
    code = MALFORMED_SEARCH if problem.error_code == MALFORMED_QUERY else problem.error_code
    pos = problem.pos
    if pos is None:
        return SoslError(code, problem.explanation)
    located = locate(text, Pos(pos.row, pos.column - 1), code, problem.explanation)
    return SoslError(code, located.message, problem.explanation)
