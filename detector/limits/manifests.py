"""Kubernetes objects from files: a Git checkout of manifests, ``kubectl get -o yaml`` output, or
``helm template`` output.

Every ``.yaml``/``.yml``/``.json`` file under the directory (recursively, in sorted order, skipping
hidden files and directories such as ``.git``) is read; each may hold several YAML documents, and a
``kind: List`` (or ``DeploymentList`` …) is expanded into its ``items``. A document that is not a
mapping with a ``kind`` is skipped silently; a file that cannot be parsed is one located problem and
contributes no objects, while the other files still count.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from detector.errors import ConfigError
from detector.limits.model import KubeObject, ObjectBatch, frozen

SUFFIXES = (".yaml", ".yml", ".json")


def read_manifests(directory: Path) -> ObjectBatch:
    """All Kubernetes objects in the manifest files under ``directory`` (a single file is read alone).

    Each object's ``origin`` is ``FILE#N``: the file as reachable from the working directory and the
    1-based document number in it (``FILE#N.items[I]`` for an item of a List). Raises ``ConfigError``
    when ``directory`` does not exist.
    """
    if not directory.exists():
        raise ConfigError("manifests directory not found", location=str(directory))
    objects: list[KubeObject] = []
    problems: list[str] = []
    for path in manifest_files(directory):
        try:
            documents = _documents(path)
        except _FileProblem as problem:
            problems.append(str(problem))
            continue
        for number, document in enumerate(documents, start=1):
            objects.extend(KubeObject(frozen(body), origin) for body, origin in _objects(document, f"{path}#{number}"))
    return ObjectBatch(objects=tuple(objects), problems=tuple(problems))


def manifest_files(directory: Path) -> list[Path]:
    """The manifest files under ``directory`` sorted by relative path; hidden entries are skipped."""
    if directory.is_file():
        return [directory]
    found: list[Path] = []
    for root, dirnames, filenames in os.walk(directory):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        found.extend(Path(root, name) for name in filenames if not name.startswith(".") and name.lower().endswith(SUFFIXES))
    return sorted(found, key=lambda path: path.relative_to(directory).as_posix())


class _FileProblem(Exception):
    """A file that cannot be used; ``str()`` is ``FILE:LINE: what is wrong`` (or ``FILE: …``)."""


def _documents(path: Path) -> list[Any]:
    """Every document of the file, parsed completely before any is used (a bad file adds nothing)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _FileProblem(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise _FileProblem(f"{path}: cannot read: {exc.strerror or exc}") from None
    if path.suffix.lower() == ".json":
        try:
            return [json.loads(text)] if text.strip() else []
        except json.JSONDecodeError as exc:
            raise _FileProblem(f"{path}:{exc.lineno}: malformed JSON: {exc.msg} (column {exc.colno})") from None
    try:
        return list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        raise _FileProblem(_yaml_problem(path, text, exc)) from None


def _yaml_problem(path: Path, text: str, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    message = f"{where}: malformed YAML: {what}" + (f" ({context})" if context else "")
    if mark is not None:
        message += f" at column {mark.column + 1}"
    if "{{" in text:
        message += "; this looks like an unrendered Helm template: give the output of `helm template` instead"
    return message


def _objects(document: Any, origin: str) -> Iterator[tuple[dict[str, Any], str]]:
    """The Kubernetes objects in one document: itself, or the items of a List."""
    if not isinstance(document, dict) or not isinstance(document.get("kind"), str) or not document["kind"]:
        return
    kind = document["kind"]
    items = document.get("items")
    if kind.endswith("List") and isinstance(items, list):
        item_kind = kind[: -len("List")]  # "" for a plain List, whose items carry their own kind
        for index, item in enumerate(items):
            if isinstance(item, dict) and item_kind and "kind" not in item:
                item = {"kind": item_kind, **({"apiVersion": document["apiVersion"]} if "apiVersion" in document else {}), **item}
            yield from _objects(item, f"{origin}.items[{index}]")
        return
    yield document, origin
