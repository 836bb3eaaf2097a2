r"""The README's example output is what the command it shows prints: checked by a test, rewritten by one command.

A fenced block whose first line is ``$ slowburn ...`` (continued by lines ending in ``\``) is an
example: the rest of the block must be the command's standard output (run from the repository root),
compared line by line after removing trailing spaces only.

    python3 -m tests.readme_example            # check: prints the differences, exit 1 if any
    python3 -m tests.readme_example --write    # regenerate every example block in README.md
"""

from __future__ import annotations

import argparse
import difflib
import io
import os
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
_BLOCK = re.compile(r"^```[a-z]*\n(\$ slowburn (?:[^\n]*\\\n)*[^\n]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Example:
    """One example block: its command line, the output shown, and where the output sits in the README."""

    command: str
    shown: str
    start: int
    end: int


def examples(text: str) -> list[Example]:
    return [Example(m.group(1)[2:], m.group(2), m.start(2), m.end(2)) for m in _BLOCK.finditer(text)]


def produce(command: str) -> str:
    """Run ``slowburn ARGS`` in-process from the repository root; its standard output."""
    from detector.cli import main
    from detector.core.environment import Environment

    argv = shlex.split(command.replace("\\\n", " "))
    if argv[0] != "slowburn":
        raise ValueError(f"an example must start with 'slowburn', got {command!r}")
    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    os.chdir(ROOT)  # relative paths as the reader types them, and in the notes printed
    try:
        status = main(argv[1:], Environment(stdout=out, stderr=err))
    finally:
        os.chdir(before)
    if status != 0:
        raise RuntimeError(f"the README example `{command}` exited {status}: {err.getvalue().strip()}")
    return out.getvalue()


def normalised(text: str) -> list[str]:
    """Lines without trailing spaces (and without the trailing empty lines that leaves)."""
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def differences(text: str) -> list[str]:
    """A unified diff per example whose shown output differs from what its command prints now."""
    found = []
    for example in examples(text):
        shown, printed = normalised(example.shown), normalised(produce(example.command))
        if shown != printed:
            found.append("\n".join(difflib.unified_diff(shown, printed, f"README.md: $ {example.command}", "printed now", lineterm="")))
    return found


def rewritten(text: str) -> str:
    """``text`` with every example's output replaced by what its command prints now."""
    for example in reversed(examples(text)):
        block = "\n".join(normalised(produce(example.command))) + "\n"
        text = text[: example.start] + block + text[example.end :]
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tests.readme_example", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the example blocks in README.md")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    if args.write:
        README.write_text(rewritten(text), encoding="utf-8")
        print(f"rewrote {len(examples(text))} example block(s) in {README}")
        return 0
    found = differences(text)
    print("\n\n".join(found) if found else f"{len(examples(text))} example block(s) match")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
