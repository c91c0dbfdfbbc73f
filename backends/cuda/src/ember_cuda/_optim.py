"""Optimizer updates as one elementwise kernel per parameter (``kernels["optim.<name>"]``).

Each kernel does the whole chain of in-place steps the portable update runs as separate
array operations (``ember.optim.SGD``/``Adam``), with the hyperparameters in the parameter's
dtype as there; the compiler may fuse a multiply and an add (one rounding instead of two), as
torch's CUDA kernels do. A function returns False where it does not apply (a dtype other than
float32/float64, non-contiguous arrays), and the optimizer then runs its portable update.
"""

from __future__ import annotations

import cupy
import numpy

_FLOATS = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))

_sgd_plain = cupy.ElementwiseKernel("T g, T lr", "T p", "p -= lr * g", "ember_sgd")
_sgd_momentum = cupy.ElementwiseKernel(
    "T g, T lr, T momentum, T keep, bool damped, bool nesterov", "T p, T buf",
    """
    buf = buf * momentum + (damped ? keep * g : g);
    p -= lr * (nesterov ? g + momentum * buf : buf);
    """,
    "ember_sgd_momentum")

_ADAM = """
    m = w1 < (T)0.5 ? m + w1 * (g - m) : g - (g - m) * ((T)1 - w1);  // lerp_(g, 1 - beta1), torch's two forms
    v = v * beta2 + (w2 * g) * g;
    {vm}
    p -= m / (sqrt({vmax}) / bc2_sqrt + eps) * step_size;
"""
_adam = cupy.ElementwiseKernel(
    "T g, T w1, T beta2, T w2, T bc2_sqrt, T eps, T step_size", "T p, T m, T v",
    _ADAM.format(vm="", vmax="v"), "ember_adam")
_adam_amsgrad = cupy.ElementwiseKernel(
    "T g, T w1, T beta2, T w2, T bc2_sqrt, T eps, T step_size", "T p, T m, T v, T vmax",
    _ADAM.format(vm="vmax = max(vmax, v);", vmax="vmax"), "ember_adam_amsgrad")


def _fits(*arrays):
    dtype = arrays[0].dtype
    return dtype in _FLOATS and all(a.dtype == dtype and a.flags.c_contiguous for a in arrays)


def sgd(p, g, buf, lr, momentum, dampening, nesterov):
    """``p -= lr * g``, or with ``buf`` the momentum step (the buffer already holds a gradient)."""
    arrays = (p, g) if buf is None else (p, g, buf)
    if not _fits(*arrays):
        return False
    t = p.dtype.type
    if buf is None:
        _sgd_plain(g, t(lr), p)
    else:
        _sgd_momentum(g, t(lr), t(momentum), t(1 - dampening), dampening != 0, bool(nesterov), p, buf)
    return True


def adam(p, g, m, v, v_max, lr, beta1, beta2, eps, step):
    """One Adam step on ``p`` and its moments (``v_max`` None: no amsgrad)."""
    arrays = (p, g, m, v) if v_max is None else (p, g, m, v, v_max)
    if not _fits(*arrays):
        return False
    t = p.dtype.type
    scalars = (t(1 - beta1), t(beta2), t(1 - beta2), t((1 - beta2**step) ** 0.5), t(eps), t(lr / (1 - beta1**step)))
    if v_max is None:
        _adam(g, *scalars, p, m, v)
    else:
        _adam_amsgrad(g, *scalars, p, m, v, v_max)
    return True


KERNELS = {"optim.sgd": sgd, "optim.adam": adam}
