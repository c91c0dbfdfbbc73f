"""The audio tests share numpy references from ``audio_refs.py`` in this folder."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
