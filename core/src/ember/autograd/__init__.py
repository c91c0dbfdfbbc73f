"""Automatic differentiation: the graph engine, grad modes, custom functions and anomaly detection.

Example:
    >>> import ember
    >>> x = ember.tensor([2.0, 3.0], requires_grad=True)
    >>> y = (x ** 2 + 3 * x).sum(); y.backward(); x.grad
    tensor([7., 9.])
"""

import importlib as _importlib

from ._engine import RemovableHandle, backward, grad
from .anomaly_mode import detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled,
)
from .node import Op
from .variable import Variable
from ._gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402  (imports the engine)

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled", "Op", "RemovableHandle", "Function", "FunctionCtx",
           "once_differentiable", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "gradcheck", "gradgradcheck", "GradcheckError", "functional", "Variable",
           "graph", "forward_ad"]


def __getattr__(name):
    if name in ("functional", "profiler", "graph", "forward_ad"):
        return _importlib.import_module(f"ember.autograd.{name}")
    raise AttributeError(f"module 'ember.autograd' has no attribute '{name}'")

from .graph_check import GraphGrowthCheck, GraphGrowthWarning  # noqa: E402

__all__ += ["GraphGrowthCheck", "GraphGrowthWarning"]
