"""Command line: ``python -m sim <verb> ...``.

Each verb parses its flags, calls a public function of the Python API and
prints; ``sim.analysis`` and ``sim.experiment`` do the work.

Exit status: 0 on success, 2 on bad input (a file, a field or a flag; the
message names it), 1 on an internal failure (a bug: please report it with the
traceback), 130 when interrupted.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

from sim.cli._parser import build_parser
from sim.cli._shared import Handler, whole_number
from sim.config import ConfigError

__all__ = ["build_parser", "main", "whole_number"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m sim``; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a bad flag (2, message already printed)
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    handler: Handler = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`: not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except KeyboardInterrupt:
        print("interrupted: no results were written", file=sys.stderr)
        return 130
    except Exception:
        traceback.print_exc()
        print(
            "internal error: this is a bug in salespulse; please report it with the traceback above",
            file=sys.stderr,
        )
        return 1
