"""YAML loading (``safe_load`` semantics) that also remembers where each value sits in the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import yaml

from detector.errors import SlowburnError


def load_yaml_with_locations(
    text: str, filename: str, error_type: type[Exception]
) -> tuple[Any, Callable[[tuple[Any, ...]], str]]:
    """Parse ``text`` safely; return the document and a function mapping a field path to 'file:line'.

    Syntax errors raise ``error_type(message, location='file:line:column')``.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark is not None else filename
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error_type(f"malformed YAML/JSON: {problem}", location=where) from None

    def locate(path: tuple[Any, ...]) -> str:
        current = node
        line = None
        for part in path:
            if isinstance(current, yaml.MappingNode):
                found = next((value for key, value in current.value if key.value == part), None)
                key_node = next((key for key, _ in current.value if key.value == part), None)
                if found is None:
                    break
                line = key_node.start_mark.line + 1 if key_node is not None else line
                current = found
            elif isinstance(current, yaml.SequenceNode) and isinstance(part, int) and part < len(current.value):
                current = current.value[part]
                line = current.start_mark.line + 1
            else:
                break
        return f"{filename}:{line}" if line else filename

    return document, locate


def load_yaml_file(path: Path, error_type: type[SlowburnError]) -> tuple[Any, Callable[[tuple[Any, ...]], str]]:
    """Read a YAML/JSON file; a missing, unreadable or malformed file raises ``error_type``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error_type("file not found", location=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error_type(f"cannot read: {exc}", location=str(path)) from None
    return load_yaml_with_locations(text, str(path), error_type)
