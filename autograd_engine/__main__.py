"""``python -m autograd_engine``: the training command (see ``autograd_engine.cli``)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m autograd_engine`` and the ``autograd-engine`` script."""
    from autograd_engine.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
