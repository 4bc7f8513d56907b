"""`remit help`'s list is Remit's whole list of commands, and the README's table says the same."""

from __future__ import annotations

from django.conf import settings
from django.core.management import get_commands

from remit.commands import GROUPS, overview


def readme_rows() -> list[str]:
    readme = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The `remit` command", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| ") and line != "| command | what it does |"]


def test_the_readme_table_is_the_help_list():
    expected = []
    for group, commands in GROUPS:
        expected.append(f"| **{group}** | |")
        expected += [f"| `remit {usage.replace('|', chr(92) + '|')}` | {what} |" for usage, what in commands]
    assert readme_rows() == expected


def test_every_command_of_remits_own_apps_is_in_the_list():
    listed = {usage.split()[0].replace("-", "_") for _, commands in GROUPS for usage, _ in commands}
    remits = {name for name, app in get_commands().items() if app.startswith("remit.")}
    assert remits <= listed, remits - listed
    assert listed <= set(get_commands()), listed - set(get_commands())


def test_a_long_usage_takes_its_own_line_and_every_line_fits():
    text = overview(width=100)
    assert "  bank-sim FILE --return TRACE=R01" in text
    long_usages = ("  bank-sim", "  bank configure")  # a usage is never wrapped
    assert all(len(line) <= 100 for line in text.splitlines() if not line.startswith(long_usages))
    assert "`" not in text  # Markdown is for the README
