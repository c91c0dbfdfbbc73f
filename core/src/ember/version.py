"""``ember.version``: build information in torch's layout (a CPU/numpy build: no CUDA/HIP toolkit is baked in).

``cuda``, ``hip``, ``rocm`` and ``xpu`` are None like a CPU-only torch build; Ember reaches GPUs at run time
through the CuPy backend plugin instead (see ``ember.cuda.is_available()``).

Example:
    >>> import ember
    >>> ember.version.cuda is None, ember.version.__version__ >= "0.1"
    (True, True)
"""

from __future__ import annotations

import re

__all__ = ["__version__", "cuda", "debug", "git_version", "hip", "rocm", "xpu", "TorchVersion"]

_PRE_RELEASE = re.compile(r"[._-]?(dev|a|alpha|b|beta|c|rc|pre|preview)", re.IGNORECASE)


def _version_key(text):
    """A sort key for a version: (release numbers without trailing zeros, rank, suffix); None if not a version."""
    match = re.fullmatch(r"v?(\d+(?:\.\d+)*)(.*)", text.strip())
    if match is None:
        return None
    release = [int(p) for p in match.group(1).split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    rest = match.group(2)
    rank = 1 if not rest else 0 if _PRE_RELEASE.match(rest) else 2  # pre-releases < release < post/local
    return tuple(release), rank, rest


class TorchVersion(str):
    """A version string that also compares as a version with strings and tuples (``v >= "0.1"``, ``v > (0, 0, 9)``).

    Strings that are not versions fall back to plain string comparison.

    Example:
        >>> from ember.version import TorchVersion
        >>> v = TorchVersion("1.10.0")
        >>> v > "1.9", v >= (1, 10), v == "1.10", v < "1.10.1rc1"
        (True, True, True, True)
    """

    __slots__ = ()

    def _keys(self, other):
        if isinstance(other, (tuple, list)):
            other = ".".join(str(p) for p in other)
        if not isinstance(other, str):
            return None
        mine, theirs = _version_key(self), _version_key(other)
        return None if mine is None or theirs is None else (mine, theirs)

    def _compare(self, other, op, fallback):
        keys = self._keys(other)
        if keys is None:
            return fallback(self, other)
        return op(*keys)

    def __eq__(self, other):
        return self._compare(other, lambda a, b: a == b, str.__eq__)

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b, str.__lt__)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b, str.__le__)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b, str.__gt__)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b, str.__ge__)

    __hash__ = str.__hash__


__version__ = TorchVersion("0.1.0")
cuda = None
hip = None
rocm = None
xpu = None
debug = False
git_version = "Unknown"
