"""A small GPT-style causal language model with a key/value cache for fast generation.

Module names follow the common GPT-2 layout (``transformer.wte``, ``transformer.h.0.attn.c_attn``, ...).
``forward(idx)`` is plain tensor code with a fixed causal mask (exportable); ``use_cache=True`` also
returns each layer's keys and values so :meth:`GPT.generate` feeds one new token per step.

Example:
    >>> import ember
    >>> from embertext.models import GPT, GPTConfig
    >>> model = GPT(GPTConfig(vocab_size=50, block_size=16, n_layer=2, n_head=2, n_embd=16)).eval()
    >>> model(ember.tensor([[1, 2, 3]])).shape
    ember.Size([1, 3, 50])
"""

from __future__ import annotations

import dataclasses
import json
import math

import ember
import ember.nn as nn
import ember.nn.functional as F

from ._weights import load_safetensors_weights, read_safetensors_metadata, save_safetensors_weights

__all__ = ["GPTConfig", "GPT"]

_CONV1D = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")


@dataclasses.dataclass
class GPTConfig:
    """Sizes of a :class:`GPT` model.

    Example:
        >>> from embertext.models import GPTConfig
        >>> GPTConfig(vocab_size=100).n_layer
        2
    """

    vocab_size: int
    block_size: int = 256
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t sees positions <= t (and everything in the cache).

    Example:
        >>> import ember
        >>> from embertext.models.gpt import CausalSelfAttention
        >>> from embertext.models import GPTConfig
        >>> y, (k, v) = CausalSelfAttention(GPTConfig(10, n_head=2, n_embd=8))(ember.randn(1, 3, 8))
        >>> y.shape, k.shape
        (ember.Size([1, 3, 8]), ember.Size([1, 2, 3, 4]))
    """

    def __init__(self, config):
        super().__init__()
        if config.n_embd % config.n_head:
            raise ValueError(f"GPT: n_embd={config.n_embd} is not divisible by n_head={config.n_head}")
        self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)
        # additive causal mask (0 on and below the diagonal, -inf above): plain Add in the graph, exportable
        mask = ember.full((config.block_size, config.block_size), float("-inf")).triu(1)
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x, past=None):
        b, t, c = x.shape
        qkv = self.c_attn(x).reshape(b, t, 3, self.n_head, c // self.n_head).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # each (b, heads, t, head size)
        start = 0
        if past is not None:
            start = past[0].shape[2]
            k, v = ember.cat([past[0], k], dim=2), ember.cat([past[1], v], dim=2)
        mask = None if t == 1 else self.mask[start:start + t, :start + t]  # one new token may see everything
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0)
        y = y.transpose(1, 2).reshape(b, t, c)
        return self.resid_dropout(self.c_proj(y)), (k, v)


class MLP(nn.Module):
    """Position-wise feed-forward: Linear(4x) -> GELU (tanh form) -> Linear -> dropout.

    Example:
        >>> import ember
        >>> from embertext.models.gpt import MLP
        >>> from embertext.models import GPTConfig
        >>> MLP(GPTConfig(10, n_embd=8))(ember.zeros(1, 2, 8)).shape
        ember.Size([1, 2, 8])
    """

    def __init__(self, config):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU(approximate="tanh")
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """Pre-norm Transformer block: ``x + attn(ln_1(x))`` then ``x + mlp(ln_2(x))``.

    Example:
        >>> import ember
        >>> from embertext.models.gpt import Block
        >>> from embertext.models import GPTConfig
        >>> Block(GPTConfig(10, n_head=2, n_embd=8))(ember.zeros(1, 2, 8))[0].shape
        ember.Size([1, 2, 8])
    """

    def __init__(self, config):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x, past=None):
        a, present = self.attn(self.ln_1(x), past)
        x = x + a
        return x + self.mlp(self.ln_2(x)), present


def _filter_logits(logits, top_k, top_p):
    """Set logits outside the top-k / nucleus (top-p) set to -inf (the best token always stays)."""
    if top_k is not None:
        kth = logits.topk(min(top_k, logits.shape[-1]), dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        ordered = logits.sort(dim=-1, descending=True).values
        probs = ordered.softmax(-1)
        before = probs.cumsum(-1) - probs  # probability mass strictly above each sorted token
        kept = (before < top_p).sum(-1, keepdim=True).clamp(min=1)
        threshold = ordered.gather(-1, kept - 1)
        logits = logits.masked_fill(logits < threshold, float("-inf"))
    return logits


class GPT(nn.Module):
    """A decoder-only Transformer language model (token + learned position embeddings, tied output layer).

    ``forward(idx)`` -> logits (N, T, vocab); ``forward(idx, past_key_values, use_cache=True)`` ->
    ``(logits, presents)`` where positions continue after the cached ones.

    Example:
        >>> import ember
        >>> from embertext.models import GPT, GPTConfig
        >>> _ = ember.manual_seed(0)
        >>> model = GPT(GPTConfig(vocab_size=20, block_size=8, n_layer=1, n_head=2, n_embd=8)).eval()
        >>> model.generate(ember.tensor([[1, 2]]), max_new_tokens=3, temperature=0).shape
        ember.Size([1, 5])
    """

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # weight tying
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):  # scaled init of the residual projections (GPT-2)
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_parameters(self):
        """Number of distinct parameters (the tied output layer counted once).

        Example:
            >>> from embertext.models import GPT, GPTConfig
            >>> GPT(GPTConfig(vocab_size=10, block_size=4, n_layer=1, n_head=1, n_embd=4)).num_parameters()
            308
        """
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx, past_key_values=None, use_cache=False):
        b, t = idx.shape
        start = 0 if past_key_values is None else past_key_values[0][0].shape[2]
        if start + t > self.config.block_size:
            raise ValueError(f"GPT: cannot run a sequence of length {start + t}, block_size is "
                             f"{self.config.block_size}")
        pos = ember.arange(start, start + t, dtype=ember.int64, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        presents = []
        for i, block in enumerate(self.transformer.h):
            x, present = block(x, None if past_key_values is None else past_key_values[i])
            presents.append(present)
        logits = self.lm_head(self.transformer.ln_f(x))
        return (logits, presents) if use_cache else logits

    def generate(self, input_ids, max_new_tokens, temperature=1.0, top_k=None, top_p=None, use_cache=True,
                 generator=None):
        """Append ``max_new_tokens`` sampled tokens to ``input_ids`` (N, T) and return (N, T + max_new_tokens).

        ``temperature=0`` picks the most likely token; otherwise logits are divided by ``temperature``,
        filtered to the ``top_k`` best and/or the smallest set with probability >= ``top_p``, and sampled
        (with ``generator``). With ``use_cache`` each step runs the model on one new token only; once the
        sequence outgrows ``block_size`` the last ``block_size`` tokens are re-run each step.
        Call ``model.eval()`` first to switch dropout off.

        Example:
            >>> import ember
            >>> from embertext.models import GPT, GPTConfig
            >>> model = GPT(GPTConfig(vocab_size=20, block_size=8, n_layer=1, n_head=2, n_embd=8)).eval()
            >>> g = ember.Generator().manual_seed(0)
            >>> model.generate(ember.tensor([[1]]), 4, top_k=5, top_p=0.9, generator=g).shape
            ember.Size([1, 5])
        """
        block = self.config.block_size
        idx, past = input_ids, None
        with ember.no_grad():
            for _ in range(max_new_tokens):
                if use_cache and idx.shape[1] <= block:
                    step = idx if past is None else idx[:, -1:]
                    logits, past = self(step, past_key_values=past, use_cache=True)
                else:
                    logits = self(idx[:, -block:])
                logits = logits[:, -1, :]
                if temperature == 0:
                    nxt = logits.argmax(-1, keepdim=True)
                else:
                    probs = _filter_logits(logits / temperature, top_k, top_p).softmax(-1)
                    nxt = ember.multinomial(probs, 1, generator=generator)
                idx = ember.cat([idx, nxt.to(idx.dtype)], dim=1)
        return idx

    # --- weights files -------------------------------------------------------------------------------
    def save_safetensors(self, path):
        """Write the weights and the config (in the file's metadata) to a safetensors file.

        Example:
            >>> import os, tempfile, ember
            >>> from embertext.models import GPT, GPTConfig
            >>> model = GPT(GPTConfig(vocab_size=10, block_size=4, n_layer=1, n_head=1, n_embd=4))
            >>> path = os.path.join(tempfile.mkdtemp(), "gpt.safetensors"); model.save_safetensors(path)
            >>> ember.equal(GPT.from_safetensors(path).lm_head.weight, model.lm_head.weight)
            True
        """
        save_safetensors_weights(self, path, metadata={"gpt_config": json.dumps(dataclasses.asdict(self.config))})

    @classmethod
    def from_gpt2_safetensors(cls, path, n_head, dropout=0.0):
        """A model with the weights of a Hugging Face GPT-2 ``model.safetensors`` file the user has.

        Sizes come from the weights (``n_head`` cannot, so it is given: 12 for GPT-2 small); the
        ``Conv1D`` matrices are transposed into ``Linear`` layout and the causal-mask buffers skipped.

        Example:
            >>> import os, tempfile, ember
            >>> from embertext.models import GPT, GPTConfig
            >>> model = GPT(GPTConfig(vocab_size=10, block_size=4, n_layer=1, n_head=2, n_embd=4))
            >>> conv1d = ("c_attn.weight", "c_proj.weight", "c_fc.weight")  # stored transposed by GPT-2
            >>> hf = {k.removeprefix("transformer."): (v.t() if k.endswith(conv1d) else v).contiguous()
            ...       for k, v in model.state_dict().items() if k != "lm_head.weight"}
            >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors"); ember.save_safetensors(hf, path)
            >>> ember.equal(GPT.from_gpt2_safetensors(path, n_head=2).transformer.h[0].attn.c_attn.weight,
            ...             model.transformer.h[0].attn.c_attn.weight)
            True
        """
        raw = ember.load_safetensors(path)
        weights = {}
        for key, value in raw.items():
            name = key if key.startswith(("transformer.", "lm_head.")) else "transformer." + key
            if name.endswith((".attn.bias", ".attn.masked_bias")) and value.ndim != 1:
                continue  # GPT-2's stored causal mask, not a weight
            weights[name] = value.t() if name.endswith(_CONV1D) else value
        if "transformer.wte.weight" not in weights or "transformer.wpe.weight" not in weights:
            raise ValueError(f"GPT.from_gpt2_safetensors: {path} has no wte/wpe embeddings; is it a GPT-2 file?")
        vocab_size, n_embd = weights["transformer.wte.weight"].shape
        n_layer = len({k.split(".")[2] for k in weights if k.startswith("transformer.h.")})
        config = GPTConfig(vocab_size=vocab_size, block_size=weights["transformer.wpe.weight"].shape[0],
                           n_layer=n_layer, n_head=n_head, n_embd=n_embd, dropout=dropout)
        model = cls(config)
        weights.pop("lm_head.weight", None)  # tied to wte
        own = model.state_dict()
        missing = [k for k in own if k not in weights and k != "lm_head.weight"]
        unexpected = [k for k in weights if k not in own]
        if missing or unexpected:
            raise RuntimeError(f"GPT.from_gpt2_safetensors: {path} does not match GPT-2: missing {missing}, "
                               f"unexpected {unexpected}")
        with ember.no_grad():
            for name, value in weights.items():
                own[name].copy_(value.to(own[name].dtype))
        return model

    @classmethod
    def from_safetensors(cls, path, config=None, strict=True):
        """A model with weights from a safetensors file (config from ``config`` or the file's metadata).

        Example:
            >>> import os, tempfile
            >>> from embertext.models import GPT, GPTConfig
            >>> path = os.path.join(tempfile.mkdtemp(), "gpt.safetensors")
            >>> GPT(GPTConfig(vocab_size=10, block_size=4, n_layer=1, n_head=1, n_embd=4)).save_safetensors(path)
            >>> GPT.from_safetensors(path).config.n_embd
            4
        """
        if config is None:
            meta = read_safetensors_metadata(path)
            if "gpt_config" not in meta:
                raise ValueError(f"GPT.from_safetensors: {path} has no gpt_config metadata; pass config=GPTConfig(...)")
            config = GPTConfig(**json.loads(meta["gpt_config"]))
        model = cls(config)
        load_safetensors_weights(model, path, strict=strict)
        return model
