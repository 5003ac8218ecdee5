"""What callforce's log lines may say: what happened — method, host, path, status, timings, names —
never a value: no query string, body, token or header value, at any level, whatever handlers
are attached.

:func:`configure` is what the CLI runs at start-up (``--log-level``, ``CALLFORCE_LOG_LEVEL``): a
stderr handler on the root logger when there is none (stdout is the stdio wire), the level, and
:func:`install_redaction`. The redaction is a log *record factory*: every record of the families
below is rewritten once, as it is made, before any filter, handler or formatter sees it. A filter
would not do: on a logger it misses the records of its children (``httpcore.http11``), on a
handler it misses the handlers others attach (a platform's log shipper, pytest's capture).

Families: ``callforce``, ``httpx``/``httpx2``, ``httpcore``/``httpcore2``, ``mcp``, ``uvicorn``.

- A URL or path keeps its scheme, host and path; the query string and fragment are cut (SOQL
  in ``q=``, and ids or emails in any other parameter).
- httpcore's trace lines keep the event (``send_request_headers.started`` …), the host and port
  it connects to, the status it receives and an exception's type — not the header lists and
  request reprs it would print.
- The SDK's ``Tool %r failed: %r`` keeps the tool's name: its message echoes the caller's values
  and has already gone to the client.
- Bearer tokens, Salesforce session ids (``00D…!…``) and ``access_token=``, ``refresh_token=``,
  ``client_secret=``, ``password=`` … values become ``[hidden]``, in messages and tracebacks.
  A traceback is rendered (and redacted) at once; the exception object is not kept on the
  record, so no formatter can render it again with the values in.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

#: Loggers (by their first name part) whose records are redacted.
FAMILIES = frozenset({"callforce", "httpx", "httpx2", "httpcore", "httpcore2", "mcp", "uvicorn"})
HIDDEN = "[hidden]"
#: Levels ``--log-level`` and ``CALLFORCE_LOG_LEVEL`` take.
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

_FORMAT = "%(asctime)s.%(msecs)03d %(levelname)s %(name)s: %(message)s"
_URL_START = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
# "?…" right after a URL or path character: a query string, up to the next blank.
_QUERY = re.compile(r"(?<=[\w/%.\-\]])[?#]\S*")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[^\s'\",;]+")
_SESSION_ID = re.compile(r"\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._-]+")
_SECRET_PAIR = re.compile(
    r"(?i)\b(access_token|refresh_token|id_token|client_secret|code_verifier|assertion|password"
    r"|token|code|state)=[^\s&'\",;]+"
)
_SECRET_FIELD = re.compile(
    r"(?i)([\"'](?:access_token|refresh_token|id_token|client_secret|password)[\"']\s*:\s*)"
    r"[\"'][^\"']*[\"']"
)
_SESSION_HEADER = re.compile(r"(?i)\b(session(?: id)?:?\s*)[0-9a-f-]{32,36}\b")
# What one httpcore trace line may keep.
_HTTPCORE_EVENT = re.compile(r"^[A-Za-z0-9_]+\.(?:started|complete|failed)\b")
_HTTPCORE_HOST = re.compile(r"\b(?:host|server_hostname)='([^']*)'")
_HTTPCORE_PORT = re.compile(r"\bport=(\d+)")
_HTTPCORE_STATUS = re.compile(r"return_value=\(b'HTTP/[^']*', (\d{3}),")
_HTTPCORE_EXCEPTION = re.compile(r"\bexception=([A-Za-z_][\w.]*)")
# The SDK's lines whose last argument is free text from the tool (the caller's values).
_FREE_TEXT = {
    "Tool %r failed: %r": "Tool %r failed (its message went to the client)",
    "Resource %r failed: %r": "Resource %r failed (its message went to the client)",
}
_TRACEBACKS = logging.Formatter()


def scrub(text: str) -> str:
    """``text`` without query strings, bearer tokens, session ids or secret values."""
    text = _QUERY.sub("", text)
    text = _BEARER.sub(rf"\1 {HIDDEN}", text)
    text = _SESSION_ID.sub(HIDDEN, text)
    text = _SECRET_PAIR.sub(rf"\1={HIDDEN}", text)
    text = _SECRET_FIELD.sub(rf'\1"{HIDDEN}"', text)
    return _SESSION_HEADER.sub(rf"\1{HIDDEN}", text)


def _without_query(value: object) -> object:
    """A URL or path argument cut before its query (which may hold blanks a pattern would not
    see past); any other argument as it is."""
    if type(value).__name__ == "URL":  # httpx's, httpx2's, starlette's
        value = str(value)
    if isinstance(value, str) and (value.startswith("/") or _URL_START.match(value)):
        return value.split("?", 1)[0].split("#", 1)[0]
    return value


def _httpcore_line(message: str) -> str:
    """An httpcore trace line reduced to its event, host, port, status and exception type."""
    event = _HTTPCORE_EVENT.match(message)
    if event is None:
        return message.split(" ", 1)[0]
    kept = [event.group(0)]
    for label, pattern in (
        ("host", _HTTPCORE_HOST),
        ("port", _HTTPCORE_PORT),
        ("status", _HTTPCORE_STATUS),
        ("exception", _HTTPCORE_EXCEPTION),
    ):
        if found := pattern.search(message):
            kept.append(f"{label}={found.group(1)}")
    return " ".join(kept)


def redact(record: logging.LogRecord) -> None:
    """Rewrite ``record`` in place by the policy of the module docstring."""
    family = record.name.partition(".")[0]
    try:
        if family in ("httpcore", "httpcore2"):
            text = _httpcore_line(record.getMessage())
        else:
            args: Any = record.args
            if isinstance(record.msg, str) and record.msg in _FREE_TEXT and args:
                record.msg, args = _FREE_TEXT[record.msg], args[:1]
            if isinstance(args, tuple):
                record.args = tuple(_without_query(arg) for arg in args)
            elif isinstance(args, Mapping):
                record.args = {key: _without_query(arg) for key, arg in args.items()}
            text = record.getMessage()
        text = scrub(text)
    except Exception:  # a line that cannot be formatted must not stop the code that logs it
        text = f"(a log line of {record.name} that could not be formatted)"
    record.msg, record.args = text, ()
    if record.exc_info:
        record.exc_text = scrub(_TRACEBACKS.formatException(record.exc_info))
        record.exc_info = None
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)


class _RedactingFactory:
    """The log record factory: the previous one's record, redacted when its logger is ours."""

    def __init__(self, inner: Callable[..., logging.LogRecord]) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        if record.name.partition(".")[0] in FAMILIES:
            redact(record)
        return record


def install_redaction() -> Callable[[], None]:
    """Put the redaction in place (once per process); the function that takes it out again."""
    current = logging.getLogRecordFactory()
    if isinstance(current, _RedactingFactory):
        return lambda: None
    factory = _RedactingFactory(current)
    logging.setLogRecordFactory(factory)

    def undo() -> None:
        if logging.getLogRecordFactory() is factory:
            logging.setLogRecordFactory(current)

    return undo


def configure(level: str) -> None:
    """Logging of a ``callforce`` command: stderr, ``level`` (one of :data:`LEVELS`), redacted."""
    install_redaction()
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT, datefmt="%H:%M:%S"))
        root.addHandler(handler)
    root.setLevel(level)
