"""``python -m benchmarks``: the suite's command line (see ``benchmarks/run.py``)."""

import sys

from benchmarks.run import main

sys.exit(main())
