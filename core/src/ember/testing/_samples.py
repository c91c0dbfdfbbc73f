"""Sample calls for the exported ops: a few hand-written, the rest found by probing on the CPU.

A sample is ``(args, kwargs)`` written with tokens: strings naming arrays of :data:`ARRAYS`
(made into tensors on the device under test), ``[...]`` lists of tokens, and plain Python
values. ``DEVICE`` in kwargs becomes the device name (for factories).
"""

from __future__ import annotations

import warnings

import numpy as np

DEVICE = object()  # kwargs placeholder for the device under test

_rng = np.random.default_rng(0)
ARRAYS = {
    "X": _rng.uniform(0.2, 0.8, (3, 4)).astype(np.float32),
    "Y": _rng.uniform(0.2, 0.8, (3, 4)).astype(np.float32),
    "Z": _rng.uniform(0.2, 0.8, (3, 4)).astype(np.float32),
    "R": _rng.uniform(-2.0, 2.0, (3, 4)).astype(np.float32),  # both signs, for abs/sign/relu...
    "G": _rng.uniform(1.2, 2.0, (3, 4)).astype(np.float32),  # > 1: acosh
    "M": _rng.uniform(0.2, 0.8, (4, 4)).astype(np.float32) + 2 * np.eye(4, dtype=np.float32),
    "V": _rng.uniform(0.2, 0.8, (4,)).astype(np.float32),
    "W": _rng.uniform(0.2, 0.8, (3,)).astype(np.float32),
    "B": _rng.uniform(0.2, 0.8, (2, 3, 4)).astype(np.float32),
    "Bt": _rng.uniform(0.2, 0.8, (2, 4, 3)).astype(np.float32),
    "S": np.sort(_rng.uniform(0.0, 1.0, (6,))).astype(np.float32),
    "I": np.array([[0, 1, 2, 0], [1, 0, 2, 1], [2, 2, 0, 1]], dtype=np.int64),
    "U": np.array([[0, 1, 2, 0], [1, 0, 1, 2], [2, 2, 0, 1]], dtype=np.int64),  # no repeats down a column
    "J": np.array([2, 0, 1], dtype=np.int64),
    "N": np.array([3, 1, 4, 1, 5, 9, 2, 6], dtype=np.int64),
    "C": np.array([[True, False, True, False], [False, True, True, False], [True, True, False, False]]),
    "X1": _rng.uniform(-1.0, 1.0, (2, 2, 8)).astype(np.float32),
    "K1": _rng.uniform(-1.0, 1.0, (3, 2, 3)).astype(np.float32),
    "K1t": _rng.uniform(-1.0, 1.0, (2, 3, 3)).astype(np.float32),
    "P": _rng.uniform(0.2, 0.8, (2, 3, 3)).astype(np.float32),
    "Q": _rng.uniform(0.2, 0.8, (3, 3)).astype(np.float32),
    "X2": _rng.uniform(-1.0, 1.0, (2, 2, 6, 6)).astype(np.float32),
    "K2": _rng.uniform(-1.0, 1.0, (3, 2, 3, 3)).astype(np.float32),
    "K2t": _rng.uniform(-1.0, 1.0, (2, 3, 3, 3)).astype(np.float32),
    "X3": _rng.uniform(-1.0, 1.0, (1, 2, 4, 4, 4)).astype(np.float32),
    "K3": _rng.uniform(-1.0, 1.0, (2, 2, 2, 2, 2)).astype(np.float32),
    "b3": _rng.uniform(-1.0, 1.0, (3,)).astype(np.float32),
    "E": np.array([0.5], dtype=np.float32),
    "T": _rng.uniform(-1.0, 1.0, (3, 4, 4)).astype(np.float32),
    "PS": _rng.uniform(-1.0, 1.0, (1, 4, 2, 3)).astype(np.float32),
}

# ops whose values are random, stateful or host-only: never compared (in-place variants too)
SKIP = frozenset({
    "bernoulli", "multinomial", "normal", "rand", "rand_like", "randint", "randint_like", "randn", "randn_like",
    "randperm", "empty", "empty_like", "manual_seed", "seed", "initial_seed", "from_numpy", "from_dlpack",
    "dropout", "alpha_dropout", "feature_alpha_dropout", "rrelu", "poisson", "binomial", "empty_strided",
    "_standard_gamma", "_sample_dirichlet", "svd_lowrank", "pca_lowrank", "empty_permuted", "frombuffer",
})
_SETTINGS = ("set_", "get_", "use_", "are_")  # process-wide switches and queries, not ops: never called


def skipped(name):
    """Whether ``name`` is left out of the suite (random, stateful, a setting)."""
    return name.rstrip("_") in SKIP or name.startswith(_SETTINGS) or name.endswith("_enabled")


def hand(name):
    """The hand-written sample of ``name`` (or of the op an in-place ``name_`` updates), or None."""
    return HAND.get(name, HAND.get(name.rstrip("_")))

_D = {"device": DEVICE}
HAND = {
    "where": (("C", "X", "Y"), {}),
    "masked_fill": (("X", "C", 0.5), {}),
    "masked_select": (("X", "C"), {}),
    "masked_scatter": (("X", "C", "Y"), {}),
    "index_select": (("X", 1, "J"), {}),
    "index_add": (("X", 0, "J", "Y"), {}),
    "index_copy": (("X", 0, "J", "Y"), {}),
    "index_fill": (("X", 1, "J", 0.5), {}),
    "index_put": (("X", ["J"], "X"), {}),
    "take": (("X", "I"), {}),
    "put": (("X", "J", "W"), {}),
    "gather": (("X", 1, "I"), {}),
    "scatter": (("X", 0, "U", "Y"), {}),  # repeated indices: any of the values may land (torch), so none
    "scatter_add": (("X", 0, "I", "Y"), {}),
    "scatter_reduce": (("X", 0, "I", "Y", "sum"), {}),
    "take_along_dim": (("X", "I", 1), {}),
    "searchsorted": (("S", "X"), {}),
    "bucketize": (("X", "S"), {}),
    "bincount": (("N",), {}),
    "histc": (("X",), {"bins": 4, "min": 0.0, "max": 1.0}),
    "einsum": (("ij,kj->ik", "X", "Y"), {}),
    "tensordot": (("X", "Y"), {"dims": ([1], [1])}),
    "bmm": (("B", "Bt"), {}),
    "baddbmm": (("P", "B", "Bt"), {}),
    "addbmm": (("Q", "B", "Bt"), {}),
    "matrix_power": (("M", 3), {}),
    "polygamma": ((1, "G"), {}),
    "mvlgamma": (("G", 1), {}),
    "acosh": (("G",), {}),
    "arccosh": (("G",), {}),
    "topk": (("X", 2), {}),
    "kthvalue": (("X", 2), {}),
    "narrow": (("X", 1, 1, 2), {}),
    "unflatten": (("X", 1, (2, 2)), {}),
    "split_with_sizes": (("X", [1, 3], 1), {}),
    "repeat_interleave": (("X", 2), {"dim": 0}),
    "roll": (("X", 1, 1), {}),
    "tile": (("X", (2, 1)), {}),
    "expand": (("W", 2, 3), {}),
    "combinations": (("W",), {}),
    "cartesian_prod": (("W", "V"), {}),
    "lerp": (("X", "Y", 0.3), {}),
    "conv1d": (("X1", "K1", "b3"), {"padding": 1}),
    "conv2d": (("X2", "K2", "b3"), {"stride": 2, "padding": 1}),
    "conv3d": (("X3", "K3"), {}),
    "conv_transpose1d": (("X1", "K1t"), {"stride": 2}),
    "conv_transpose2d": (("X2", "K2t"), {"stride": 2}),
    "conv_transpose3d": (("X3", "K3"), {}),
    "diagonal_scatter": (("M", "V"), {}),
    "select_scatter": (("X", "V", 0, 1), {}),
    "slice_scatter": (("X", "Y"), {}),
    "full": (((2, 3), 1.5), _D),
    "tril_indices": ((3, 3), _D),
    "triu_indices": ((3, 3), _D),
    "linspace": ((0.0, 1.0, 5), _D),
    "logspace": ((0.0, 1.0, 5), _D),
    "arange": ((1, 7, 2), _D),
    "tensor": (([[1.0, 2.0], [3.0, 4.0]],), _D),
    "as_tensor": (([[1.0, 2.0], [3.0, 4.0]],), _D),
    "full_like": (("X", 0.5), {}),
    "addr": (("Q", "W", "W"), {}),
    "bitwise_and": (("N", "N"), {}),
    "bitwise_or": (("N", "N"), {}),
    "bitwise_xor": (("N", "N"), {}),
    "bitwise_not": (("N",), {}),
    "bitwise_left_shift": (("N", 1), {}),
    "bitwise_right_shift": (("N", 1), {}),
    "broadcast_to": (("W", (2, 3)), {}),
    "dsplit": (("B", 2), {}),
    "narrow_copy": (("X", 1, 1, 2), {}),
    "threshold": (("R", 0.1, 20.0), {}),
    "layer_norm": (("X", (4,), "V", "V"), {}),
    "rms_norm": (("X", (4,), "V"), {}),
    "embedding": (("M", "I"), {}),
    "is_nonzero": (("E",), {}),
    "bilinear": (("X", "Y", "T", "W"), {}),
    "pixel_shuffle": (("PS", 2), {}),
    "pixel_unshuffle": (("X2", 2), {}),
    "renorm": (("X", 2, 0, 0.5), {}),
    "unravel_index": (("N", (3, 4)), {}),
    "gcd": (("N", "N"), {}),
    "lcm": (("N", "N"), {}),
    "relu": (("R",), {}),
    "abs": (("R",), {}),
    "sign": (("R",), {}),
    "sgn": (("R",), {}),
}

def _svd_signs(out):
    """``svd``'s ``(U, S, V)`` with each singular pair's sign fixed (the largest entry of U's column positive):
    any sign is a valid answer, and devices pick differently. The gradients follow the same choice."""
    u, s, v = out
    sign = u.gather(-2, u.abs().argmax(dim=-2, keepdim=True)).sign()
    return u * sign, s, v * sign


# op name -> a function of its outputs that gives the answer every device must agree on
CANONICAL = {"svd": _svd_signs}

# probed in order; the first signature the CPU accepts becomes the sample
CANDIDATES = [
    (("X",), {}), (("X", "Y"), {}), (("X", 1), {}), (("X", "Y", "Z"), {}), (("M",), {}), (("M", "M"), {}),
    (("M", "V"), {}), (("V", "V"), {}), (("V",), {}), ((["X", "Y"],), {}), (("X", 1, "I"), {}),
    (("X", 0.5), {}), (("X", "Y", "M"), {}), (("W", "X", "V"), {}), (("X", 2), {}), (("X", 0, 1), {}),
    (((3, 4),), _D), ((3,), _D), (("X", (4, 3)), {}),
]


def probe(name, fn, build):
    """The first candidate sample ``fn`` accepts on the CPU, or None. ``build(sample)`` makes the call args."""
    for sample in CANDIDATES:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                args, kwargs = build(sample)
                fn(*args, **kwargs)
        except Exception:
            continue
        return sample
    return None

# nn.functional ops backends often fuse (run as ``F.<name>``): hand samples
FUNCTIONAL = {
    "linear": (("X", "M", "V"), {}),
    "cross_entropy": (("X", "J"), {}),
    "nll_loss": (("X", "J"), {}),
    "mse_loss": (("X", "Y"), {}),
    "binary_cross_entropy_with_logits": (("R", "X"), {}),
    "layer_norm": (("X", (4,), "V", "V"), {}),
    "group_norm": (("X2", 1), {}),
    "softmax": (("X", 1), {}),
    "log_softmax": (("X", 1), {}),
    "gelu": (("R",), {}),
    "silu": (("R",), {}),
    "max_pool2d": (("X2", 2), {}),
    "avg_pool2d": (("X2", 2), {}),
    "adaptive_avg_pool2d": (("X2", 1), {}),
    "embedding": (("I", "M"), {}),
    "pad": (("X", (1, 2)), {}),
    "interpolate": (("X2",), {"scale_factor": 2, "mode": "nearest"}),
}
