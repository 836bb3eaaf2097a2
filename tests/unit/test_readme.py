"""The README can be trusted: its example output is what the commands print today, and its first
command block starts with a virtualenv (pip into Debian's system Python is refused, PEP 668)."""

import re

from tests.readme_example import README, differences, examples, normalised


def test_every_example_block_is_what_its_command_prints_now():
    text = README.read_text(encoding="utf-8")
    assert len(examples(text)) >= 2
    found = differences(text)
    assert not found, "README example drifted; regenerate with python3 -m tests.readme_example --write\n" + "\n\n".join(found)


def test_a_changed_example_line_is_reported():
    text = README.read_text(encoding="utf-8")
    example = examples(text)[0]
    first = normalised(example.shown)[0]
    tampered = text[: example.start] + text[example.start :].replace(first, first + " (edited)", 1)
    (found,) = differences(tampered)
    assert "(edited)" in found


def test_trailing_spaces_are_the_only_thing_normalised():
    assert normalised("a  \nb\t\n\n") == ["a", "b"]
    assert normalised("  a") == ["  a"]


def test_the_first_commands_create_and_activate_a_virtualenv_before_pip():
    first_block = re.search(r"^```sh\n(.*?)^```$", README.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL).group(1)
    venv, pip = first_block.find("python3 -m venv .venv && . .venv/bin/activate"), first_block.find("pip install")
    assert 0 <= venv < pip
