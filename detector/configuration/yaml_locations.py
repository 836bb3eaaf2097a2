"""YAML loading (``safe_load`` semantics) that also remembers where each value sits in the file.

The text is parsed once, within the limits of ``detector.configuration.yaml_guards`` (size, nesting, alias
expansion, duplicate keys, valid dates); every violation is the caller's error type, located.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from detector.configuration.yaml_guards import MAX_FILE_BYTES, GuardedLoader, GuardError, check_graph
from detector.errors import SlowburnError


def load_yaml_with_locations(text: str, filename: str, error_type: type[SlowburnError]) -> tuple[Any, Callable[[tuple[Any, ...]], str]]:
    """Parse ``text`` safely; return the document and a function mapping a field path to 'file:line'.

    Syntax errors raise ``error_type(message, location='file:line:column')``; a duplicate key, an
    alias bomb, too deep nesting or an invalid date raise it too, located at the line.
    """
    loader = GuardedLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            check_graph(node)
        document = loader.construct_document(node) if node is not None else None
    except GuardError as exc:
        raise error_type(exc.message, location=f"{filename}:{exc.line}" if exc.line else filename) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark is not None else filename
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        prefix = (
            "" if isinstance(exc, yaml.constructor.ConstructorError) and problem.startswith("invalid date") else "malformed YAML/JSON: "
        )
        raise error_type(f"{prefix}{problem}", location=where) from None
    finally:
        loader.dispose()

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
    """Read a YAML/JSON file of at most ``MAX_FILE_BYTES`` (1 MiB); a missing, unreadable, too
    large or malformed file raises ``error_type``."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            size = max(path.stat().st_size, len(raw))
            raise error_type(
                f"the file is {size / 2**20:.1f} MiB ({size} bytes); expected at most 1 MiB ({MAX_FILE_BYTES} bytes)", location=str(path)
            )
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise error_type("file not found", location=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error_type(f"cannot read: {exc}", location=str(path)) from None
    return load_yaml_with_locations(text, str(path), error_type)
