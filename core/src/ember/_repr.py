"""``repr(tensor)`` in torch's format: aligned columns, 4 decimals, scientific notation when needed,
``...`` summaries of big tensors, and ``dtype=`` / ``device=`` / ``grad_fn=`` suffixes.

The layout rules follow torch's printer: one formatter per tensor (per real and
imaginary part for complex), whose column width comes from the nonzero finite
values; rows wrap at ``linewidth``; suffixes wrap onto a new line when long.
"""

from __future__ import annotations

import math

import numpy as _np  # host-side: the values being printed

from . import _dtype

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}
PRINT_OPTS = dict(_PROFILES["default"], sci_mode=None)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Set how tensors print (like ``torch.set_printoptions``).

    Example:
        >>> import ember
        >>> ember.set_printoptions(precision=2); ember.tensor([1.2345])
        tensor([1.23])
        >>> ember.set_printoptions(profile="default")
    """
    if profile is not None:
        PRINT_OPTS.update(_PROFILES[profile])
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if v is not None:
            PRINT_OPTS[k] = v
    PRINT_OPTS["sci_mode"] = sci_mode


class _Formatter:
    """Formats the values of one tensor (or one part of a complex tensor) to a common width."""

    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode, self.sci_mode, self.width = True, False, 1
        p = PRINT_OPTS["precision"]
        flat = values.reshape(-1)
        if not floating:
            self.width = max((len(_plain(v)) for v in flat.tolist()), default=1)
            return
        finite = flat[_np.isfinite(flat) & (flat != 0)].astype(_np.float64)
        if finite.size:
            mags = _np.abs(finite)
            lo, hi = mags.min(), mags.max()
            self.int_mode = bool(_np.all(finite == _np.ceil(finite)))
            forced = PRINT_OPTS["sci_mode"]
            self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if forced is None else forced
            if self.sci_mode:
                lengths = [len(f"{v:.{p}e}") for v in finite.tolist()]
            elif self.int_mode:
                lengths = [len(f"{v:.0f}") + 1 for v in finite.tolist()]
            else:
                lengths = [len(f"{v:.{p}f}") for v in finite.tolist()]
            self.width = max(lengths)

    def __call__(self, value):
        if not self.floating:
            s = _plain(value)
        elif self.sci_mode:
            s = f"{value:{self.width}.{PRINT_OPTS['precision']}e}"
        elif self.int_mode:
            s = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            s = f"{value:.{PRINT_OPTS['precision']}f}"
        return s.rjust(self.width)


def _plain(v):
    return str(v)


def _complex_formatter(real, imag):
    def fmt(v):
        im = (imag(v.imag) + "j").lstrip()
        return real(v.real) + (im if im[0] in "+-" else "+" + im)

    fmt.width = real.width + imag.width + 1
    return fmt


def _summarized(a, edge):
    """The values that will be shown: the first and last ``edge`` entries along every dimension."""
    if a.ndim == 0:
        return a
    return a[_np.ix_(*[_np.r_[0:edge, n - edge:n] if n > 2 * edge else _np.arange(n) for n in a.shape])]


def _vector(a, indent, summarize, fmt, width):
    edge = PRINT_OPTS["edgeitems"]
    per_line = max(1, int((PRINT_OPTS["linewidth"] - indent) // (width + 2)))
    values = a.tolist()
    if summarize and len(values) > 2 * edge:
        items = [fmt(v) for v in values[:edge]] + [" ..."] + [fmt(v) for v in values[-edge:]]
    else:
        items = [fmt(v) for v in values]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a, indent, summarize, fmt, width):
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt, width)
    edge = PRINT_OPTS["edgeitems"]
    n = a.shape[0]
    if summarize and n > 2 * edge:
        rows = list(range(edge)) + [None] + list(range(n - edge, n))
    else:
        rows = range(n)
    parts = ["..." if i is None else _nested(a[i], indent + 1, summarize, fmt, width) for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def format_data(host, dtype, indent):
    """The bracketed body of a tensor's repr for host array ``host`` of ember dtype ``dtype``."""
    summarize = host.size > PRINT_OPTS["threshold"]
    sample = _summarized(host, PRINT_OPTS["edgeitems"]) if summarize else host
    if dtype.category == 3:
        re, im = _Formatter(sample.real, True), _Formatter(sample.imag, True)
        fmt = _complex_formatter(re, im)
        width = fmt.width
    else:
        floating = dtype.category == 2
        values = sample.astype(_np.float64) if floating else sample
        fmt = _Formatter(values, floating)
        width = fmt.width
        if floating:
            host = host.astype(_np.float64)
    if host.ndim == 0:
        return fmt(host.item())
    return _nested(host, indent, summarize, fmt, width)


def _add_suffixes(body, suffixes, indent):
    out = [body]
    last = len(body) - body.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > PRINT_OPTS["linewidth"]:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    return "".join(out) + ")"


def _shows_device(t):
    from ._tensor import _default_device

    dev = t.device
    default_type = str(_default_device[0]).partition(":")[0]
    if dev.type != default_type:
        return True
    be = t._be
    return be.indexed and dev.index != be.current_index()


def tensor_repr(t):
    """``repr(t)``, exactly as torch prints the same values.

    Example:
        >>> import ember
        >>> ember.tensor([[1.0, -2.5], [1e-5, 4.0]])
        tensor([[ 1.0000e+00, -2.5000e+00],
                [ 1.0000e-05,  4.0000e+00]])
    """
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    default = _dtype.get_default_dtype()
    if _shows_device(t):
        suffixes.append(f"device='{t.device}'")
    if t.numel() == 0:
        if t.ndim != 1:
            suffixes.append(f"size={tuple(t.shape)}")
        if t.dtype is not default:
            suffixes.append(f"dtype={t.dtype!r}")
        body = "[]"
    else:
        if t.dtype not in (default, default.to_complex(), _dtype.int64, _dtype.bool):
            suffixes.append(f"dtype={t.dtype!r}")
        host = t.detach()._host()
        if t.dtype is _dtype.bfloat16 or t.dtype is _dtype.float16:
            host = host.astype(_np.float32)
        body = format_data(host, t.dtype, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
