"""The search expression inside ``FIND {…}``: terms, phrases, wildcards and operators.

The subset served, after SOSL's "FIND {SearchQuery}" (SOQL and SOSL Reference):

- a *term* is a word (``acme``, ``ana@example.com``, ``415-555-0132``) or a phrase in double
  quotes (``"joe smith"``). Text searches are case-insensitive; the emulator also ignores
  accents, as Salesforce's index does (``garcia`` finds García);
- "the search engine splits record information separated by spaces or punctuation into separate
  tokens": so does the emulator, in field values and in terms alike. A term of several tokens (a
  phrase, an e-mail address, a dotted number) matches those tokens in a row, in one field;
- ``*`` matches zero or more characters and ``?`` exactly one, inside a token, "at the middle or
  end (not the beginning)": a leading wildcard is dropped;
- operators ``AND``, ``OR`` and ``AND NOT`` (any case) and parentheses. Terms side by side are
  ANDed; AND and AND NOT bind tighter than OR. A quoted ``"and"`` is a word, and so is an
  operator with nothing on one side (``FIND {and}``);
- a backslash escapes the next character (``\\}``, ``\\"``, ``\\*``), which then belongs to the
  term (where punctuation, an escaped wildcard included, separates tokens as anywhere else);
- a term written like a phone number (digits and ``+ ( ) - . /``, an optional trailing ``*``)
  also matches phone fields by its digits (:mod:`emulator.sosl.phones`); so does the whole search
  when all of it is written like one number: ``FIND {+1 (415) 555-0132}``;
- the search must hold at least two letters or digits, else MALFORMED_SEARCH "search term must be
  longer than one character".

Not served: stemming, synonyms, stop words, spell correction, proximity and relevance. An
unbalanced parenthesis is ignored rather than refused [U: Salesforce's answer].
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from emulator.sosl.errors import TERM_TOO_SHORT, malformed

#: Text written like a phone number: digits and phone punctuation, perhaps a final ``*``.
_PHONE_LIKE = re.compile(r"\s*\+?[\d\s().\-/]*\d[\d\s().\-/]*\*?\s*")
#: A token of a folded term: letters, digits and wildcards.
_TERM_TOKEN = re.compile(r"(?:[^\W_]|[*?])+")
#: A token of a folded field value.
_VALUE_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase: its folded ``tokens`` (wildcards kept) and, when it is written like a
    phone number, its ``phone`` text (matched against phone fields by digits)."""

    tokens: tuple[str, ...]
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class BoolOp:
    """Operands joined by AND or OR."""

    op: Literal["AND", "OR"]
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The right side of ``AND NOT``."""

    operand: Expr


Expr = Term | BoolOp | Not


def fold(text: str) -> str:
    """``text`` lower-cased and without accents: how the index compares text."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def value_tokens(text: str) -> list[str]:
    """The tokens of a field value."""
    return _VALUE_TOKEN.findall(fold(text))


def escape(text: str) -> str:
    """``text`` made safe between SOSL's braces (for a parameterized search's ``q``): only the
    characters the statement's lexer reads are escaped, so operators and quotes keep working."""
    return re.sub(r"([\\{}|])", r"\\\1", text)


@dataclass(frozen=True, slots=True)
class _Lexeme:
    kind: Literal["word", "phrase", "(", ")"]
    text: str = ""


def _literal(char: str) -> str:
    """An escaped character: itself, but an escaped wildcard is a plain asterisk or question
    mark, which is punctuation (a space does as well)."""
    return " " if char in "*?" else char


def _lex(raw: str) -> list[_Lexeme]:
    out: list[_Lexeme] = []
    word: list[str] = []

    def flush() -> None:
        if word:
            out.append(_Lexeme("word", "".join(word)))
            word.clear()

    i = 0
    while i < len(raw):
        char = raw[i]
        if char == "\\" and i + 1 < len(raw):
            word.append(_literal(raw[i + 1]))
            i += 2
            continue
        if char.isspace() or char in '()"':
            flush()
        if char in "()":
            out.append(_Lexeme("(" if char == "(" else ")"))
        elif char == '"':
            phrase: list[str] = []
            i += 1
            while i < len(raw) and raw[i] != '"':
                if raw[i] == "\\" and i + 1 < len(raw):
                    i += 1
                    phrase.append(_literal(raw[i]))
                else:
                    phrase.append(raw[i])
                i += 1
            out.append(_Lexeme("phrase", "".join(phrase)))
        elif not char.isspace():
            word.append(char)
        i += 1
    flush()
    return _balanced(out)


def _balanced(lexemes: list[_Lexeme]) -> list[_Lexeme]:
    """Without the parentheses that have no partner."""
    open_at: list[int] = []
    unmatched: set[int] = set()
    for index, lexeme in enumerate(lexemes):
        if lexeme.kind == "(":
            open_at.append(index)
        elif lexeme.kind == ")":
            if open_at:
                open_at.pop()
            else:
                unmatched.add(index)
    unmatched.update(open_at)
    return [lexeme for index, lexeme in enumerate(lexemes) if index not in unmatched]


def _term(text: str) -> Term | None:
    tokens = tuple(t.lstrip("*?") for t in _TERM_TOKEN.findall(fold(text)))
    phone = text if _PHONE_LIKE.fullmatch(text) else None
    tokens = tuple(t for t in tokens if t)
    return Term(tokens, phone) if tokens or phone else None


class _Parser:
    """Recursive descent: or := and (OR and)*; and := unary ([AND [NOT]] unary)*."""

    def __init__(self, lexemes: list[_Lexeme]) -> None:
        self.lexemes = lexemes
        self.at = 0

    def _peek(self, offset: int = 0) -> _Lexeme | None:
        index = self.at + offset
        return self.lexemes[index] if index < len(self.lexemes) else None

    def _operator(self, word: str) -> bool:
        """The next lexeme is the operator ``word`` with an operand after it."""
        here, after = self._peek(), self._peek(1)
        return (
            here is not None
            and here.kind == "word"
            and here.text.upper() == word
            and after is not None
            and after.kind != ")"
        )

    def parse_or(self) -> Expr | None:
        operands = [self.parse_and()]
        while self._operator("OR"):
            self.at += 1
            operands.append(self.parse_and())
        return _join("OR", operands)

    def parse_and(self) -> Expr | None:
        operands = [self.parse_unary()]
        while (here := self._peek()) is not None and here.kind != ")" and not self._operator("OR"):
            negate = False
            if self._operator("AND"):
                self.at += 1
                if self._operator("NOT"):
                    self.at += 1
                    negate = True
            operand = self.parse_unary()
            operands.append(Not(operand) if negate and operand is not None else operand)
        return _join("AND", operands)

    def parse_unary(self) -> Expr | None:
        lexeme = self._peek()
        if lexeme is None:
            return None
        self.at += 1
        if lexeme.kind == "(":
            inner = self.parse_or()
            if (close := self._peek()) is not None and close.kind == ")":
                self.at += 1
            return inner
        if lexeme.kind == ")":
            return None
        return _term(lexeme.text)


def _join(op: Literal["AND", "OR"], operands: list[Expr | None]) -> Expr | None:
    present = tuple(o for o in operands if o is not None)
    if len(present) <= 1:
        return present[0] if present else None
    return BoolOp(op, present)


def unescape(raw: str) -> str:
    """The search text with its escapes resolved."""
    return re.sub(r"\\(.)", r"\1", raw, flags=re.DOTALL)


def parse(raw: str) -> Expr:
    """The expression of the text between ``FIND``'s braces (escapes still in it)."""
    plain = unescape(raw)
    if sum(char.isalnum() for char in plain) < 2:
        raise malformed(TERM_TOO_SHORT)
    expression = _Parser(_lex(raw)).parse_or()
    if _PHONE_LIKE.fullmatch(plain) and not (isinstance(expression, Term) and expression.phone):
        # The whole search reads as one number: it also matches phone fields as one.
        whole = Term((), plain.strip())
        expression = whole if expression is None else BoolOp("OR", (whole, expression))
    if expression is None:
        raise malformed(TERM_TOO_SHORT)
    return expression
