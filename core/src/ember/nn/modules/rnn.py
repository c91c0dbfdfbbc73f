"""Recurrent layers: RNN, LSTM and GRU over whole sequences, and their one-step cells.

Speed: the recurrence of each direction is one primitive (:class:`_Scan`) that owns the layer's
input projection too: a Python loop over time on backend arrays, with the exact backward
(backpropagation through time) written on arrays as well. Composed from Ember ops, one LSTM
step costs about 15 graph nodes forward and as many backward; per-step op overhead would
dominate the small matmuls of typical layers. The LSTM and Elman scans multiply each step's
rows ``[previous state | x | 1]`` by the stacked weights, one product per step for the whole
pre-activation, and the same rows give every weight and bias gradient in one product after the
scan. The cell formulas (:func:`lstm_cell`, :func:`gru_cell`, :func:`rnn_cell`) serve the cells
and the scans' Ember-op form; :func:`gru_cell` and :func:`rnn_cell` are generic over arrays and
tensors and also run the array scans (the LSTM scan fuses its four gate activations into one
tanh). A backward that must itself be differentiable (``create_graph=True``) re-runs the scan
in Ember ops and differentiates that.

Packed sequences run natively: the rows of step ``t`` are the first ``batch_sizes[t]`` rows
of the state, so a padded batch is simply the packed case with equal batch sizes.
"""

from __future__ import annotations

import itertools
import math
import numbers
import warnings

from ... import _creation
from ..._tensor import _make, apply
from ...autograd import _state
from ...autograd.node import Op
from ...ops.join import cat, stack
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


# --- the cell formulas, generic over backend arrays and Ember tensors ------------------------
class _TensorMath:
    sigmoid = staticmethod(lambda t: t.sigmoid())
    tanh = staticmethod(lambda t: t.tanh())
    relu = staticmethod(lambda t: t.relu())


class _ArrayMath:
    def __init__(self, xp):
        self.xp = xp

    def sigmoid(self, a):
        return 0.5 * self.xp.tanh(0.5 * a) + 0.5  # numpy's float32 tanh is vectorised, exp several times slower

    def tanh(self, a):
        return self.xp.tanh(a)

    def relu(self, a):
        return self.xp.where(a > 0, a, self.xp.zeros((), dtype=a.dtype))


def lstm_cell(pre, c):
    """One LSTM step on tensors: ``(o * tanh(c'), c')`` with ``c' = f * c + i * g`` from gate pre-activations.

    ``pre`` holds the i, f, g, o blocks (torch's order); :class:`_LSTMScan` evaluates the same on arrays.

    Example:
        >>> import ember
        >>> lstm_cell(ember.zeros(1, 4), ember.ones(1, 1))
        (tensor([[0.2311]]), tensor([[0.5000]]))
    """
    n = c.shape[-1]
    s = pre.sigmoid()
    c2 = s[..., n:2 * n] * c + s[..., :n] * pre[..., 2 * n:3 * n].tanh()
    return s[..., 3 * n:] * c2.tanh(), c2


def gru_cell(m, xg, hg, h):
    """One GRU step ``(h', (sigmoid([r, z]), n))`` with torch's ``n = tanh(x_n + r * (W_hn h + b_hn))``.

    ``xg`` and ``hg`` are the input and hidden projections (r, z, n blocks, biases included).

    Example:
        >>> import ember
        >>> gru_cell(_TensorMath, ember.zeros(1, 3), ember.zeros(1, 3), ember.ones(1, 1))[0]
        tensor([[0.5000]])
    """
    n = h.shape[-1]
    rz = m.sigmoid(xg[..., :2 * n] + hg[..., :2 * n])
    new = m.tanh(xg[..., 2 * n:] + rz[..., :n] * hg[..., 2 * n:])
    return new + rz[..., n:] * (h - new), (rz, new)


def rnn_cell(m, pre, nonlinearity):
    """One Elman step: ``tanh(pre)`` or ``relu(pre)``.

    Example:
        >>> import ember
        >>> rnn_cell(_TensorMath, ember.tensor([-1.0, 2.0]), "relu")
        tensor([0., 2.])
    """
    return m.tanh(pre) if nonlinearity == "tanh" else m.relu(pre)


# --- the fused scans ------------------------------------------------------------------------------
def _schedule(batch_sizes, reverse):
    """``(first row, number of rows)`` of each step of a packed sequence, in processing order."""
    offsets = itertools.accumulate([0] + batch_sizes[:-1])
    steps = list(zip(offsets, batch_sizes))
    return steps[::-1] if reverse else steps


def _rows(state, bs):
    return state if bs == state.shape[0] else state[:bs, ...]


def _merge(xp, new, state):
    """The state with its first rows replaced by ``new`` (a new array: saved states are never written)."""
    return new if new.shape[0] == state.shape[0] else xp.concat([new, state[new.shape[0]:, ...]], axis=0)


def _row_major(xp, a):
    """A C-ordered copy of a transposed weight: BLAS multiplies by it about 1.5x faster than by the view."""
    return xp.reshape(xp.reshape(a, (-1,)), a.shape)


def _t(xp, a):
    return xp.permute_dims(a, (1, 0))


def _stacked(xp, *weights, bias, gates=1):
    """``[W_1^T; W_2^T; ...; bias]`` cut by gate into C-ordered blocks ``(gates, rows, size)``.

    A row ``[v_1 | v_2 | ... | 1]`` times block ``j`` is gate ``j`` of ``sum v_k W_k^T + bias``. BLAS
    multiplies by a C-ordered block about 1.5x faster than by a transposed view.
    """
    size = bias.shape[0] // gates
    out = xp.empty((gates, sum(w.shape[1] for w in weights) + 1, size), dtype=bias.dtype)
    row = 0
    for w in weights:
        out[:, row:row + w.shape[1], :] = xp.permute_dims(xp.reshape(w, (gates, size, w.shape[1])), (0, 2, 1))
        row += w.shape[1]
    out[:, row, :] = xp.reshape(bias, (gates, size))
    return out


class _Scan(Op):
    """One direction of one recurrent layer over a packed sequence, as one node.

    Inputs ``(x, w_ih, w_hh, b_ih, b_hh, h0, *extra)``: ``x`` the rows of the packed sequence
    ``(N, I)``, the layer's weights and biases (zeros for a layer without biases), ``h0`` the
    initial state ``(B, H)``. Outputs: every row's hidden state ``(N, H)`` and the final state(s).

    The forward lays every row out once as ``z = [previous state | x | 1]`` (the state part
    written as the scan reaches the row): the LSTM and Elman scans multiply each step's rows of
    ``z`` by the stacked ``[W_hh^T; W_ih^T; b_ih + b_hh]``, so one product per step gives the
    whole pre-activation (an input wider than the state is projected for every row first, see
    :meth:`_per_step`), and after the scan ``d_pre^T @ z`` gives the weight and bias gradients. Subclasses give ``run`` (forward on arrays, keeping each step's intermediates),
    ``grads`` (the exact BPTT on arrays) and ``step`` (one step in Ember ops). The LSTM writes its
    outputs and gradients into whole buffers as it goes (:meth:`Backend.into`); the others keep
    per-step arrays in lists and join them once.
    """

    save_inputs = True

    def forward(self, be, *args):
        *arrays, self.steps, self.option = args
        self.be = be
        self.keep = _state.grad_enabled  # whether to keep what the backward reads
        return self.run(be.xp, *arrays)

    def backward(self, *grads):
        if _state.grad_enabled:
            return self._differentiable_backward(grads)
        inputs = self.saved()
        like = inputs[0]
        arrays = [None if g is None else g._data for g in grads]
        out = self.grads(self.be.xp, [t._data for t in inputs], *arrays)
        return tuple(None if a is None or e is None else _make(a, like._be, like._device, like.dtype)
                     for a, e in zip(out, self.next))

    def _differentiable_backward(self, grads):
        from ...autograd import grad

        inputs = self.saved()
        wanted = [i for i, e in enumerate(self.next) if e is not None]
        pairs = [(o, g) for o, g in zip(self.composed(*inputs), grads) if g is not None]
        got = grad([o for o, _ in pairs], [inputs[i] for i in wanted], [g for _, g in pairs],
                   create_graph=True, allow_unused=True)
        out = [None] * len(inputs)
        for i, g in zip(wanted, got):
            out[i] = g
        return tuple(out)

    def composed(self, x, w_ih, w_hh, b_ih, b_hh, h0, *extra):
        """The same recurrence in Ember ops: a graph that can be differentiated again."""
        batch = h0.shape[0]
        xg = self.project(x, w_ih, b_ih, b_hh)
        states = (h0,) + self.extra_states(extra)
        outs = {}
        for off, bs in self.steps:
            rows = states if bs == batch else tuple(s[:bs] for s in states)
            out, new = self.step(xg[off:off + bs], rows, w_hh, b_hh, extra)
            states = new if bs == batch else tuple(cat([n, s[bs:]]) for n, s in zip(new, states))
            outs[off] = out
        return (cat([outs[k] for k in sorted(outs)]),) + states

    def project(self, x, w_ih, b_ih, b_hh):
        """The input side of every row's pre-activation, in Ember ops (both biases, as the cell adds them)."""
        return F.linear(x, w_ih, b_ih + b_hh)

    def extra_states(self, extra):
        return ()

    def _layout(self, xp, x, h0):
        """``z = [previous state | x | 1]`` for every row, its state part left to the scan."""
        n, i = h0.shape[-1], x.shape[-1]
        z = xp.empty((x.shape[0], n + i + 1), dtype=x.dtype)
        z[:, n:n + i] = x
        z[:, n + i] = 1
        self.z = z
        return z

    @staticmethod
    def _per_step(z, w, n):
        """``(cols, rest)``: each step multiplies its rows' first ``cols`` columns of ``z`` by as many rows of ``w``.

        An input no wider than the state is folded into that product (``rest`` is None); a wider one is
        projected for every row at once (``rest``, added per step), as its share of a small per-step
        product would cost more than one large product.
        """
        if z.shape[-1] - n - 1 <= n:
            return z.shape[-1], None
        return n, z[:, n:] @ w[..., n:, :]

    def _input_grads(self, xp, d_x, d_h, w_ih):
        """``(dx, dw_ih, dw_hh, db_ih)`` from the gradients of every row's input-side and hidden-side pre-activations."""
        z, n = self.z, self.z.shape[-1] - w_ih.shape[-1] - 1
        dx = d_x @ w_ih if self.next[0] else None
        if not any(self.next[1:4]):
            return dx, None, None, None
        if d_x is d_h:  # one product gives [dw_hh | dw_ih | db]: the column of ones sums the rows
            full = _t(xp, d_x) @ z
            dw_hh, dwb = self.be.copy(full[:, :n]), full[:, n:]
        else:
            dw_hh, dwb = _t(xp, d_h) @ z[:, :n], _t(xp, d_x) @ z[:, n:]
        return dx, self.be.copy(dwb[:, :-1]), dw_hh, self.be.copy(dwb[:, -1])

    def _in_order(self, xp, per_step):
        """Per-step arrays (in processing order) stacked as rows in packed order."""
        if len(per_step) == 1:
            return per_step[0]
        order = per_step if self.steps[0][0] == 0 else per_step[::-1]
        return xp.concat(order, axis=0)

    @staticmethod
    def _initial(xp, g, like):
        return xp.zeros(like.shape, dtype=like.dtype) if g is None else g

    def _reaching(self, dh, g_out, k):
        """The gradient reaching the output rows of step ``k``: from the next state and from the output."""
        off, bs = self.steps[k]
        d = _rows(dh, bs)
        return d if g_out is None else d + g_out[off:off + bs, ...]

    def _state_grads_wanted(self, k):
        """Whether step ``k``'s gradient must go on to its previous states (always, but for the first step)."""
        return k > 0 or any(self.next[5:7])


class _LSTMScan(_Scan):
    """LSTM scan; extra inputs ``(c0,)`` or ``(c0, w_hr)`` with a projection.

    The array forward evaluates :func:`lstm_cell` with one tanh for all four gates:
    ``sigmoid(x) = tanh(x / 2) / 2 + 1 / 2``, so with ``t = tanh(scale * pre)`` the activations
    are ``scale * t + shift`` (scale 1/2 and shift 1/2 on i, f, o; 1 and 0 on g); the scales sit
    in the stacked weight's columns. The step's product comes out gate-major, ``(4, B, H)``, every
    gate a contiguous block. For the backward each step keeps ``m``: every gate's partner in the
    cell (g for i, the previous cell for f, i for g, tanh of the new cell for o) times the gate's
    slope, so a gate's pre-activation gradient is one product with ``m``; the gradients are written
    row-major, ``(N, 4H)``, so that the state's gradient is one product per step.
    """

    def run(self, xp, x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr=None):
        be = self.be
        n, hs = c0.shape[-1], h0.shape[-1]
        gate_scale = xp.full((4, 1, n), 0.5, dtype=x.dtype)
        gate_scale[2, ...] = 1
        scale = gate_scale * xp.ones((4, h0.shape[0], n), dtype=x.dtype)  # whole blocks: numpy broadcasts slowly
        shift, slope_scale = 1 - scale, scale * scale
        z = self._layout(xp, x, h0)
        w = _stacked(xp, w_hh, w_ih, bias=b_ih + b_hh, gates=4)
        w *= gate_scale
        cols, rest = self._per_step(z, w, hs)
        wr_t = None if w_hr is None else _row_major(xp, _t(xp, w_hr))
        out = xp.empty((x.shape[0], hs), dtype=x.dtype)
        h, c = h0, c0
        self.kept = kept = []
        for off, bs in self.steps:
            hp, cp = _rows(h, bs), _rows(c, bs)
            z[off:off + bs, :hs] = hp
            u = z[off:off + bs, :cols] @ w[:, :cols, :]  # (4, bs, n): the gates i, f, g, o, each a contiguous block
            if rest is not None:
                u += rest[:, off:off + bs, :]
            u = be.into(u, xp.tanh, u)
            u *= scale[:, :bs, :]  # the activations before their shift: the slope is sc^2 - u^2
            a = u + shift[:, :bs, :]
            i, f, g, o = a[0, ...], a[1, ...], a[2, ...], a[3, ...]
            c2 = f * cp
            c2 += i * g
            tc = xp.tanh(c2)
            rows = out[off:off + bs, ...]
            ht = o * tc if wr_t is not None else be.into(rows, xp.multiply, o, tc)
            if self.keep:  # what the backward reads, none of it a view of the output
                m = xp.reshape(xp.concat([g, cp, i, tc], axis=0), (4, bs, n))  # numpy's stack costs 8 us more
                u *= u
                m *= be.into(u, xp.subtract, slope_scale[:, :bs, :], u)
                p = ht * tc
                kept.append((m, be.into(p, xp.subtract, o, p), f, None if wr_t is None else ht))
            hn = ht if wr_t is None else be.into(rows, xp.matmul, ht, wr_t)
            h, c = _merge(xp, hn, h), _merge(xp, c2, c)
        return out, h, c

    def grads(self, xp, inputs, g_out, g_h, g_c):
        x, w_ih, w_hh, b_ih, b_hh, h0, c0, *w_hr = inputs
        be = self.be
        dh, dc = self._initial(xp, g_h, h0), self._initial(xp, g_c, c0)
        d_pre = xp.empty((x.shape[0], w_hh.shape[0]), dtype=x.dtype)  # row-major: one product per step, one after
        d_hn = []
        for k in range(len(self.steps) - 1, -1, -1):
            d = self._reaching(dh, g_out, k)
            off, bs = self.steps[k]
            m, p, f, ht = self.kept[k]
            if w_hr:
                d_hn.append(d)
                d = d @ w_hr[0]
            dcc = p * d  # the cell's gradient: o * tanh'(c) * d, plus the next step's
            dcc += _rows(dc, bs)
            ifg = m[:3, ...] * dcc
            dp = be.into(d_pre[off:off + bs, :], xp.concat, [ifg[0, ...], ifg[1, ...], ifg[2, ...], m[3, ...] * d], axis=1)
            if self._state_grads_wanted(k):
                dh, dc = _merge(xp, dp @ w_hh, dh), _merge(xp, dcc * f, dc)
        dx, dw_ih, dw_hh, db = self._input_grads(xp, d_pre, d_pre, w_ih)
        out = (dx, dw_ih, dw_hh, db, None if db is None or not self.next[4] else be.copy(db), dh, dc)
        if w_hr:
            d_hn.reverse()
            hts = self._in_order(xp, [kp[3] for kp in self.kept])
            out += (_t(xp, self._in_order(xp, d_hn)) @ hts if self.next[7] else None,)
        return out

    def extra_states(self, extra):
        return (extra[0],)

    def step(self, xg, states, w_hh, b_hh, extra):
        h, c = states
        ht, c2 = lstm_cell(xg + h @ w_hh.t(), c)
        if len(extra) > 1:
            ht = ht @ extra[1].t()
        return ht, (ht, c2)


class _GRUScan(_Scan):
    """GRU scan: the reset gate scales only the hidden side, so every row's input side is one product first."""

    def run(self, xp, x, w_ih, w_hh, b_ih, b_hh, h0):
        m = _ArrayMath(xp)
        n = h0.shape[-1]
        z = self._layout(xp, x, h0)
        xg = z[:, n:] @ _stacked(xp, w_ih, bias=b_ih)[0, ...]
        w_t = _row_major(xp, _t(xp, w_hh))
        h = h0
        self.kept = kept = []
        outs = []
        for off, bs in self.steps:
            hp = _rows(h, bs)
            z[off:off + bs, :n] = hp
            hg = hp @ w_t + b_hh
            h2, (rz, new) = gru_cell(m, xg[off:off + bs, ...], hg, hp)
            if self.keep:
                kept.append((rz, new, hg, hp))
            h = _merge(xp, h2, h)
            outs.append(h2)
        return self._in_order(xp, outs), h

    def grads(self, xp, inputs, g_out, g_h):
        x, w_ih, w_hh, b_ih, b_hh, h0 = inputs
        n = h0.shape[-1]
        dh = self._initial(xp, g_h, h0)
        d_x, d_hg = [], []
        for k in range(len(self.steps) - 1, -1, -1):
            d = self._reaching(dh, g_out, k)
            rz, new, hg, hp = self.kept[k]
            r, z = rz[:, :n], rz[:, n:]
            dn = d * (1 - z) * (1 - new * new)
            drz = xp.concat([dn * hg[:, 2 * n:], d * (hp - new)], axis=1) * (rz * (1 - rz))
            d_x.append(xp.concat([drz, dn], axis=1))
            d_hg.append(xp.concat([drz, dn * r], axis=1))
            if self._state_grads_wanted(k):
                dh = _merge(xp, d * z + d_hg[-1] @ w_hh, dh)
        d_x.reverse()
        d_hg.reverse()
        dhg = self._in_order(xp, d_hg)
        dx, dw_ih, dw_hh, db_ih = self._input_grads(xp, self._in_order(xp, d_x), dhg, w_ih)
        db_hh = xp.sum(dhg, axis=0) if self.next[4] else None
        return dx, dw_ih, dw_hh, db_ih, db_hh, dh

    def project(self, x, w_ih, b_ih, b_hh):
        return F.linear(x, w_ih, b_ih)

    def step(self, xg, states, w_hh, b_hh, extra):
        (h,) = states
        h2, _ = gru_cell(_TensorMath, xg, h @ w_hh.t() + b_hh, h)
        return h2, (h2,)


class _RNNScan(_Scan):
    """Elman scan (``option`` is the nonlinearity); no extra inputs."""

    def run(self, xp, x, w_ih, w_hh, b_ih, b_hh, h0):
        m = _ArrayMath(xp)
        n = h0.shape[-1]
        z = self._layout(xp, x, h0)
        w = _stacked(xp, w_hh, w_ih, bias=b_ih + b_hh)[0, ...]
        cols, rest = self._per_step(z, w, n)
        h = h0
        self.kept = kept = []
        for off, bs in self.steps:
            z[off:off + bs, :n] = _rows(h, bs)
            pre = z[off:off + bs, :cols] @ w[:cols, :]
            h2 = rnn_cell(m, pre if rest is None else pre + rest[off:off + bs, :], self.option)
            kept.append(h2)
            h = _merge(xp, h2, h)
        return self._in_order(xp, kept), h

    def grads(self, xp, inputs, g_out, g_h):
        x, w_ih, w_hh, b_ih, b_hh, h0 = inputs
        dh = self._initial(xp, g_h, h0)
        d_pre = []
        for k in range(len(self.steps) - 1, -1, -1):
            d = self._reaching(dh, g_out, k)
            out = self.kept[k]
            d_pre.append(d * (1 - out * out) if self.option == "tanh" else d * xp.astype(out > 0, out.dtype))
            if self._state_grads_wanted(k):
                dh = _merge(xp, d_pre[-1] @ w_hh, dh)
        d_pre.reverse()
        dpre = self._in_order(xp, d_pre)
        dx, dw_ih, dw_hh, db = self._input_grads(xp, dpre, dpre, w_ih)
        return dx, dw_ih, dw_hh, db, None if db is None or not self.next[4] else self.be.copy(db), dh

    def step(self, xg, states, w_hh, b_hh, extra):
        h2 = rnn_cell(_TensorMath, xg + states[0] @ w_hh.t(), self.option)
        return h2, (h2,)


_SCANS = {"LSTM": _LSTMScan, "GRU": _GRUScan, "RNN_TANH": _RNNScan, "RNN_RELU": _RNNScan}
_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


# --- the sequence layers ---------------------------------------------------------------------
def _uniform_init(module, hidden_size):
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0
    for w in module.parameters():
        init.uniform_(w, -bound, bound)


def _dtype_words(d):
    return f"ember.{d.name}"


class RNNBase(Module):
    """The shared machinery of :class:`RNN`, :class:`LSTM` and :class:`GRU` (``mode`` picks the cell).

    Parameters per layer ``k`` and direction (suffix ``_reverse``) are named as in torch:
    ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (and ``weight_hr_l{k}``
    for a projected LSTM), all drawn from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``.

    Example:
        >>> import ember, ember.nn as nn
        >>> m = nn.RNNBase("GRU", 3, 4, num_layers=2)
        >>> [name for name, _ in m.named_parameters()][:4]
        ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if mode not in _SCANS:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                          f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}")
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        gates = _GATES[mode] * hidden_size
        real_hidden = proj_size or hidden_size
        dirs = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for d in range(dirs):
                fan_in = input_size if layer == 0 else real_hidden * dirs
                shapes = [("weight_ih", (gates, fan_in)), ("weight_hh", (gates, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for stem, shape in shapes:
                    name = f"{stem}_l{layer}{'_reverse' if d else ''}"
                    setattr(self, name, Parameter(_creation.empty(shape, device=device, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw every weight and bias from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        _uniform_init(self, self.hidden_size)

    def flatten_parameters(self):
        """A no-op kept for torch compatibility (weights are never flattened into one buffer)."""

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        for name, default in (("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0.0),
                              ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s

    # --- forward ----------------------------------------------------------------------------
    def _state_shapes(self, batch):
        n = self.num_layers * (2 if self.bidirectional else 1)
        h = (n, batch, self.proj_size or self.hidden_size)
        return (h, (n, batch, self.hidden_size)) if self.mode == "LSTM" else (h,)

    def _check_input(self, input):
        w = self.weight_ih_l0
        if input.dtype is not w.dtype:
            raise ValueError(f"RNN input dtype ({_dtype_words(input.dtype)}) does not match weight dtype "
                             f"({_dtype_words(w.dtype)}). Convert input: input.to({_dtype_words(w.dtype)}), "
                             f"or convert model: model.to({_dtype_words(input.dtype)})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.shape[-1]}")

    def _hidden(self, hx, batch, like, batched):
        """The initial states as a tuple of ``(L * D, B, H)`` tensors (zeros when ``hx`` is None)."""
        shapes = self._state_shapes(batch)
        lstm = self.mode == "LSTM"
        if hx is None:
            return tuple(_creation.zeros(s, dtype=like.dtype, device=like.device) for s in shapes)
        states = tuple(hx) if lstm else (hx,)
        dims = tuple(s.ndim for s in states)
        want = 3 if batched else 2
        if any(d != want for d in dims):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            if lstm:
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                   f"({dims[0]}-D, {dims[1]}-D) tensors")
            raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {dims[0]}-D tensor")
        if not batched:
            states = tuple(s.unsqueeze(1) for s in states)
        for k, (s, shape) in enumerate(zip(states, shapes)):
            if tuple(s.shape) != shape:
                what = f"hidden[{k}]" if lstm else "hidden"
                raise RuntimeError(f"Expected {what} size {shape}, got {list(s.shape if batched else s.squeeze(1).shape)}")
        return states

    def forward(self, input, hx=None):
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes = input.data, input.batch_sizes.tolist()
            batch, batched = batch_sizes[0], True
            self._check_input(data)
            if hx is not None and input.sorted_indices is not None:
                hx = tuple(h.index_select(1, input.sorted_indices) for h in hx) if self.mode == "LSTM" \
                    else hx.index_select(1, input.sorted_indices)
        else:
            if input.ndim not in (2, 3):
                raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.ndim}D instead")
            self._check_input(input)
            batched = input.ndim == 3
            x = input if batched else input.unsqueeze(1)
            if self.batch_first and batched:
                x = x.transpose(0, 1)
            steps, batch = x.shape[0], x.shape[1]
            if steps == 0:
                raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
            batch_sizes = [batch] * steps
            data = x.reshape(steps * batch, x.shape[2])
        states = self._hidden(hx, batch, data, batched)
        out, finals = self._run(data, batch_sizes, states)
        finals = tuple(stack(f) for f in finals)
        if packed:
            if input.unsorted_indices is not None:
                finals = tuple(f.index_select(1, input.unsorted_indices) for f in finals)
            output = PackedSequence(out, input.batch_sizes, input.sorted_indices, input.unsorted_indices)
        else:
            output = out.reshape(steps, batch, out.shape[-1])
            if not batched:
                output = output.squeeze(1)
                finals = tuple(f.squeeze(1) for f in finals)
            elif self.batch_first:
                output = output.transpose(0, 1)
        return output, (finals if self.mode == "LSTM" else finals[0])

    def _run(self, data, batch_sizes, states):
        """Every layer and direction over packed rows ``data``; returns the top output and final states."""
        scan = _SCANS[self.mode]
        option = "relu" if self.mode == "RNN_RELU" else "tanh"
        dirs = 2 if self.bidirectional else 1
        schedules = [_schedule(batch_sizes, reverse=bool(d)) for d in range(dirs)]
        finals = [[] for _ in states]
        x = data
        if not self.bias:  # the scans take biases: zeros for every layer without them
            zeros = _creation.zeros(self.weight_ih_l0.shape[0], dtype=x.dtype, device=x.device)
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                idx = layer * dirs + d
                w = [getattr(self, n) for n in self._all_weights[idx]]
                weights = tuple(w[:4]) if self.bias else (w[0], w[1], zeros, zeros)
                extra = tuple(s[idx] for s in states[1:]) + ((w[-1],) if self.proj_size else ())
                res = apply(scan, (x,) + weights + (states[0][idx],) + extra, schedules[d], option)
                outs.append(res[0])
                for k, f in enumerate(res[1:]):
                    finals[k].append(f)
            x = outs[0] if dirs == 1 else cat(outs, 1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, finals


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu), stacked and optionally bidirectional.

    Input ``(L, N, H_in)`` (``(N, L, H_in)`` with ``batch_first``), ``(L, H_in)`` unbatched, or a
    :class:`~ember.nn.utils.rnn.PackedSequence`; returns ``(output, h_n)``.

    Example:
        >>> import ember, ember.nn as nn
        >>> rnn = nn.RNN(10, 20, 2)
        >>> out, h = rnn(ember.randn(5, 3, 10), ember.randn(2, 3, 20))
        >>> out.shape, h.shape
        (ember.Size([5, 3, 20]), ember.Size([2, 3, 20]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, proj_size=0):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, proj_size, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory, gates i, f, g, o as in torch; ``proj_size`` adds an output projection.

    Returns ``(output, (h_n, c_n))``.

    Example:
        >>> import ember, ember.nn as nn
        >>> lstm = nn.LSTM(10, 20, 2, batch_first=True)
        >>> out, (h, c) = lstm(ember.randn(3, 5, 10))
        >>> out.shape, h.shape, c.shape
        (ember.Size([3, 5, 20]), ember.Size([2, 3, 20]), ember.Size([2, 3, 20]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit, gates r, z, n as in torch (``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``).

    Example:
        >>> import ember, ember.nn as nn
        >>> gru = nn.GRU(10, 20, bidirectional=True)
        >>> out, h = gru(ember.randn(5, 3, 10))
        >>> out.shape, h.shape
        (ember.Size([5, 3, 40]), ember.Size([2, 3, 20]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None, proj_size=0):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)


# --- the cells -------------------------------------------------------------------------------------
class RNNCellBase(Module):
    """The parameters of a one-step cell: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``.

    Example:
        >>> import ember.nn as nn
        >>> nn.RNNCellBase(3, 4, True, num_chunks=4).weight_hh.shape
        ember.Size([16, 4])
    """

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        kw = dict(device=device, dtype=dtype)
        self.weight_ih = Parameter(_creation.empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(_creation.empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(_creation.empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(_creation.empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw every weight and bias from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        _uniform_init(self, self.hidden_size)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input, hx, n_states):
        """``(batched input, states or None, batched?)`` after torch's shape checks."""
        if input.ndim not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} expected {self.input_size}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        if hx is None:
            zeros = _creation.zeros((x.shape[0], self.hidden_size), dtype=x.dtype, device=x.device)
            return x, (zeros,) * n_states, batched
        states = tuple(hx) if n_states == 2 else (hx,)
        if not batched:
            states = tuple(s.unsqueeze(0) for s in states)
        for k, s in enumerate(states):
            if s.shape[0] != x.shape[0]:
                raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match hidden{k} batch size {s.shape[0]}")
            if s.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {s.shape[1]}, expected {self.hidden_size}")
        return x, states, batched

    def _projections(self, x, h):
        return F.linear(x, self.weight_ih, self.bias_ih), F.linear(h, self.weight_hh, self.bias_hh)


def _unbatch(t, batched):
    return t if batched else t.squeeze(0)


class RNNCell(RNNCellBase):
    """One Elman step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).

    Example:
        >>> import ember, ember.nn as nn
        >>> cell = nn.RNNCell(10, 20)
        >>> cell(ember.randn(3, 10), ember.randn(3, 20)).shape
        ember.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, hx, 1)
        xg, hg = self._projections(x, h)
        return _unbatch(rnn_cell(_TensorMath, xg + hg, self.nonlinearity), batched)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``.

    Example:
        >>> import ember, ember.nn as nn
        >>> cell = nn.LSTMCell(10, 20)
        >>> h, c = cell(ember.randn(3, 10))
        >>> h.shape, c.shape
        (ember.Size([3, 20]), ember.Size([3, 20]))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        x, (h, c), batched = self._prepare(input, hx, 2)
        xg, hg = self._projections(x, h)
        h2, c2 = lstm_cell(xg + hg, c)
        return _unbatch(h2, batched), _unbatch(c2, batched)


class GRUCell(RNNCellBase):
    """One GRU step.

    Example:
        >>> import ember, ember.nn as nn
        >>> cell = nn.GRUCell(10, 20)
        >>> cell(ember.randn(3, 10)).shape
        ember.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, hx, 1)
        xg, hg = self._projections(x, h)
        return _unbatch(gru_cell(_TensorMath, xg, hg, h)[0], batched)
