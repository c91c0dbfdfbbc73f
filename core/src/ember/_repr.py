"""``repr(tensor)`` in torch's format: aligned columns, 4 decimals, scientific when needed."""

from __future__ import annotations

import math

import numpy as _np

from . import _dtype

PRINT_OPTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Set how tensors print (like ``torch.set_printoptions``).

    Example:
        >>> import ember
        >>> ember.set_printoptions(precision=2); ember.tensor([1.2345])
        tensor([1.23])
        >>> ember.set_printoptions(profile="default")
    """
    if profile == "default":
        PRINT_OPTS.update(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)
    elif profile == "full":
        PRINT_OPTS.update(threshold=math.inf)
    elif profile == "short":
        PRINT_OPTS.update(precision=2, threshold=1000, edgeitems=2)
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if v is not None:
            PRINT_OPTS[k] = v
    PRINT_OPTS["sci_mode"] = sci_mode


def _formatter(values, dtype):
    p = PRINT_OPTS["precision"]
    if dtype is _dtype.bool:
        return lambda v: "True" if v else "False"
    if dtype.category == 1:
        return lambda v: str(int(v))
    finite = values[_np.isfinite(values)] if values.size else values
    nonzero = _np.abs(finite[finite != 0]).astype(_np.float64)
    int_mode = bool(finite.size) and bool(_np.all(finite == _np.round(finite)))
    sci = False
    if nonzero.size:
        mx, mn = nonzero.max(), nonzero.min()
        if int_mode:
            sci = mx > 1e8
        else:
            sci = mx / mn > 1000.0 or mx > 1e8 or mn < 1e-4
    if PRINT_OPTS["sci_mode"] is not None:
        sci = PRINT_OPTS["sci_mode"]

    def fmt(v):
        v = float(v)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if sci:
            return f"{v:.{p}e}"
        if int_mode:
            return f"{v:.0f}."
        return f"{v:.{p}f}"

    return fmt


def _format_complex(fmt_re, fmt_im):
    def f(v):
        im = fmt_im(abs(v.imag))
        sign = "-" if v.imag < 0 else "+"
        return f"{fmt_re(v.real)}{sign}{im}j"
    return f


def _summarize(a, edge):
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * edge:
        return None
    return a


def _strings(a, fmt, summarize, edge):
    """Nested lists of formatted element strings (with '...' where summarised)."""
    if a.ndim == 0:
        return fmt(a.item() if hasattr(a, "item") else a)
    n = a.shape[0]
    if summarize and n > 2 * edge:
        return [_strings(a[i], fmt, summarize, edge) for i in range(edge)] + ["..."] + \
               [_strings(a[i], fmt, summarize, edge) for i in range(n - edge, n)]
    return [_strings(a[i], fmt, summarize, edge) for i in range(n)]


def _width(s):
    if isinstance(s, str):
        return len(s) if s != "..." else 0
    return max((_width(x) for x in s), default=0)


def _render(s, width, indent, ndim):
    if isinstance(s, str):
        return s.rjust(width)
    if ndim == 1:
        items = [x.rjust(width) if x != "..." else "..." for x in s]
        linewidth = PRINT_OPTS["linewidth"]
        per_line = max(1, (linewidth - indent) // (width + 2))
        if len(items) > per_line:
            lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
            return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
        return "[" + ", ".join(items) + "]"
    sep = "," + "\n" * (ndim - 1) + " " * (indent + 1)
    parts = [("..." if x == "..." else _render(x, width, indent + 1, ndim - 1)) for x in s]
    return "[" + sep.join(parts) + "]"


def format_data(host, dtype, indent):
    total = host.size
    summarize = total > PRINT_OPTS["threshold"]
    edge = PRINT_OPTS["edgeitems"]
    if dtype.category == 3:
        vals = host.reshape(-1)
        fre = _formatter(vals.real, _dtype.float64)
        fim = _formatter(vals.imag, _dtype.float64)
        fmt = _format_complex(fre, fim)
    else:
        sample = host
        if summarize and host.ndim:
            sl = tuple(_np.r_[0:min(edge, s), max(s - edge, 0):s] for s in host.shape)
            sample = host[_np.ix_(*sl)]
        fmt = _formatter(_np.asarray(sample, dtype=_np.float64) if dtype.category >= 2 else sample, dtype)
    strs = _strings(host, fmt, summarize, edge)
    if host.ndim == 0:
        return strs
    return _render(strs, _width(strs), indent, host.ndim)


def tensor_repr(t):
    host = t.detach()._host()
    if t.dtype is _dtype.bfloat16:
        host = host.astype(_np.float32)
    prefix = "tensor("
    suffix = []
    if t.numel() == 0 and t.ndim != 1:
        body = "[]"
        suffix.append(f"size={tuple(t.shape)}")
    else:
        body = format_data(host, t.dtype, len(prefix))
    if t.device.type != "cpu":
        suffix.append(f"device='{t.device}'")
    default_float = _dtype.get_default_dtype()
    if t.dtype not in (default_float, _dtype.int64, _dtype.bool) and not (t.dtype is default_float.to_complex()):
        suffix.append(f"dtype={t.dtype!r}")
    elif t.numel() == 0 and t.dtype is not default_float and t.ndim == 1:
        suffix.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffix.append("requires_grad=True")
    return prefix + ", ".join([body] + suffix) + ")"
