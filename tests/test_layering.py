"""The layering of the packages, read from every import statement (deferred ones included).

- the foundation (values, store, salesforce, errors, settings) imports nothing above it: no
  tools, actions, connect pages, web transport, app, toolkit or CLI;
- tools import no ``mcp`` (the toolkit is their one door to the SDK) and nothing above them;
- the emulator imports nothing from server or tools;
- server imports the emulator only from the CLI and the demo;
- only the toolkit names the SDK's ``ToolError``: its boundary makes it, its registration
  hides the SDK's own "no such tool" one, its activity recording reads the text the agent got.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("server", "tools", "emulator")
FOUNDATION = (
    "server.activity",
    "server.values",
    "server.store",
    "server.salesforce",
    "server.errors",
    "server.settings",
)
ABOVE_TOOLS = (
    "server.actions",
    "server.connect",
    "server.web",
    "server.app",
    "server.cli",
    "server.demo",
)
ABOVE_FOUNDATION = ("tools", "server.toolkit", *ABOVE_TOOLS)


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, absolute (``from x import y`` yields x and x.y)."""
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _graph() -> dict[str, set[str]]:
    return {
        _module(path): set(_imports(path))
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(f"{prefix}.") for prefix in prefixes)


GRAPH = _graph()


def _violations(importers: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {imported}"
        for module, imported_set in GRAPH.items()
        if _under(module, importers)
        for imported in imported_set
        if _under(imported, forbidden)
    )


def test_the_graph_covers_every_package() -> None:
    """The checks below see each package's modules (a broken walk would pass vacuously)."""
    for module in (
        "server.toolkit.spec",
        "server.salesforce.client",
        "tools.run_query",
        "emulator.app",
    ):
        assert module in GRAPH
    assert "server.salesforce.client" in GRAPH["server.salesforce.describe_cache"]


def test_the_foundation_imports_nothing_above_it() -> None:
    """values, store, salesforce, errors and settings never reach up into tools or serving."""
    assert _violations(FOUNDATION, ABOVE_FOUNDATION) == []


def test_tools_import_no_mcp_and_nothing_above_them() -> None:
    """A tool is arguments, result and handler: the SDK stays behind the toolkit."""
    assert _violations(("tools",), ("mcp", *ABOVE_TOOLS)) == []


def test_the_emulator_imports_nothing_from_callforce() -> None:
    """The emulator plays Salesforce: it knows nothing of the server or the tools."""
    assert _violations(("emulator",), ("server", "tools")) == []


def test_the_server_imports_the_emulator_only_from_the_cli_and_the_demo() -> None:
    """Serving never depends on the local org; only `callforce emulator` and `demo` start it."""
    allowed = ("server.cli", "server.demo")
    assert [
        violation
        for violation in _violations(("server",), ("emulator",))
        if violation.split(" imports ")[0] not in allowed
    ] == []


def _names_tool_error(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Name) and node.id == "ToolError":
            return True
        if isinstance(node, ast.Attribute) and node.attr == "ToolError":
            return True
        if isinstance(node, ast.alias) and node.name == "ToolError":
            return True
    return False


@pytest.mark.parametrize("package", ["server", "tools"])
def test_only_the_toolkit_names_tool_error(package: str) -> None:
    """One error vocabulary: CallforceError kinds everywhere, ToolError at one boundary."""
    naming = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / package).rglob("*.py"))
        if _names_tool_error(path)
    ]
    expected = [
        "server/toolkit/activity.py",
        "server/toolkit/boundary.py",
        "server/toolkit/registration.py",
    ]
    assert naming == (expected if package == "server" else [])
