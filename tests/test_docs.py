"""The documentation is tested: what exists is documented, and the README stays true."""

from __future__ import annotations

import re
from pathlib import Path

from wopgraph.cli import parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def setup_commands() -> list[str]:
    """The commands in the README's "Set up" code block."""
    section = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_readme_has_exactly_two_setup_commands_and_make_has_them():
    commands = setup_commands()
    assert len(commands) == 2, commands
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for command in commands:
        target = command.removeprefix("make ").strip()
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), command


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in setup_commands()
    assert re.search(r"^make test$", ci, re.MULTILINE)


def test_every_cli_command_is_in_the_readme():
    sub = next(a for a in parser()._actions if a.dest == "command")
    for name in sub.choices:
        assert f"wopgraph {name}" in README, f"README does not show `wopgraph {name}`"


def test_changelog_has_an_unreleased_section():
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_the_readme():
    """Each serve setting appears in the README as its flag and its environment variable."""
    import dataclasses

    from wopgraph.config import Settings

    for field in dataclasses.fields(Settings):
        flag = "--" + field.name.replace("_", "-")
        env = "WOPGRAPH_" + field.name.upper()
        assert flag in README, f"README does not document {flag}"
        assert env in README, f"README does not document {env}"
