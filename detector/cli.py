"""Command line: one entry point, a table of subcommands, one boundary mapping errors to exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, NoReturn

from detector import __version__
from detector.commands import backtest, explain, limits, run, serve
from detector.core.environment import Environment
from detector.errors import ExitStatus, SlowburnError

if TYPE_CHECKING:
    from _typeshed import SupportsWrite  # what argparse's own _print_message takes

COMMANDS: dict[str, ModuleType] = {"run": run, "backtest": backtest, "serve": serve, "explain": explain, "limits": limits}
"""Each command module has HELP, ``add_arguments(parser)`` and ``execute(args, env) -> ExitStatus``."""


def build_parser(env: Environment | None = None) -> argparse.ArgumentParser:
    """The argument parser; its messages go to ``env``'s streams (help and version to stdout)."""
    out = env.stdout if env else sys.stdout
    err = env.stderr if env else sys.stderr

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:  # one line, exit 2, like every other user error
            self.exit(ExitStatus.USAGE, f"slowburn: error: {message} (see --help)\n")

        def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
            if message:
                (out if file is sys.stdout else err).write(message)

    parser = Parser(prog="slowburn", description="Find slow-building configuration risk in Prometheus history.")
    parser.add_argument("--version", action="version", version=f"slowburn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name, module in COMMANDS.items():
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.HELP))
    return parser


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    env = env or Environment()
    try:
        args = build_parser(env).parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) and usage errors (2)
        return int(exc.code or 0)
    try:
        return int(COMMANDS[args.command].execute(args, env))
    except SlowburnError as exc:
        print(f"slowburn: error: {exc}", file=env.stderr)
        return int(exc.exit_status)
    except KeyboardInterrupt:
        print("slowburn: interrupted", file=env.stderr)
        return int(ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitStatus.OK)


if __name__ == "__main__":
    sys.exit(main())
