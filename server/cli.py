"""The ``callforce`` command: parse arguments, build settings, call into the packages.

Logs go to stderr; stdout belongs to the MCP stdio transport and to a command's own output.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from server.settings import Settings


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``callforce`` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = Settings()
    try:
        code: int = args.handler(args, settings)
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
