"""Doctest collection of ember_cuda: the modules past the loader need CuPy, so skip them without it."""

import importlib.util

collect_ignore_glob = [] if importlib.util.find_spec("cupy") else ["src/ember_cuda/_*.py"]
