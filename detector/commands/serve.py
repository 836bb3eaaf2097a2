"""`slowburn serve`: placeholder until the live path lands (owned by the live-path work)."""

from __future__ import annotations

import argparse

from detector.environment import Environment
from detector.errors import ExitStatus

HELP = "run on a schedule in-process (APScheduler) with /metrics and /healthz"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True)


def execute(args: argparse.Namespace, env: Environment) -> ExitStatus:
    raise NotImplementedError
