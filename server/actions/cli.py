"""``callforce actions check|example`` and the action file step of ``serve`` and ``demo``.

``callforce actions check FILE [--connection NAME]`` reads the file, checks it against the
connected org (objects, fields, external ids, createable/updateable, templates, variables,
quoting) and prints either every problem with its place (file, action, key) or, for each
tool, its name, hints, the call variables it reads (and from which header: they are never in
the schema) and the JSON schema of its arguments exactly as an agent will see it.

``callforce actions example`` prints the example file shipped with callforce (the seed's
actions, loaded by ``callforce demo``): ``callforce actions example > actions.toml``.

Exit status: 0 the file is valid, 1 the org could not be asked (not connected, unreachable),
2 the file has problems.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from mcp.server.mcpserver import MCPServer

from server.actions.model import ActionFileError, Problem
from server.actions.serving import check_action_file, load_action_specs
from server.errors import CallforceError
from server.settings import Settings
from server.store.interface import ConnectionStore
from server.store.opening import open_store
from server.toolkit import ToolSpec, register
from server.toolkit.call import CallBindings

#: The example action file shipped with callforce.
EXAMPLE_FILE = Path(__file__).with_name("examples") / "actions.toml"


def print_problems(command: str, path: Path, problems: list[Problem], out: TextIO) -> None:
    """Each problem on its own line, under one line saying the file cannot be used."""
    count = f"{len(problems)} problem{'s' * (len(problems) != 1)}"
    print(f"{command}: {path} cannot be used ({count}):", file=out)
    for problem in problems:
        print(f"  {problem}", file=out)


def prepare(
    command: str, settings: Settings, store: ConnectionStore, path: Path, out: TextIO
) -> list[ToolSpec[Any, Any]] | int:
    """The tools of ``path``, checked against the org; else an exit status, having said why."""
    try:
        return asyncio.run(load_action_specs(settings, store, path))
    except ActionFileError as exc:
        print_problems(command, path, exc.problems, out)
        return 2
    except CallforceError as exc:
        print(f"{command}: cannot check {path} against the org: {exc.message}", file=out)
        return 1


async def _listed(specs: list[ToolSpec[Any, Any]]) -> list[dict[str, Any]]:
    """The tools as ``tools/list`` shows them to an agent."""
    server: MCPServer[Any] = MCPServer("callforce-check")
    for spec in specs:
        register(server, spec)
    return [
        tool.model_dump(mode="json", by_alias=True, exclude_none=True)
        for tool in await server.list_tools()
    ]


def check(args: argparse.Namespace, settings: Settings) -> int:
    """``callforce actions check``: the report, then each tool's schema (problems to stderr)."""
    out = sys.stdout
    path = Path(args.file)
    store = open_store(settings)
    try:
        report, specs = asyncio.run(check_action_file(settings, store, path, args.connection))
    except ActionFileError as exc:
        print_problems("callforce actions check", path, exc.problems, sys.stderr)
        return 2
    except CallforceError as exc:
        print(f"callforce actions check: cannot ask the org: {exc.message}", file=sys.stderr)
        return 1
    finally:
        store.close()
    if not report.ok:
        print_problems("callforce actions check", path, list(report.problems), sys.stderr)
        return 2
    tools = asyncio.run(_listed(specs))
    reads = {c.action.config.name: c.action.call_variables for c in report.actions}
    print(f"{path}: {len(tools)} actions, no problems.", file=out)
    for tool in tools:
        hints = tool.get("annotations", {})
        kind = "read-only" if hints.get("readOnlyHint") else "writes"
        print(f"\n{tool['name']} ({kind}): {tool.get('description', '')}", file=out)
        if reads.get(tool["name"]):
            said = call_variables_line(reads[tool["name"]], specs.call_bindings)
            print(said, file=out)
        print(json.dumps(tool["inputSchema"], indent=2, ensure_ascii=False), file=out)
    return 0


def call_variables_line(names: tuple[str, ...], bindings: CallBindings) -> str:
    """``call variables: call.id ← X-Call-Id, …``: what a tool reads from the request."""
    said = []
    for name in names:
        variable = bindings.variables[name]
        notes = [variable.type] * (variable.type != "text") + ["optional"] * (not variable.required)
        extra = f" ({', '.join(notes)})" if notes else ""
        said.append(f"call.{name} ← {variable.header or '_meta only'}{extra}")
    return "call variables (sent by the voice platform): " + ", ".join(said)


def example(_: argparse.Namespace, __: Settings) -> int:
    """``callforce actions example``: the shipped example file."""
    sys.stdout.write(EXAMPLE_FILE.read_text(encoding="utf-8"))
    return 0
