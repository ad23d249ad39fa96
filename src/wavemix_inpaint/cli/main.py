"""Entry point of the ``wavemix-inpaint`` command.

Each sub-command lives in its own module under :mod:`wavemix_inpaint.cli` and exposes

* ``HELP``: a one-line description,
* ``add_arguments(parser)``: declares its options (cheap: no heavy imports at module level),
* ``run(args) -> int``: does the work and returns the exit code.

Errors derived from :class:`~wavemix_inpaint.errors.WavemixError` are printed as a single
``error: ...`` line with a non-zero exit code instead of a traceback; so is an ``OSError`` about a named path
(a file name too long, a folder without permission), exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from wavemix_inpaint.errors import WavemixError

COMMANDS: tuple[str, ...] = (
    "benchmark",
    "demo",
    "evaluate",
    "export",
    "inpaint",
    "masks",
    "models",
    "reproduce",
    "serve",
    "train",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wavemix-inpaint",
        description="Resource-efficient image inpainting with WaveMix.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"wavemix_inpaint.cli.{name}")
        sub = subparsers.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except WavemixError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except OSError as error:
        if error.filename is None:  # not about a path the user gave: a bug, keep the traceback
            raise
        # the file system refused a path (a name too long, no permission, a read-only disk): the user's to fix
        print(f"error: {error.filename}: {error.strerror or error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
