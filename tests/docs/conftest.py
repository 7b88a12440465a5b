"""The docs tests import their Markdown reader, ``doc_blocks``, by name."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
