"""Helpers for training: gradient clipping, parameter/vector conversion, packed sequences."""

from . import rnn  # noqa: F401
from .clip_grad import *  # noqa: F401,F403
from .convert_parameters import *  # noqa: F401,F403
