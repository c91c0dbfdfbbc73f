"""emberaudio.models: shapes, gradients, masking, decoding, and a short training run."""

import numpy as np
import pytest

import ember
from ember import nn
from emberaudio import models


def test_m5_learns_tone_vs_noise():
    ember.manual_seed(0)
    rng = np.random.default_rng(0)
    t = np.arange(2000) / 8000
    tones = [np.sin(2 * np.pi * rng.uniform(300, 900) * t + rng.uniform(0, 6)) * 0.5 for _ in range(16)]
    noises = [rng.standard_normal(2000) * 0.3 for _ in range(16)]
    x = ember.tensor(np.stack(tones + noises)[:, None], dtype=ember.float32)
    y = ember.tensor([0] * 16 + [1] * 16)
    model = models.M5(n_output=2, stride=4, n_channel=8)
    opt = ember.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(15):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    assert float(loss) < 0.3
    assert float((model(x).argmax(-1) == y).float().mean()) > 0.9  # batch statistics (train mode)


def test_melcnn_shapes_and_gradients():
    model = models.MelCNN(n_classes=3, sample_rate=8000, n_fft=256, n_mels=24, channels=(4, 8))
    x = ember.randn(2, 1, 4000, requires_grad=True)
    out = model(x)
    assert out.shape == (2, 3)
    out.sum().backward()
    assert x.grad.shape == x.shape and all(p.grad is not None for p in model.parameters())


def test_wav2letter_and_ctc():
    ember.manual_seed(0)
    model = models.Wav2Letter(num_classes=5, input_type="mfcc", num_features=13)
    log_probs = model(ember.randn(2, 13, 40))
    assert log_probs.shape == (2, 5, 21)
    np.testing.assert_allclose(log_probs.exp().sum(1).detach().numpy(), 1.0, rtol=1e-5)
    loss = nn.CTCLoss(blank=0)(log_probs.permute(2, 0, 1), ember.tensor([[1, 2, 3], [4, 4, 1]]),
                               ember.tensor([21, 21]), ember.tensor([3, 3]))
    loss.backward()
    assert bool(loss.isfinite()) and model.acoustic_model[0].weight.grad is not None
    assert models.Wav2Letter(num_classes=4)(ember.randn(1, 1, 1600)).shape == (1, 4, 6)
    with pytest.raises(ValueError, match="input_type"):
        models.Wav2Letter(input_type="spectrogram")


def test_conformer_ignores_padding():
    ember.manual_seed(0)
    model = models.Conformer(input_dim=8, num_heads=2, ffn_dim=16, num_layers=1, depthwise_conv_kernel_size=3).eval()
    x = ember.randn(1, 6, 8)
    short, _ = model(x[:, :4], ember.tensor([4]))
    padded, lengths = model(ember.cat([x[:, :4], ember.randn(1, 2, 8) * 100], 1), ember.tensor([4]))
    assert lengths.tolist() == [4]
    # attention never looks at padded frames; the depthwise convolution (kernel 3) sees one frame past the end
    np.testing.assert_allclose(padded[:, :3].detach().numpy(), short[:, :3].detach().numpy(), atol=1e-5)
    variant = models.Conformer(8, 2, 16, 2, 5, dropout=0.1, use_group_norm=True, convolution_first=True)
    out, _ = variant(x, ember.tensor([6]))
    out.sum().backward()
    assert out.shape == (1, 6, 8) and all(p.grad is not None for p in variant.parameters())
    with pytest.raises(ValueError, match="odd"):
        models.Conformer(8, 2, 16, 1, depthwise_conv_kernel_size=4)


def test_greedy_ctc_decoding():
    frames = ember.tensor([[0, 3, 3, 0, 3, 1, 1, 2], [2, 2, 0, 2, 0, 0, 1, 1]])
    emission = nn.functional.one_hot(frames, 4).float()
    assert models.ctc_greedy_decode(emission) == [[3, 3, 1, 2], [2, 2, 1]]
    assert models.ctc_greedy_decode(emission, lengths=ember.tensor([3, 4])) == [[3], [2, 2]]
    decoder = models.GreedyCTCDecoder(["_", "a", "b", "c"], separator="")
    assert decoder(emission) == ["ccab", "bba"] and decoder(emission[0]) == "ccab"
