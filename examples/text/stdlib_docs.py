"""A real text corpus that every Python installation has offline: the docstrings of the standard library.

Docstrings are read from the library's source files with :mod:`ast` (nothing is imported or executed),
in a fixed order, so every machine with the same Python version gets the same corpus.
"""

from __future__ import annotations

import ast
import glob
import os

STDLIB = os.path.dirname(os.__file__)
PACKAGES = ("asyncio", "email", "importlib", "logging", "unittest", "xml")


def docstrings(package):
    """Every module, class and function docstring in ``package`` (test folders left out), in file order."""
    out = []
    root = os.path.join(STDLIB, package)
    for path in sorted(glob.glob(os.path.join(root, "**", "*.py"), recursive=True)):
        if os.sep + "test" in path[len(root):]:
            continue
        with open(path, encoding="utf-8") as f:
            try:
                tree = ast.parse(f.read())
            except SyntaxError:
                continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                if doc and len(doc) >= 20:
                    out.append(" ".join(doc.split()))
    return out


def corpus_text(packages=PACKAGES):
    """All docstrings of ``packages`` as one text, one paragraph per docstring."""
    return "\n\n".join(d for p in packages for d in docstrings(p)) + "\n"
