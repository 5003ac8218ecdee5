"""Project gates that run with the test suite: lint, types, and the README's promises."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section, flags=re.DOTALL)


def test_quickstart_has_two_commands() -> None:
    """The README's quickstart is exactly two commands: run the demo, run the tests."""
    commands = _quickstart_commands()
    assert len(commands) == 2
    assert all("\n" not in command for command in commands)
    assert commands[0].endswith("callforce demo")
    assert '".[test]"' in commands[1]
    assert commands[1].endswith("pytest")


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run runs the README's test command verbatim."""
    script = (ROOT / ".ci" / "run").read_text()
    assert _quickstart_commands()[1] in script.splitlines()


def test_ruff_is_clean() -> None:
    """ruff finds nothing in the project."""
    result = subprocess.run(
        [BIN / "ruff", "check", "--quiet", "--no-cache", str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    """mypy --strict (configured in pyproject.toml) finds nothing in the packages."""
    result = subprocess.run(
        [BIN / "mypy", "--config-file", str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_tool_table_matches_the_registry() -> None:
    """The README's tool table lists every tool with its title, arguments and read-only flag."""
    from tools import ALL_TOOLS  # noqa: PLC0415 - only this test needs the registry

    readme = (ROOT / "README.md").read_text()
    table = readme.split("<!-- tools-table", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in table.splitlines()[3:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = cells[1:]
    assert list(rows) == [spec.name for spec in ALL_TOOLS]
    for spec in ALL_TOOLS:
        title, arguments, read_only = rows[spec.name]
        assert title == spec.title
        names = list(spec.arguments.model_fields) or ["–"]
        assert arguments == ", ".join(f"`{n}`" if n != "–" else n for n in names)
        assert read_only == ("yes" if spec.annotations.read_only_hint else "no")


def test_readme_settings_table_lists_every_setting() -> None:
    """Each setting has a row in the README's settings table, and no row names a setting
    that does not exist."""
    from server.settings import Settings  # noqa: PLC0415 - only this test needs it

    section = (ROOT / "README.md").read_text().split("## Settings", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`CALLFORCE_([A-Z_]+)`", section))
    assert listed == {name.upper() for name in Settings.model_fields}


def _third_party_imports(*folders: str) -> dict[str, str]:
    """Top-level third-party modules imported under ``folders``: module → first importer."""
    ours = {"server", "tools", "emulator", "tests", "bench", "scripts"}
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in ours and top not in sys.stdlib_module_names:
                        found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def _declared(*groups: str) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for group in groups:
        specs += project["optional-dependencies"][group]
    return {re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0].lower() for spec in specs}


def _undeclared(imports: dict[str, str], declared: set[str]) -> list[str]:
    distributions = importlib.metadata.packages_distributions()
    return sorted(
        f"{module} (imported by {importer})"
        for module, importer in imports.items()
        if not {d.lower() for d in distributions.get(module, [module])} & declared
    )


def test_every_imported_package_is_a_declared_dependency() -> None:
    """The packages import only declared dependencies; tests and benchmarks add the test
    extra's (nothing arrives only because another package happens to pull it in)."""
    assert _undeclared(_third_party_imports("server", "tools", "emulator"), _declared()) == []
    assert _undeclared(_third_party_imports("tests", "bench"), _declared("test")) == []


def test_the_version_is_written_once() -> None:
    """pyproject.toml reads the version from server/__init__.py; the installed metadata agrees."""
    from server import __version__  # noqa: PLC0415 - only this test needs it

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project
    assert project["dynamic"] == ["version"]
    assert importlib.metadata.version("callforce") == __version__
