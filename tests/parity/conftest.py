"""Makes ``parity_programs`` (the programs shared by ember and torch) importable by the tests."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
