"""The floor of bench/transport.py: a bare ``MCPServer`` with one async echo tool, served the way
``callforce serve`` is (so what remains between the two is callforce's own work).

    python bench/_bare_server.py stdio
    python bench/_bare_server.py http --port 8123 [--stateless]

Over HTTP it runs uvicorn as callforce does: the fastest loop and parser there are (uvloop and
httptools when installed), no access log, a socket with ``TCP_NODELAY``, JSON answers and no
sessions with ``--stateless``, and a ``/healthz`` route to say it is up. Nothing is written to
stdout: over stdio it is the wire.
"""

from __future__ import annotations

import argparse
import socket

from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


def build() -> MCPServer:
    """The bare server: one async tool that does nothing."""
    server = MCPServer("bare", log_level="WARNING")

    @server.tool()
    async def echo(text: str) -> str:
        """Echo the text."""
        return text

    @server.custom_route("/healthz", methods=["GET"])
    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return server


def serve_http(server: MCPServer, port: int, stateless: bool) -> None:
    """Streamable HTTP at ``http://127.0.0.1:<port>/mcp``, as ``callforce serve`` runs it."""
    import uvicorn  # noqa: PLC0415 - the stdio floor's start-up must not pay for uvicorn

    app = server.streamable_http_app(stateless_http=stateless, json_response=stateless)
    # As callforce's web.listen: IPPROTO_TCP and TCP_NODELAY, or a keep-alive client waits for
    # the delayed ACK on the plain asyncio loop.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level="warning",
        access_log=False,
        server_header=False,
        lifespan="on",
        timeout_graceful_shutdown=3,
    )
    uvicorn.Server(config).run(sockets=[sock])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("transport", choices=["stdio", "http"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--stateless", action="store_true")
    args = parser.parse_args()
    server = build()
    if args.transport == "stdio":
        server.run("stdio")
    else:
        serve_http(server, args.port, args.stateless)


if __name__ == "__main__":
    main()
