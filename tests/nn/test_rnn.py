"""RNN, LSTM, GRU, their cells, and nn.utils.rnn: numpy references, gradients, packing, torch parity."""

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn.utils import rnn as R
from harness import Case, run

rng = np.random.default_rng(3)


# --- numpy references ---------------------------------------------------------------------------------
def _sig(x):
    return 1 / (1 + np.exp(-x))


def np_step(mode, x, h, c, w):
    """One step of ``mode`` with weights ``w`` = dict(ih, hh, b_ih, b_hh[, hr]); returns (h, c)."""
    gi = x @ w["ih"].T + w.get("b_ih", 0)
    gh = h @ w["hh"].T + w.get("b_hh", 0)
    if mode == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, axis=-1)
        c = _sig(f) * c + _sig(i) * np.tanh(g)
        h = _sig(o) * np.tanh(c)
        return (h @ w["hr"].T if "hr" in w else h), c
    if mode == "GRU":
        (ir, iz, i_n), (hr, hz, hn) = np.split(gi, 3, axis=-1), np.split(gh, 3, axis=-1)
        r, z = _sig(ir + hr), _sig(iz + hz)
        n = np.tanh(i_n + r * hn)
        return (1 - z) * n + z * h, None
    pre = gi + gh
    return (np.tanh(pre) if mode == "RNN_TANH" else np.maximum(pre, 0)), None


def np_layer(mode, x, h, c, w, reverse=False):
    outs = []
    for t in (range(len(x))[::-1] if reverse else range(len(x))):
        h, c = np_step(mode, x[t], h, c, w)
        outs.append(h)
    return np.stack(outs[::-1] if reverse else outs), h, c


def np_network(module, x, h0=None, c0=None):
    """The full stacked (bi)directional network on time-major ``x`` with the module's own weights."""
    dirs = 2 if module.bidirectional else 1
    p = {n: t.detach().cpu().numpy() for n, t in module.named_parameters()}
    hs, cs = [], []
    for layer in range(module.num_layers):
        outs = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w = {k: p[f"{name}{sfx}"] for k, name in (("ih", "weight_ih"), ("hh", "weight_hh"), ("b_ih", "bias_ih"),
                                                      ("b_hh", "bias_hh"), ("hr", "weight_hr")) if f"{name}{sfx}" in p}
            idx = layer * dirs + d
            out, h, c = np_layer(module.mode, x, h0[idx], None if c0 is None else c0[idx], w, reverse=bool(d))
            outs.append(out)
            hs.append(h)
            cs.append(c)
        x = np.concatenate(outs, -1)
    return x, np.stack(hs), (np.stack(cs) if c0 is not None else None)


def _module(cls, *args, **kw):
    ember.manual_seed(0)
    return cls(*args, **kw).double()


def _weights(module):
    names = [n for n, _ in module.named_parameters()]
    return names, [p.detach().numpy() for _, p in module.named_parameters()]


def _with_weights(module, names, ws, fn):
    """Run ``fn()`` with the module's parameters replaced by tensors ``ws`` (so gradients reach them)."""
    saved = dict(module._parameters)
    module._parameters.update(zip(names, ws))
    try:
        return fn()
    finally:
        module._parameters.update(saved)


def _state_shape(module, batch, cell=False):
    n = module.num_layers * (2 if module.bidirectional else 1)
    size = module.hidden_size if cell or not module.proj_size else module.proj_size
    return (n, batch, size)


def _network_case(name, cls, kw, steps=3, batch=2, inp=2, hidden=3, lstm=False, gradgrad=False, nondiff=()):
    module = _module(cls, inp, hidden, **kw)
    names, ws = _weights(module)
    x = rng.standard_normal((steps, batch, inp))
    h0 = rng.standard_normal(_state_shape(module, batch))
    c0 = rng.standard_normal(_state_shape(module, batch, cell=True)) if lstm else None

    def fn(x, h0, *rest):
        ws_ = rest[1:] if lstm else rest
        hx = (h0, rest[0]) if lstm else h0
        out, hn = _with_weights(module, names, ws_, lambda: module(x, hx))
        return (out,) + (tuple(hn) if lstm else (hn,))

    def ref(x, h0, *rest):
        out, hn, cn = np_network(module, x, h0, rest[0] if lstm else None)
        return (out, hn) + ((cn,) if lstm else ())

    inputs = (x, h0) + ((c0,) if lstm else ()) + tuple(ws)
    return Case(name, fn, ref, inputs, gradgrad=gradgrad, nondiff=nondiff)


# double backward re-runs the scan in Ember ops: checked on the smallest sizes to keep the suite fast
CASES = [
    _network_case("lstm_bidirectional", nn.LSTM, dict(bidirectional=True), lstm=True),
    _network_case("lstm_proj", nn.LSTM, dict(proj_size=2), lstm=True),
    _network_case("gru_two_layers", nn.GRU, dict(num_layers=2), hidden=2),
    _network_case("gru_bidirectional_nobias", nn.GRU, dict(bidirectional=True, bias=False), hidden=2),
    _network_case("rnn_tanh", nn.RNN, dict(), gradgrad=True),
    _network_case("rnn_relu_bidirectional", nn.RNN, dict(nonlinearity="relu", bidirectional=True)),
    _network_case("lstm_gradgrad", nn.LSTM, dict(), steps=2, batch=1, inp=1, hidden=1, lstm=True, gradgrad=True),
    _network_case("lstm_proj_gradgrad", nn.LSTM, dict(proj_size=1), steps=2, batch=1, inp=1, hidden=2, lstm=True,
                  gradgrad=True),
    _network_case("gru_gradgrad", nn.GRU, dict(), steps=2, batch=1, inp=1, hidden=1, gradgrad=True),
    # constant inputs: the scans skip the gradients nobody wants (the input's, the first step's state's)
    _network_case("lstm_nobias_weights_only", nn.LSTM, dict(bias=False), lstm=True, nondiff=(0, 1, 2)),
    _network_case("lstm_fixed_state", nn.LSTM, dict(num_layers=2), lstm=True, nondiff=(1, 2)),
    _network_case("gru_fixed_input_and_state", nn.GRU, dict(), nondiff=(0, 1)),
    _network_case("rnn_nobias_fixed_state", nn.RNN, dict(bias=False, nonlinearity="relu"), nondiff=(1,)),
    # an input wider than the state is projected for all rows at once instead of inside each step's product
    _network_case("lstm_wide_input_two_layers", nn.LSTM, dict(num_layers=2, bidirectional=True), inp=5, lstm=True),
    _network_case("rnn_wide_input", nn.RNN, dict(), inp=5, hidden=2),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_network_matches_numpy_and_gradchecks(case, device):
    run(case, device)


def _cell_case(name, cls, mode, lstm=False, **kw):
    cell = _module(cls, 2, 3, **kw)
    names, ws = _weights(cell)
    x = rng.standard_normal((4, 2))
    h = rng.standard_normal((4, 3))
    c = rng.standard_normal((4, 3))

    def fn(x, h, *rest):
        states = (h, rest[0]) if lstm else h
        return _with_weights(cell, names, rest[1:] if lstm else rest, lambda: cell(x, states))

    def ref(x, h, *rest):
        w = dict(zip(["ih", "hh", "b_ih", "b_hh"], rest[1:] if lstm else rest))
        h2, c2 = np_step(mode, x, h, rest[0] if lstm else None, w)
        return (h2, c2) if lstm else h2

    return Case(name, fn, ref, (x, h) + ((c,) if lstm else ()) + tuple(ws))


CELL_CASES = [
    _cell_case("lstm_cell", nn.LSTMCell, "LSTM", lstm=True),
    _cell_case("gru_cell", nn.GRUCell, "GRU"),
    _cell_case("rnn_cell_relu", nn.RNNCell, "RNN_RELU", nonlinearity="relu"),
    _cell_case("rnn_cell_nobias", nn.RNNCell, "RNN_TANH", bias=False),
]


@pytest.mark.parametrize("case", CELL_CASES, ids=str)
def test_cell_matches_numpy_and_gradchecks(case, device):
    run(case, device)


# --- layouts and shapes ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
def test_batch_first_unbatched_and_default_state(cls, device):
    m = _module(cls, 3, 4, num_layers=2, bidirectional=True).to(device)
    x = rng.standard_normal((5, 2, 3))
    want, hn, _ = np_network(m, x, np.zeros((4, 2, 4)), np.zeros((4, 2, 4)) if cls is nn.LSTM else None)
    out, h = m(ember.tensor(x, device=device))
    np.testing.assert_allclose(out.cpu().detach().numpy(), want, atol=1e-12)
    m.batch_first = True
    out_bf, _ = m(ember.tensor(x.transpose(1, 0, 2).copy(), device=device))
    np.testing.assert_allclose(out_bf.cpu().detach().numpy(), want.transpose(1, 0, 2), atol=1e-12)
    m.batch_first = False
    out_u, h_u = m(ember.tensor(x[:, 0], device=device))
    assert out_u.shape == (5, 8)
    np.testing.assert_allclose(out_u.cpu().detach().numpy(), want[:, 0], atol=1e-12)
    h_u = h_u[0] if cls is nn.LSTM else h_u
    assert h_u.shape == (4, 4)
    np.testing.assert_allclose(h_u.cpu().detach().numpy(), hn[:, 0], atol=1e-12)


@pytest.mark.parametrize("cls,kw", [(nn.LSTM, {}), (nn.LSTM, dict(proj_size=2)), (nn.GRU, {}), (nn.RNN, {})])
def test_outputs_written_in_place_leave_gradients_alone(cls, kw, device):
    """The scans' backward reads nothing that aliases their outputs, so writing into those leaves the gradients right."""
    m = _module(cls, 3, 4, **kw).to(device)
    x = ember.tensor(rng.standard_normal((6, 3)), device=device, requires_grad=True)
    batch_sizes = ember.tensor([2, 2, 1, 1])
    grads = []
    for poke in (False, True):
        out = m(R.PackedSequence(x, batch_sizes))[0].data  # the scan's own output, not a view of it
        loss = (out * out).sum()
        if poke:
            out.add_(5.0)
            loss = (out * out).sum() - 10.0 * out.sum() + 25.0 * out.numel()  # (out + 5)^2 - 10 (out + 5) + 25
        grads.append(ember.autograd.grad(loss, [x] + list(m.parameters())))
    for a, b in zip(*grads):
        np.testing.assert_allclose(b.cpu().numpy(), a.cpu().numpy(), rtol=1e-9, atol=1e-9)


def test_state_dict_names_and_init_range():
    m = nn.LSTM(3, 8, num_layers=2, bidirectional=True, proj_size=2)
    names = list(m.state_dict())
    assert names[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0"]
    assert names[5] == "weight_ih_l0_reverse" and m.weight_ih_l1.shape == (32, 4)
    bound = 1 / np.sqrt(8)
    for p in m.parameters():
        assert p.abs().max().item() <= bound
    assert repr(nn.RNN(3, 4, nonlinearity="relu", bias=False)) == "RNN(3, 4, bias=False)"
    assert repr(nn.LSTM(3, 4, proj_size=2, batch_first=True)) == "LSTM(3, 4, proj_size=2, batch_first=True)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"


def test_dropout_between_layers():
    m = nn.GRU(3, 50, num_layers=2, dropout=0.5)
    x = ember.randn(4, 2, 3)
    a, _ = m(x)
    b, _ = m(x)
    assert not ember.equal(a, b)
    m.eval()
    assert ember.equal(m(x)[0], m(x)[0])


def test_errors():
    m = nn.LSTM(3, 4)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 4"):
        m(ember.randn(5, 2, 4))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 2, 4\), got \[1, 3, 4\]"):
        m(ember.randn(5, 2, 3), (ember.zeros(1, 3, 4), ember.zeros(1, 2, 4)))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D"):
        m(ember.randn(1, 5, 2, 3))
    with pytest.raises(ValueError, match="does not match weight dtype"):
        m(ember.randn(5, 2, 3, dtype=ember.float64))
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.5)
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch size 3"):
        nn.GRUCell(3, 4)(ember.randn(2, 3), ember.zeros(3, 4))
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0 in RNN"):
        m(ember.randn(0, 2, 3))


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
def test_empty_batch(cls, device):
    m = _module(cls, 3, 4, num_layers=2, bidirectional=True).to(device)
    x = ember.zeros(5, 0, 3, dtype=ember.float64, device=device, requires_grad=True)
    out, h = m(x)
    assert out.shape == (5, 0, 8) and (h[0] if cls is nn.LSTM else h).shape == (4, 0, 4)
    out.sum().backward()
    assert x.grad.shape == (5, 0, 3)
    for p in m.parameters():
        assert p.grad.shape == p.shape and not p.grad.cpu().numpy().any()


# --- packed sequences --------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,kw", [(nn.LSTM, dict(bidirectional=True, num_layers=2)), (nn.GRU, dict(bidirectional=True)),
                                    (nn.LSTM, dict(proj_size=2)), (nn.RNN, dict(nonlinearity="relu"))])
def test_packed_equals_each_sequence_alone(cls, kw, device):
    m = _module(cls, 3, 4, **kw).to(device)
    lengths = [2, 5, 1, 4]
    seqs = [ember.tensor(rng.standard_normal((n, 3)), device=device) for n in lengths]
    packed = R.pack_sequence(seqs, enforce_sorted=False)
    out, hn = m(packed)
    padded, lens = R.pad_packed_sequence(out, batch_first=True)
    assert lens.tolist() == lengths
    hn = hn[0] if cls is nn.LSTM else hn
    for b, s in enumerate(seqs):
        alone, h_alone = m(s.unsqueeze(1))
        h_alone = h_alone[0] if cls is nn.LSTM else h_alone
        np.testing.assert_allclose(padded[b, :lengths[b]].cpu().detach().numpy(), alone[:, 0].cpu().detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(hn[:, b].cpu().detach().numpy(), h_alone[:, 0].cpu().detach().numpy(), atol=1e-12)
        assert (padded[b, lengths[b]:] == 0).all()


@pytest.mark.parametrize("bidirectional,lengths,gradgrad", [(True, (3, 1, 2), False), (False, (2, 1), True)])
def test_packed_gradcheck(device, bidirectional, lengths, gradgrad):
    m = _module(nn.LSTM, 1, 2 if bidirectional else 1, bidirectional=bidirectional).to(device)
    seqs = [rng.standard_normal((n, 1)) for n in lengths]

    def fn(*args):
        *xs, h0, c0 = args
        out, (h, cn) = m(R.pack_sequence(xs, enforce_sorted=False), (h0, c0))
        return out.data, h, cn

    inputs = [ember.tensor(s, device=device, requires_grad=True) for s in seqs]
    state = (2 if bidirectional else 1, len(lengths), m.hidden_size)
    inputs += [ember.tensor(rng.standard_normal(state), device=device, requires_grad=True) for _ in range(2)]
    assert ember.autograd.gradcheck(fn, tuple(inputs), eps=1e-6, atol=1e-5, rtol=1e-4)
    if gradgrad:
        assert ember.autograd.gradgradcheck(fn, tuple(inputs), eps=1e-6, atol=1e-5, rtol=1e-4)


def test_pad_sequence_layouts(device):
    a, b = ember.tensor([[1.0], [2.0]], device=device), ember.tensor([[3.0], [4.0], [5.0]], device=device)
    np.testing.assert_array_equal(R.pad_sequence([a, b], padding_value=-1).squeeze(-1).cpu().numpy(),
                                  [[1, 3], [2, 4], [-1, 5]])
    np.testing.assert_array_equal(R.pad_sequence([a, b], batch_first=True, padding_side="left").squeeze(-1).cpu().numpy(),
                                  [[0, 1, 2], [3, 4, 5]])
    with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right, but got mid."):
        R.pad_sequence([a, b], padding_side="mid")


def test_pack_pad_roundtrip_and_gradient(device):
    x = ember.tensor(rng.standard_normal((4, 3, 2)), device=device, requires_grad=True)
    lengths = [4, 2, 3]
    packed = R.pack_padded_sequence(x, lengths, enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [3, 3, 2, 1]
    assert packed.sorted_indices.tolist() == [0, 2, 1] and packed.unsorted_indices.tolist() == [0, 2, 1]
    padded, lens = R.pad_packed_sequence(packed, total_length=5, padding_value=7.0)
    assert padded.shape == (5, 3, 2) and lens.tolist() == lengths
    xn = x.detach().cpu().numpy()
    for b, n in enumerate(lengths):
        np.testing.assert_array_equal(padded[:n, b].detach().cpu().numpy(), xn[:n, b])
        assert (padded[n:, b] == 7).all()
    padded.sum().backward()
    mask = np.arange(4)[:, None] < np.array(lengths)[None, :]
    np.testing.assert_array_equal(x.grad.cpu().numpy(), np.repeat(mask[..., None], 2, -1).astype(float))
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        R.pad_packed_sequence(packed, total_length=2)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        R.pack_padded_sequence(x, lengths)


def test_pack_batch_first_and_unpack(device):
    seqs = [ember.tensor(rng.standard_normal((n, 2)), device=device) for n in (1, 3, 2)]
    packed = R.pack_sequence(seqs, enforce_sorted=False)
    for got, want in zip(R.unpack_sequence(packed), seqs):
        np.testing.assert_array_equal(got.cpu().numpy(), want.cpu().numpy())
    padded = R.pad_sequence(seqs, batch_first=True)
    again = R.pack_padded_sequence(padded, [1, 3, 2], batch_first=True, enforce_sorted=False)
    np.testing.assert_array_equal(again.data.cpu().numpy(), packed.data.cpu().numpy())
    parts = R.unpad_sequence(padded, ember.tensor([1, 3, 2]), batch_first=True)
    assert [p.shape[0] for p in parts] == [1, 3, 2]
    assert R.invert_permutation(ember.tensor([2, 0, 1])).tolist() == [1, 2, 0]


# --- torch parity -----------------------------------------------------------------------------------
@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("name,kw", [("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True)),
                                     ("LSTM", dict(proj_size=3)), ("GRU", dict(num_layers=2, bidirectional=True)),
                                     ("RNN", dict(nonlinearity="relu"))])
def test_torch_state_dict_transfer(name, kw):
    torch = pytest.importorskip("torch")
    tm = getattr(torch.nn, name)(5, 6, **kw)
    em = getattr(nn, name)(5, 6, **kw)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = rng.standard_normal((4, 7, 5)).astype(np.float32)
    t_out, t_h = tm(torch.tensor(x))
    e_out, e_h = em(ember.tensor(x))
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), atol=1e-5)
    for a, b in zip(e_h if isinstance(e_h, tuple) else (e_h,), t_h if isinstance(t_h, tuple) else (t_h,)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-5)
