"""A pydantic ``ValidationError`` of the config as one line and the field path it is about."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

_UNION_BRANCHES = {"float", "SignalCeiling", "LimitCeiling", "function-after[_references_resolve(), Config]"}
_FIELD_PREFIX = re.compile(r"(?:Value error, )?([a-z_][\w.]*|signals\[\d+\][\w.\[\]]*): ")


def describe(exc: ValidationError) -> tuple[str, tuple[Any, ...]]:
    """``('field.path: what was expected (got X)', field_path)`` for the error worth showing;
    the count of further errors is appended when there are any."""
    errors = exc.errors()
    error = _best_error(errors)
    loc = _error_path(error)
    message = error["msg"].removeprefix("Value error, ")
    prefix = _FIELD_PREFIX.match(error["msg"])
    if prefix and not prefix.group(1).startswith("signals[") and loc:
        message = message[len(prefix.group(1)) + 2 :]  # 'lookback: ...' raised by a model validator
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "required key is missing"
    got = error.get("input")
    suffix = ""
    if (
        error["type"] not in {"missing", "extra_forbidden"}
        and not isinstance(got, (dict, list, BaseModel))
        and got is not None
        and "got " not in message
    ):
        suffix = f" (got {got!r})"
    more = f" [and {len(errors) - 1} more error(s)]" if len(errors) > 1 else ""
    path = _format_path(loc)
    if path and not message.startswith(path):
        return f"{path}: {message}{suffix}{more}", loc
    return f"{message}{suffix}{more}", loc


def _best_error(errors: list[Any]) -> Any:
    """The error to show: for a union (a ceiling), the one of the form the input was written in."""
    for error in errors:
        loc = error["loc"]
        if "LimitCeiling" in loc or "SignalCeiling" in loc:
            branch = "LimitCeiling" if "LimitCeiling" in loc else "SignalCeiling"
            siblings = [e for e in errors if e["loc"][: loc.index(branch)] == loc[: loc.index(branch)]]
            written = next((e.get("input") for e in siblings if "float" in e["loc"]), None)
            if isinstance(written, dict) and ("limit" in written) == (branch == "LimitCeiling"):
                return error
    return errors[0]


def _error_path(error: Any) -> tuple[Any, ...]:
    """The field path of ``error``, with the field named at the start of a validator's message."""
    loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and part in _UNION_BRANCHES))
    prefix = _FIELD_PREFIX.match(error["msg"])
    if prefix is None:
        return loc
    parts: list[Any] = list(loc)
    for piece in re.findall(r"\w+|\[\d+\]", prefix.group(1)):
        parts.append(int(piece[1:-1]) if piece.startswith("[") else piece)
    return tuple(parts)


def _format_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
