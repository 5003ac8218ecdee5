"""Writing the activity record off the tool call's path.

A tool call hands its :class:`~server.activity.record.ToolCallRecord` to
:meth:`ActivityRecorder.record`, which only appends it to a queue (a few microseconds). A thread of
the recorder's own wakes on the first record, lets the records of the next :data:`FLUSH_SECONDS`
gather, and writes them in one transaction per :data:`BATCH` — so a busy server pays a transaction
per quarter second, not per call, and the thread is not woken per call; once an hour it deletes
records older than ``CALLFORCE_ACTIVITY_DAYS``. A store that cannot be written (locked, full,
read-only) costs the records of that moment — counted in :attr:`ActivityRecorder.dropped` and
logged at most once a minute — and never a tool call; so does a queue grown past
:data:`MAX_PENDING` while the store is stuck. Closing the recorder writes what is still queued
(for at most :data:`CLOSE_SECONDS`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from server.activity.record import ActivityLog, ToolCallRecord

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.25
BATCH = 200
MAX_PENDING = 10_000
PRUNE_EVERY_SECONDS = 3600.0
CLOSE_SECONDS = 2.0
_WARN_EVERY_SECONDS = 60.0


class ActivityRecorder:
    """Queues records and writes them from a thread of its own (see the module docstring)."""

    def __init__(self, log: ActivityLog, *, keep_days: float) -> None:
        self.log = log
        self._keep_seconds = keep_days * 86400
        self._queue: queue.SimpleQueue[ToolCallRecord | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        #: Records lost to a failing store or a full queue.
        self.dropped = 0
        self._warned_at = -_WARN_EVERY_SECONDS
        self._pruned_at = -PRUNE_EVERY_SECONDS
        self._idle = threading.Event()
        self._idle.set()
        #: Set to cut the gathering short (closing).
        self._wake = threading.Event()

    def record(self, record: ToolCallRecord) -> None:
        """Queue ``record`` for writing; never blocks, never raises."""
        if self._closed:
            return
        if self._queue.qsize() >= MAX_PENDING:
            self.dropped += 1
            return
        self._idle.clear()
        self._queue.put(record)
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="callforce-activity", daemon=True
                )
                self._thread.start()

    def wait_written(self, timeout: float = 5.0) -> bool:
        """Block until every queued record was written or dropped (for tests and the CLI)."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        """Write what is queued (for at most CLOSE_SECONDS) and stop the thread."""
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._wake.set()
            self._thread.join(CLOSE_SECONDS)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            try:
                first = self._queue.get(timeout=PRUNE_EVERY_SECONDS)
            except queue.Empty:
                self._maybe_prune()
                continue
            batch: list[ToolCallRecord] = []
            if first is None:
                stopping = True
            else:
                batch.append(first)
                # Let the records of the next moments gather: one transaction for all of them,
                # and no wake-up of this thread per tool call.
                self._wake.wait(FLUSH_SECONDS)
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
                if len(batch) >= BATCH:
                    self._write(batch)
                    batch = []
            if batch:
                self._write(batch)
            if self._queue.empty():
                self._idle.set()
            self._maybe_prune()

    def _write(self, batch: list[ToolCallRecord]) -> None:
        try:
            self.log.add(batch)
        except Exception as exc:  # any failure of the store: the records go, the calls stay
            self.dropped += len(batch)
            self._warn(f"could not write {len(batch)} activity records ({type(exc).__name__})")

    def _maybe_prune(self) -> None:
        now = time.monotonic()
        if now - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = now
        try:
            self.log.prune(time.time() - self._keep_seconds)
        except Exception as exc:  # pruning waits for the next hour
            self._warn(f"could not prune the activity record ({type(exc).__name__})")

    def _warn(self, message: str) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY_SECONDS:
            self._warned_at = now
            logger.warning("%s; %d dropped so far", message, self.dropped)
