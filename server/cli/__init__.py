"""The ``callforce`` command: parse arguments, build settings, call into the packages.

Logs go to stderr; stdout belongs to the MCP stdio transport and to a command's own output.
What a log line may say, and the level (``--log-level``, ``CALLFORCE_LOG_LEVEL``), is
:mod:`server.cli.logs`: at any level, no query string, body, token or header value.
Start-up stays light: each handler imports what it needs (the MCP SDK, httpx, the emulator)
only when it runs, so ``callforce --help`` or ``callforce status`` do not pay for the rest.

``callforce serve`` is :mod:`server.cli.serve_command`; ``callforce activity``
:mod:`server.cli.activity_command`.

Exit status: 0 done, 1 the org or the network said no, 2 a usage or configuration problem,
130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from server.cli import activity_command, logs, serve_command
from server.errors import StoreUnavailable
from server.settings import Settings
from server.store.interface import StoreRefused


def _emulator(args: argparse.Namespace, settings: Settings) -> int:
    from emulator.config import EmulatorConfig  # noqa: PLC0415 - keep `callforce` start-up light
    from emulator.server import serve  # noqa: PLC0415
    from emulator.tls import TlsFiles, ensure_certificates  # noqa: PLC0415

    data_dir = Path(args.db).parent if args.db else settings.home / "emulator"
    tls = None
    if args.cert or args.key:
        if not (args.cert and args.key):
            print("callforce emulator: --cert and --key go together", file=sys.stderr)
            return 2
        tls = TlsFiles(cert=Path(args.cert), key=Path(args.key))
    elif args.tls:
        tls = ensure_certificates(data_dir / "tls")
    jwt_cert = Path(args.jwt_cert).read_text() if args.jwt_cert else None
    config = EmulatorConfig(
        db_path=args.db or ":memory:",
        seed=args.seed,
        is_sandbox=args.sandbox,
        pod="3x0" if args.sandbox else "5g0",
        rotate_refresh_tokens=args.rotate_refresh_tokens,
        jwt_certificate_pem=jwt_cert,
    )
    scheme = "https" if tls else "http"
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    lines = [
        f"callforce emulator: a local Salesforce org at {scheme}://{shown_host}:{args.port}",
        "  login: demo@callforce.dev / demo",
        "  connected app: callforce-demo / callforce-demo-secret",
        f"  data: {args.db or 'in memory (gone when this stops)'}   seed: {args.seed}",
    ]
    if tls and tls.ca:
        lines.append(f"  TLS: trust {tls.ca}  (e.g. REQUESTS_CA_BUNDLE={tls.ca})")
    print("\n".join(lines), file=sys.stderr, flush=True)
    serve(config, args.host, args.port, tls)
    return 0


def _actions_check(args: argparse.Namespace, settings: Settings) -> int:
    from server.actions.cli import check  # noqa: PLC0415 - keep `callforce` start-up light

    return check(args, settings)


def _actions_example(args: argparse.Namespace, settings: Settings) -> int:
    from server.actions.cli import example  # noqa: PLC0415 - keep `callforce` start-up light

    return example(args, settings)


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from server.demo import run_demo  # noqa: PLC0415 - keep `callforce` start-up light

    return run_demo(settings, port=args.port, actions=args.actions, sample=not args.no_sample)


def _connect(args: argparse.Namespace, settings: Settings) -> int:
    from server.connect.terminal import connect  # noqa: PLC0415 - keep `callforce` start-up light

    return connect(args, settings)


def _status(args: argparse.Namespace, settings: Settings) -> int:
    from server.connect.terminal import status  # noqa: PLC0415 - keep `callforce` start-up light

    return status(settings)


def _disconnect(args: argparse.Namespace, settings: Settings) -> int:
    from server.connect.terminal import disconnect  # noqa: PLC0415 - keep `callforce` start-up light

    return disconnect(args.name, settings)


def _port(text: str) -> int:
    """An argparse type: a TCP port, 0 meaning any free one."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0-65535)")
    return port


def _add_serving(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="serve MCP for real use (stdio or HTTP)")
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    serve.add_argument("--host", help="HTTP bind address (default 127.0.0.1; CALLFORCE_HTTP_HOST)")
    serve.add_argument("--port", type=_port, help="HTTP port (default 8000; CALLFORCE_HTTP_PORT)")
    serve.add_argument(
        "--actions", metavar="FILE", help="serve the configured actions of FILE (TOML) as tools"
    )
    serve.add_argument(
        "--expose",
        choices=["all", "reads", "actions"],
        help="which tools: all (default), reads (only those that cannot write), actions (only "
        "the configured actions)",
    )
    serve.add_argument(
        "--stateless",
        action="store_true",
        help="HTTP without per-client sessions, JSON answers: any replica can answer any "
        "request, and a client per call pays one round trip at most (CALLFORCE_HTTP_STATELESS)",
    )
    serve.add_argument(
        "--read-only", action="store_true", help="only the tools that cannot change data"
    )
    _add_log_level(serve)
    serve.set_defaults(handler=serve_command.serve)

    demo = commands.add_parser(
        "demo", help="a local demo org, connected and served over HTTP, with a sample call"
    )
    demo.add_argument("--port", type=_port, default=8000, help="HTTP port (0: any free port)")
    demo.add_argument(
        "--actions",
        metavar="FILE",
        help="configured actions to serve (default: the example file, `callforce actions example`)",
    )
    demo.add_argument(
        "--no-sample", action="store_true", help="skip the scripted sample call at start"
    )
    _add_log_level(demo)
    demo.set_defaults(handler=_demo)


def _add_log_level(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--log-level",
        type=str.upper,
        choices=logs.LEVELS,
        help="what goes to stderr (default WARNING; CALLFORCE_LOG_LEVEL). Even DEBUG shows "
        "methods, hosts, paths, statuses and timings, never query strings, bodies, tokens "
        "or header values",
    )


def _add_connections(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    connect = commands.add_parser(
        "connect",
        help="connect a Salesforce org",
        description="Connect a Salesforce org. Tokens and passwords are never taken from the "
        "command line: they come from CALLFORCE_ACCESS_TOKEN, CALLFORCE_REFRESH_TOKEN, "
        "CALLFORCE_PASSWORD or standard input.",
    )
    connect.add_argument(
        "--env",
        default="production",
        help="production, sandbox, or the org's login URL (My Domain)",
    )
    connect.add_argument("--name", help="connection name (default: from --env)")
    connect.add_argument("--default", action="store_true", help="make it the default connection")
    how = connect.add_argument_group("headless sign-in (choose one)")
    how.add_argument(
        "--client-credentials",
        action="store_true",
        help="client credentials grant with CALLFORCE_CLIENT_ID/SECRET (needs --env URL)",
    )
    how.add_argument(
        "--jwt", action="store_true", help="JWT bearer grant (with --username and --key)"
    )
    how.add_argument(
        "--access-token",
        action="store_true",
        help="store an access token read from CALLFORCE_ACCESS_TOKEN or stdin "
        "(with --instance-url)",
    )
    how.add_argument(
        "--password",
        action="store_true",
        help="password grant, local emulator only (password from CALLFORCE_PASSWORD or stdin)",
    )
    how.add_argument("--username", help="the Salesforce username (--jwt, --password)")
    how.add_argument("--key", help="PEM private key file of the connected app (--jwt)")
    how.add_argument("--instance-url", help="the org's instance URL (--access-token)")
    how.add_argument(
        "--refresh-token",
        action="store_true",
        help="also store a refresh token, from CALLFORCE_REFRESH_TOKEN or stdin's next line",
    )
    connect.set_defaults(handler=_connect)

    status = commands.add_parser("status", help="list connections and their state")
    status.set_defaults(handler=_status)

    disconnect = commands.add_parser("disconnect", help="revoke and forget a connection")
    disconnect.add_argument("name", help="the connection's name")
    disconnect.set_defaults(handler=_disconnect)

    actions = commands.add_parser("actions", help="check or show action files")
    verbs = actions.add_subparsers(dest="verb", required=True)
    check = verbs.add_parser(
        "check",
        help="check an action file against the connected org and print each tool's schema",
    )
    check.add_argument("file", help="the action file (TOML)")
    check.add_argument(
        "--connection",
        help="the connection to check against (default: the file's, else the default)",
    )
    check.set_defaults(handler=_actions_check)
    example = verbs.add_parser("example", help="print the example action file")
    example.set_defaults(handler=_actions_example)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every ``callforce`` command."""
    parser = argparse.ArgumentParser(
        prog="callforce", description="Salesforce actions for AI voice agents, over MCP."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    emu = commands.add_parser("emulator", help="run the local Salesforce org on its own")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=8787)
    emu.add_argument("--tls", action="store_true", help="serve https with a local certificate")
    emu.add_argument("--cert", help="PEM certificate (with --key) instead of a generated one")
    emu.add_argument("--key", help="PEM private key for --cert")
    emu.add_argument("--db", help="SQLite file to keep the org in (default: in memory)")
    emu.add_argument("--seed", choices=["demo", "empty"], default="demo")
    emu.add_argument("--sandbox", action="store_true", help="play a sandbox org")
    emu.add_argument(
        "--rotate-refresh-tokens",
        action="store_true",
        help="answer every refresh with a new refresh token",
    )
    emu.add_argument("--jwt-cert", help="X.509 PEM that JWT bearer assertions must match")
    emu.set_defaults(handler=_emulator)
    _add_serving(commands)
    _add_connections(commands)
    activity_command.add_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``callforce`` console script."""
    args = build_parser().parse_args(argv)
    logs.configure("WARNING")
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"CALLFORCE_{'_'.join(map(str, error['loc'])).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        print(f"callforce: invalid setting: {problems}", file=sys.stderr)
        return 2
    if getattr(args, "log_level", None):
        settings = settings.model_copy(update={"log_level": args.log_level})
    logs.configure(settings.log_level)
    try:
        code: int = args.handler(args, settings)
    except KeyboardInterrupt:
        return 130
    except StoreRefused as exc:  # a newer schema, or another token key than the store's
        print(f"callforce: {exc}", file=sys.stderr)
        return 2
    except StoreUnavailable as exc:  # CALLFORCE_DATABASE_URL names a database out of reach
        detail = f" ({exc.detail})" if exc.detail else ""
        print(f"callforce: cannot open the connection database{detail}.", file=sys.stderr)
        return 1
    except PermissionError as exc:
        # Above all a CALLFORCE_HOME that group or others may read and that cannot be made
        # private (server.store.file_modes): its message says what to run.
        print(f"callforce: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
