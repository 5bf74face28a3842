"""The ``simulate`` command's entry point, kept free of heavy imports: Ctrl-C while numpy, scipy
and pandas load is one line and status 130, like Ctrl-C during a run (see :mod:`simulator.cli`)."""

import sys


def main(argv: list[str] | None = None) -> int:
    try:
        from .cli import main as cli_main
    except KeyboardInterrupt:
        print("simulate: interrupted", file=sys.stderr)
        return 130
    return cli_main(argv)
