"""Text models: shapes, causal masking by perturbing the future, KV-cache generation, padding invariance, weights."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from embertext.models import (
    GPT,
    GPTConfig,
    RNNClassifier,
    Seq2SeqTransformer,
    TextClassificationModel,
    TransformerClassifier,
    load_safetensors_weights,
    save_safetensors_weights,
)
from embertext.models.gpt import _filter_logits


def small_gpt(device="cpu", dtype=ember.float64, **kw):
    cfg = dict(vocab_size=23, block_size=12, n_layer=2, n_head=2, n_embd=16)
    cfg.update(kw)
    return GPT(GPTConfig(**cfg)).to(device=device, dtype=dtype).eval()


def test_text_classification_model_is_mean_bag(device):
    model = TextClassificationModel(vocab_size=10, embed_dim=4, num_class=3).to(device)
    text, offsets = ember.tensor([1, 2, 3, 4, 5], device=device), ember.tensor([0, 2], device=device)
    out = model(text, offsets)
    w, fc_w, fc_b = (t.detach().cpu().numpy() for t in (model.embedding.weight, model.fc.weight, model.fc.bias))
    expected = np.stack([w[[1, 2]].mean(0), w[[3, 4, 5]].mean(0)]) @ fc_w.T + fc_b
    np.testing.assert_allclose(out.detach().cpu().numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("rnn,bidirectional", [("lstm", False), ("gru", True)])
def test_rnn_classifier_padding_does_not_matter(rnn, bidirectional):
    model = RNNClassifier(12, 6, 5, 3, rnn=rnn, bidirectional=bidirectional).double().eval()
    tokens = ember.tensor([[1, 2, 3, 4], [5, 6, 0, 0], [7, 0, 0, 0]])
    lengths = ember.tensor([4, 2, 1])
    batched = model(tokens, lengths)
    for i, n in enumerate([4, 2, 1]):
        alone = model(tokens[i:i + 1, :n], lengths[i:i + 1])
        np.testing.assert_allclose(batched[i].detach().numpy(), alone[0].detach().numpy(), rtol=1e-10, atol=1e-12)
    batched.sum().backward()
    assert model.embedding.weight.grad is not None


def test_transformer_classifier_ignores_padding():
    model = TransformerClassifier(15, d_model=8, nhead=2, num_layers=2, num_class=4, dim_feedforward=16,
                                  dropout=0.0).double().eval()
    short = model(ember.tensor([[3, 4, 5]]))
    padded = model(ember.tensor([[3, 4, 5, 0, 0]]))
    assert short.shape == (1, 4)
    np.testing.assert_allclose(short.detach().numpy(), padded.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_seq2seq_decoder_is_causal():
    model = Seq2SeqTransformer(2, 2, emb_size=8, nhead=2, src_vocab_size=11, tgt_vocab_size=13, dim_feedforward=16,
                               dropout=0.0).double().eval()
    src = ember.tensor([[1, 2, 3, 4], [5, 6, 7, 0]])
    src_pad = src == 0
    tgt = ember.tensor([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]])
    out = model(src, tgt, src_padding_mask=src_pad)
    assert out.shape == (2, 5, 13)
    changed = tgt.clone()
    changed[:, 3:] = ember.tensor([[11, 12], [12, 11]])
    out2 = model(src, changed, src_padding_mask=src_pad)
    np.testing.assert_allclose(out[:, :3].detach().numpy(), out2[:, :3].detach().numpy(), rtol=1e-10, atol=1e-12)
    assert not np.allclose(out[:, 3:].detach().numpy(), out2[:, 3:].detach().numpy())
    memory = model.encode(src, src_padding_mask=src_pad)
    step = model.generator(model.decode(tgt, memory, memory_key_padding_mask=src_pad))
    np.testing.assert_allclose(step.detach().numpy(), out.detach().numpy(), rtol=1e-10, atol=1e-12)
    ys = model.greedy_decode(src, max_len=6, start_symbol=1, src_padding_mask=src_pad)
    assert ys.shape == (2, 6) and ys[:, 0].tolist() == [1, 1]


def test_gpt_never_attends_to_future_tokens(device):
    model = small_gpt(device)
    idx = ember.tensor([[1, 5, 7, 2, 9, 4, 3, 8]], device=device)
    logits = model(idx)
    assert logits.shape == (1, 8, 23)
    for t in range(7):
        changed = idx.clone()
        changed[0, t + 1:] = (changed[0, t + 1:] + 3) % 23
        again = model(changed)
        np.testing.assert_allclose(again[0, :t + 1].cpu().detach().numpy(), logits[0, :t + 1].cpu().detach().numpy(),
                                   rtol=1e-10, atol=1e-12)
        assert not np.allclose(again[0, t + 1].cpu().detach().numpy(), logits[0, t + 1].cpu().detach().numpy())


def test_gpt_cache_matches_full_forward(device):
    model = small_gpt(device)
    idx = ember.tensor([[3, 1, 4, 1, 5, 9, 2, 6]], device=device)
    full = model(idx)
    first, past = model(idx[:, :5], use_cache=True)
    assert len(past) == 2 and past[0][0].shape == (1, 2, 5, 8)
    rest, past = model(idx[:, 5:7], past_key_values=past, use_cache=True)  # several tokens after a cache
    last, past = model(idx[:, 7:], past_key_values=past, use_cache=True)
    got = ember.cat([first, rest, last], dim=1)
    np.testing.assert_allclose(got.cpu().detach().numpy(), full.cpu().detach().numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="block_size"):
        model(ember.zeros((1, 13), dtype=ember.int64, device=device))


def test_generation_with_and_without_cache_identical(device):
    model = small_gpt(device)
    prompt = ember.tensor([[1, 2, 3], [4, 5, 6]], device=device)
    greedy = model.generate(prompt, 15, temperature=0)  # runs past block_size=12: the sliding window path
    assert greedy.shape == (2, 18) and greedy[:, :3].tolist() == prompt.tolist()
    assert greedy.tolist() == model.generate(prompt, 15, temperature=0, use_cache=False).tolist()
    sampled = [model.generate(prompt, 8, temperature=0.8, top_k=5, top_p=0.9, use_cache=c,
                              generator=ember.Generator(device=device).manual_seed(3)) for c in (True, False)]
    assert sampled[0].tolist() == sampled[1].tolist()


def test_generate_greedy_matches_argmax_loop():
    model = small_gpt()
    idx = ember.tensor([[7]])
    expected = [7]
    for _ in range(5):
        expected.append(int(model(ember.tensor([expected]))[0, -1].argmax()))
    assert model.generate(idx, 5, temperature=0)[0].tolist() == expected


def test_filter_logits_top_k_top_p():
    logits = ember.tensor([[1.0, 3.0, 2.0, 0.0]])
    assert np.isinf(_filter_logits(logits, 2, None).numpy()).tolist() == [[True, False, False, True]]
    p = np.exp([1.0, 3.0, 2.0, 0.0]) / np.exp([1.0, 3.0, 2.0, 0.0]).sum()  # sorted: .644 .237 .087 .032
    assert p[1] < 0.7 < p[1] + p[2]
    assert np.isinf(_filter_logits(logits, None, 0.7).numpy()).tolist() == [[True, False, False, True]]
    assert np.isinf(_filter_logits(logits, None, 0.5).numpy()).tolist() == [[True, False, True, True]]
    assert not np.isinf(_filter_logits(logits, None, 1.0).numpy()).any()


def test_gpt_trains_and_weights_round_trip(tmp_path):
    ember.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=8, block_size=8, n_layer=1, n_head=2, n_embd=16)).train()
    data = ember.tensor([[0, 1, 2, 3, 4, 5, 6, 7]] * 4)
    opt = ember.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(60):
        loss = F.cross_entropy(model(data[:, :-1]).reshape(-1, 8), data[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss) < 0.1  # learned the deterministic successor
    assert model.lm_head.weight is model.transformer.wte.weight
    path = tmp_path / "gpt.safetensors"
    model.save_safetensors(path)
    loaded = GPT.from_safetensors(path).eval()
    model.eval()
    np.testing.assert_array_equal(loaded(data).detach().numpy(), model(data).detach().numpy())
    save_safetensors_weights(model, tmp_path / "plain.safetensors")
    with pytest.raises(ValueError, match="gpt_config"):
        GPT.from_safetensors(tmp_path / "plain.safetensors")
    other = GPT(GPTConfig(vocab_size=8, block_size=8, n_layer=1, n_head=2, n_embd=16))
    assert load_safetensors_weights(other, tmp_path / "plain.safetensors") == ([], [])
    with pytest.raises(RuntimeError, match="missing keys"):
        load_safetensors_weights(small_gpt(), tmp_path / "plain.safetensors")


def test_gpt_matches_torch_with_same_weights(tmp_path):
    torch = pytest.importorskip("torch")
    model = small_gpt(dtype=ember.float32)
    idx = [[1, 5, 7, 2, 9]]
    params = {k: torch.tensor(v.detach().numpy()) for k, v in model.state_dict().items()}

    def torch_forward(x):
        c, h = 16, 2
        pos = torch.arange(x.shape[1])
        y = params["transformer.wte.weight"][x] + params["transformer.wpe.weight"][pos]
        for i in range(2):
            p = {k.split(f"transformer.h.{i}.")[1]: v for k, v in params.items() if k.startswith(f"transformer.h.{i}.")}
            a = torch.nn.functional.layer_norm(y, (c,), p["ln_1.weight"], p["ln_1.bias"])
            q, k, v = torch.nn.functional.linear(a, p["attn.c_attn.weight"], p["attn.c_attn.bias"]).split(c, 2)
            q, k, v = (z.reshape(1, -1, h, c // h).transpose(1, 2) for z in (q, k, v))
            att = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
            att = att.transpose(1, 2).reshape(1, -1, c)
            y = y + torch.nn.functional.linear(att, p["attn.c_proj.weight"], p["attn.c_proj.bias"])
            m = torch.nn.functional.layer_norm(y, (c,), p["ln_2.weight"], p["ln_2.bias"])
            m = torch.nn.functional.gelu(torch.nn.functional.linear(m, p["mlp.c_fc.weight"], p["mlp.c_fc.bias"]),
                                         approximate="tanh")
            y = y + torch.nn.functional.linear(m, p["mlp.c_proj.weight"], p["mlp.c_proj.bias"])
        y = torch.nn.functional.layer_norm(y, (c,), params["transformer.ln_f.weight"], params["transformer.ln_f.bias"])
        return y @ params["transformer.wte.weight"].T

    np.testing.assert_allclose(model(ember.tensor(idx)).detach().numpy(), torch_forward(torch.tensor(idx)).numpy(),
                               rtol=1e-4, atol=1e-5)


def test_gpt2_safetensors_layout(tmp_path):
    model = small_gpt(dtype=ember.float32)
    conv1d = ("c_attn.weight", "c_proj.weight", "c_fc.weight")
    hf = {k.removeprefix("transformer."): (v.t() if k.endswith(conv1d) else v).contiguous()
          for k, v in model.state_dict().items()}
    for i in range(2):  # GPT-2 files carry the causal mask as a buffer
        hf[f"h.{i}.attn.bias"] = ember.ones(1, 1, 12, 12).tril()
    ember.save_safetensors(hf, tmp_path / "model.safetensors")
    loaded = GPT.from_gpt2_safetensors(tmp_path / "model.safetensors", n_head=2).eval()
    assert (loaded.config.n_layer, loaded.config.block_size, loaded.config.vocab_size) == (2, 12, 23)
    idx = ember.tensor([[1, 2, 3, 4]])
    np.testing.assert_array_equal(loaded(idx).detach().numpy(), model(idx).detach().numpy())
    del hf["h.1.mlp.c_fc.bias"]
    ember.save_safetensors(hf, tmp_path / "broken.safetensors")
    with pytest.raises(RuntimeError, match="c_fc.bias"):
        GPT.from_gpt2_safetensors(tmp_path / "broken.safetensors", n_head=2)
