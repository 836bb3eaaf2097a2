"""Limits on what a YAML/JSON document may be before it is turned into Python objects.

A config or incidents file is small and hand-written; anything else is a mistake or an attack
that would otherwise hang or crash the program, or silently pick one of two values:

- ``MAX_FILE_BYTES`` (1 MiB): larger files are refused before parsing;
- ``MAX_DEPTH`` (64 levels of nesting), checked while composing, so deep nesting is a located
  error instead of a ``RecursionError``;
- ``MAX_EXPANDED_VALUES`` (1,000,000): the number of values the document has once every alias is
  expanded ("billion laughs"); a plain 1 MiB file has at most about 524,000;
- no recursive alias (an anchor used inside itself);
- no key written twice in one mapping (YAML and JSON would silently keep the last one).
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_EXPANDED_VALUES = 1_000_000
_MERGE_TAG = "tag:yaml.org,2002:merge"


class GuardedLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses nesting deeper than ``MAX_DEPTH`` and invalid dates with a mark."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise ConstructorError(None, None, f"invalid date or time {node.value!r} ({exc})", node.start_mark) from None


GuardedLoader.add_constructor("tag:yaml.org,2002:timestamp", GuardedLoader.construct_yaml_timestamp)


class GuardError(Exception):
    """A limit was exceeded; ``line`` is 1-based (None when unknown)."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message, self.line = message, line


def check_graph(root: Node) -> None:
    """Refuse recursive aliases, alias expansion beyond ``MAX_EXPANDED_VALUES`` and duplicate keys.

    Walks each distinct node once (iteratively), so the cost is the size of the file, not of the
    expanded document.
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > MAX_EXPANDED_VALUES:
                raise GuardError(
                    f"aliases expand this document to more than {MAX_EXPANDED_VALUES} values; expected a plain document (an alias bomb?)",
                    node.start_mark.line + 1,
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise GuardError("recursive alias: an anchor is used inside itself", node.start_mark.line + 1)
        on_path.add(key)
        stack.append((node, True))
        if isinstance(node, MappingNode):
            _check_duplicate_keys(node)
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_duplicate_keys(node: MappingNode) -> None:
    first: dict[tuple[str, str], ScalarNode] = {}
    for key, _ in node.value:
        if not isinstance(key, ScalarNode) or key.tag == _MERGE_TAG:
            continue
        identity = (key.tag, key.value)
        if identity in first:
            one, two = first[identity].start_mark, key.start_mark
            where = (
                f"lines {one.line + 1} and {two.line + 1}"
                if one.line != two.line
                else f"line {two.line + 1}, columns {one.column + 1} and {two.column + 1}"
            )
            raise GuardError(f"duplicate key {key.value!r} at {where}; keep one", two.line + 1)
        first[identity] = key
