"""Serving the emulator: in the foreground (``callforce emulator``) or on a background thread
(tests, benchmarks and ``callforce demo``)."""

from __future__ import annotations

import asyncio
import threading
import time
from types import TracebackType

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from emulator.app import create_app
from emulator.config import EmulatorConfig
from emulator.edge import EDGE_MEDIA_TYPE, HEAD_LIMIT, edge_body
from emulator.org import Org
from emulator.tls import TlsFiles


class EdgeHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, answering 414 (not a plain 400) to a URL too long for its
    parser, as Salesforce's edge would."""

    def send_400_response(self, msg: str) -> None:
        """The parser gave up on the request's head: 414 when its URL is over the limit."""
        url: bytes = getattr(self, "url", b"")
        if len(url) <= HEAD_LIMIT:
            super().send_400_response(msg)
            return
        body = edge_body(414)
        head = [
            b"HTTP/1.1 414 URI Too Long\r\n",
            *(name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers),
            b"content-type: " + EDGE_MEDIA_TYPE.encode() + b"\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()


def _uvicorn_config(
    config: EmulatorConfig, host: str, port: int, tls: TlsFiles | None
) -> tuple[uvicorn.Config, Org]:
    app = create_app(config)
    org: Org = app.state.org
    return (
        uvicorn.Config(
            app,
            host=host,
            port=port,
            ssl_certfile=str(tls.cert) if tls else None,
            ssl_keyfile=str(tls.key) if tls else None,
            # Salesforce's edge answers 414 to a URL too long for uvicorn's parser (emulator.edge).
            http=EdgeHttpToolsProtocol,
            log_level="warning",
            access_log=False,
            lifespan="off",
        ),
        org,
    )


def serve(config: EmulatorConfig, host: str, port: int, tls: TlsFiles | None) -> None:
    """Serve until interrupted."""
    uv_config, _ = _uvicorn_config(config, host, port, tls)
    uvicorn.Server(uv_config).run()


class BackgroundEmulator:
    """An emulator on its own thread and event loop, on a free port unless one is given.

    >>> with BackgroundEmulator() as emulator:
    ...     emulator.base_url  # 'http://127.0.0.1:41234'
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: TlsFiles | None = None,
    ) -> None:
        uv_config, self.org = _uvicorn_config(config or EmulatorConfig(), host, port, tls)
        self._server = uvicorn.Server(uv_config)
        self.tls = tls
        self._scheme = "https" if tls else "http"
        self._host = host
        self._thread = threading.Thread(target=self._run, name="callforce-emulator", daemon=True)
        self.port = port

    def _run(self) -> None:
        # The loop uvicorn itself would run (uvloop when installed), so the emulator answers as
        # fast in the background as `callforce emulator` does in the foreground.
        with asyncio.Runner(loop_factory=self._server.config.get_loop_factory()) as runner:
            runner.run(self._server.serve())

    @property
    def base_url(self) -> str:
        """``scheme://host:port`` without a trailing slash."""
        return f"{self._scheme}://{self._host}:{self.port}"

    def start(self) -> BackgroundEmulator:
        """Start serving and wait until the socket is listening."""
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start")
            time.sleep(0.01)
        sockets = self._server.servers[0].sockets
        self.port = sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Stop serving and close the org's database."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.org.store.close()

    def __enter__(self) -> BackgroundEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
