"""callforce's HTTP app on a real loopback socket, served from a thread of its own (for the
browser tests, which need a URL a real browser can open)."""

from __future__ import annotations

import asyncio
import threading
import time

from starlette.applications import Starlette

from server import web


class BackgroundApp:
    """The callforce HTTP app on a real loopback socket and its own thread (for the browser)."""

    def __init__(self, app: Starlette) -> None:
        self._socket = web.listen("127.0.0.1", 0)
        self.url = web.url_of(self._socket)
        self._server = web.HttpServer(app)
        self._thread = threading.Thread(target=self._run, name="callforce-app", daemon=True)

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._socket]))

    def __enter__(self) -> BackgroundApp:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the callforce app did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()
