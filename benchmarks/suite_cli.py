"""The command line shared by the scenario-suite benchmarks: the same options, print, save as JSON."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def suite_parser(description: str, seed: int, quiet: int, quiet_help: str = "quiet controls") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--quiet", type=int, default=quiet, help=quiet_help)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--every", default="1d", help="time between slowburn evaluations (default 1d)")
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--json", dest="json_out", help="also write the result document as JSON")
    return parser


def report(result: dict[str, Any], markdown: Callable[[dict[str, Any]], str], json_out: str | None) -> dict[str, Any]:
    """Print the Markdown tables; write the whole document as JSON when asked."""
    print(markdown(result))
    if json_out:
        Path(json_out).write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    return result
