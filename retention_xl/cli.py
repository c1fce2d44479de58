"""The ``retention-xl`` command line.

Each face registers its sub-commands through a small module listed in
``COMMAND_MODULES``; those modules import their heavy libraries only inside the
command that needs them, so ``retention-xl --help`` stays fast. A user error
(:class:`RetentionInputError`) prints one line and exits with status 2: never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import RetentionInputError

#: Modules with ``register(subparsers)``; each adds its commands.
COMMAND_MODULES = [
    "retention_xl.commands.core",
    "retention_xl.commands.excel",
    "retention_xl.commands.workbook",
    "retention_xl.commands.widgets",
    "retention_xl.commands.logs",
]

EXIT_USER_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="retention-xl",
        description="Customer retention, churn and what better retention is worth.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        return int(args.handler(args) or 0)
    except RetentionInputError as error:
        print(f"retention-xl: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        print(f"retention-xl: {error.strerror}: {error.filename}", file=sys.stderr)
        return EXIT_USER_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
