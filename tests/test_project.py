"""Project gates that run with the test suite: lint, types, and the README's promises."""

from __future__ import annotations

import re
import subprocess
import sys
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
