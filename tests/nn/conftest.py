"""Test setup for ``nn``: puts this folder on ``sys.path`` so the tests can import the shared
oracle helpers (``nn_oracle``) under ``--import-mode=importlib``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
