"""PyTorch programs give PyTorch's numbers under ``import ember as torch``.

Every program in ``parity_programs.py`` runs on ember and, when torch is importable, on torch after the
same seeds; the printed numbers must agree up to rounding. Without torch each program still checks
itself: it is deterministic (two runs print the same numbers) and passes a check of its own
(closed-form learning rates, a resumed run equal to the uninterrupted one, losses that fall, ...).
"""

import math
import random

import numpy as np
import pytest

from parity_programs import PROGRAMS, Lib

FLOAT64 = {"optimizer_scheduler_zoo", "lbfgs_fit", "custom_function_accumulation"}
# REINFORCE's loss sums log-probabilities times normalised returns, which sum to zero: the float32
# rounding of the returns' mean (numpy's pairwise sum vs torch's vectorised sum) is amplified ~100x.
RTOL = {"reinforce": 1e-4,
        # torch's cdist uses the |a|^2 + |b|^2 - 2ab expansion past 25 rows: another rounding
        "siamese_triplet": 5e-5}


@pytest.fixture(scope="module")
def ember_lib():
    return Lib("ember")


def _losses(printed, start, stride, count):
    return printed[start:start + stride * count:stride]


def _falls(losses, k=3):
    return np.mean(losses[-k:]) < np.mean(losses[:k])


def _check_blitz(p):
    # 3 epochs of 4 batches, each followed by the epoch's running mean; default init: ~ln(10) at first
    steps = [p[e * 5:e * 5 + 4] for e in range(3)]
    assert all(math.isclose(p[e * 5 + 4], np.mean(s), rel_tol=1e-12) for e, s in enumerate(steps))
    assert abs(p[0] - math.log(10)) < 0.1 and 0 <= p[-1] <= 1


def _check_mlp(p):
    lrs = p[2:24:3]
    assert lrs == pytest.approx([1e-2 * 0.5 ** ((e + 1) // 3) for e in range(8)], rel=1e-12)
    assert p[22] > 0.9 and p[-1] == 40  # accuracy, num_batches_tracked (8 epochs x 5 batches)


def _check_cnn(p):
    losses, norms, lrs = p[0:48:3], p[1:48:3], p[2:48:3]
    assert _falls(losses, 4) and min(norms) > 0
    assert 0.04 < max(lrs) <= 0.05 and lrs[0] < 0.01 and min(lrs) < 1e-5


def _check_gru(p):
    random.seed(4)
    assert p[1::2] == [float(random.random() < 0.5) for _ in range(12)]
    assert _falls(p[0::2])


def _check_transformer(p):
    lrs = p[1:24:2]
    assert lrs == pytest.approx([3e-3 * min(1.0, (s + 2) / 4) for s in range(12)], rel=1e-12)
    assert p[-1] > 0.5


def _check_weighted(p):
    # the sampler balances the classes: about half of each epoch's 160 draws are positives
    # although only ~15% of the data are
    assert all(50 < seen < 110 for seen in p[3:8:2])


def _check_checkpoint(p):
    assert p[6:10] == p[10:14]  # resuming from the checkpoint repeats the uninterrupted run
    assert p[-2] > 0.9


def _check_custom(p):
    assert p[6] < p[0]  # full-data MSE after 12 vs after 3 accumulated steps


def _check_zoo(p):
    for k in range(10):
        losses = p[k * 24:(k + 1) * 24:2]
        assert losses[-1] < losses[0], k


def _check_lbfgs(p):
    assert p[2] == pytest.approx(p[7], abs=1e-3) and p[2] < p[0]


def _check_word_lm(p):
    # each epoch prints 3 training losses, the validation loss, its perplexity and the learning
    # rate, which is divided by 4 whenever the validation loss does not improve
    val, ppl, lrs = p[3::6], p[4::6], p[5::6]
    assert ppl == pytest.approx([math.exp(v) for v in val], rel=1e-12)
    lr, best = 5.0, None
    for v, got in zip(val, lrs):
        lr = lr if best is None or v < best else lr / 4
        best = v if best is None or v < best else best
        assert got == lr


def _check_idioms(p):
    noam = [2.0 * 8 ** -0.5 * min(s ** -0.5, s * 4 ** -1.5) for s in range(1, 11)]
    assert p[2:30:3] == pytest.approx(noam, rel=1e-12)
    assert _falls(p[0:30:3]) and min(p[-3:]) > 0


def _check_plateau(p):
    # ReduceLROnPlateau(factor=0.5, patience=0): halve whenever the validation loss fails to improve
    # on the best by the relative threshold 1e-4
    lr, best = 0.05, math.inf
    for val, got in zip(p[1::3], p[2::3]):
        if val < best * (1 - 1e-4):
            best = val
        else:
            lr *= 0.5
        assert got == pytest.approx(lr, rel=1e-12)
    assert p[-2] < p[1]


CHECKS = {
    "blitz_cnn": _check_blitz,
    "mlp_batchnorm_dropout": _check_mlp,
    "cnn_onecycle_clipping": _check_cnn,
    "lstm_char_model": lambda p: _falls(p[:-1]),
    "gru_seq2seq": _check_gru,
    "transformer_classifier": _check_transformer,
    "vae": lambda p: _falls(p[0:40:2]) and 0 < p[-1] < 1,
    "gan": lambda p: 0 < p[-1],
    "reinforce": lambda p: all(1 <= n <= 30 for n in p[0::3]),
    "weighted_sampling_split": _check_weighted,
    "checkpoint_finetune": _check_checkpoint,
    "multiworker_augmentation": lambda p: _falls(p[0::2]),
    "custom_function_accumulation": _check_custom,
    "optimizer_scheduler_zoo": _check_zoo,
    "lbfgs_fit": _check_lbfgs,
    "regularised_resnet": lambda p: min(p[-6::2]) > 0.8,
    "seq2seq_transformer": lambda p: _falls(p[:10]),
    "sampling_and_distributions": lambda p: all(3 <= s <= 48 for s in p[1:24:3]),
    "dcgan": lambda p: all(0 < v < 1 for v in p[2:18:3]),
    "unet_segmentation": lambda p: p[-1] > 0.7,
    "embedding_bag_text": lambda p: all(0 <= a <= 1 for a in p[8::9]),
    "word_language_model": _check_word_lm,
    "training_idioms": _check_idioms,
    "timeseries_forecaster": _check_plateau,
    "siamese_triplet": lambda p: _falls(p[0::3]) and all(-1 <= v <= 1 for v in p[1::3]),
    "graph_network": lambda p: _falls(p[0::2]) and p[-1] > 0.7,
}


def test_every_program_has_a_check():
    assert sorted(CHECKS) == sorted(p.__name__ for p in PROGRAMS)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_program_is_deterministic_and_sound(program, ember_lib):
    first, second = program(ember_lib), program(ember_lib)
    assert first == second
    assert all(math.isfinite(v) for v in first)
    assert CHECKS[program.__name__](first) is not False


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch's own warnings (nested tensors, ...)
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_program_prints_torchs_numbers(program, ember_lib):
    pytest.importorskip("torch")
    ours, theirs = program(ember_lib), program(Lib("torch"))
    name = program.__name__
    rtol = 1e-10 if name in FLOAT64 else RTOL.get(name, 1e-5)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * 1e-2, err_msg=name)
