"""Text classifiers: bag of embeddings, LSTM/GRU over packed sequences, Transformer encoder."""

from __future__ import annotations

import math

import ember
import ember.nn as nn
from ember.nn.utils.rnn import pack_padded_sequence

from ._layers import PositionalEncoding

__all__ = ["TextClassificationModel", "RNNClassifier", "TransformerClassifier"]


class TextClassificationModel(nn.Module):
    """Mean of the token embeddings of each text (an EmbeddingBag) followed by a linear layer.

    ``forward(text, offsets)`` takes all texts' token ids concatenated in one 1-D tensor and the
    start offset of each text (torchtext's tutorial model).

    Example:
        >>> import ember
        >>> from embertext.models import TextClassificationModel
        >>> model = TextClassificationModel(vocab_size=10, embed_dim=8, num_class=3)
        >>> model(ember.tensor([1, 2, 3, 4, 5]), ember.tensor([0, 2])).shape
        ember.Size([2, 3])
    """

    def __init__(self, vocab_size, embed_dim, num_class, mode="mean"):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, mode=mode)
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self, initrange=0.5):
        """Uniform(-initrange, initrange) embeddings and weights, zero bias."""
        nn.init.uniform_(self.embedding.weight, -initrange, initrange)
        nn.init.uniform_(self.fc.weight, -initrange, initrange)
        nn.init.zeros_(self.fc.bias)

    def forward(self, text, offsets):
        return self.fc(self.embedding(text, offsets))


class RNNClassifier(nn.Module):
    """Embed padded token ids, run an LSTM or GRU over the packed sequences, classify the last hidden state.

    ``forward(tokens, lengths)``: tokens (N, L) right-padded, lengths (N,) (any order). With
    ``bidirectional`` the last forward and backward states are concatenated.

    Example:
        >>> import ember
        >>> from embertext.models import RNNClassifier
        >>> model = RNNClassifier(vocab_size=10, embed_dim=8, hidden_size=6, num_class=2, rnn="gru")
        >>> model(ember.tensor([[1, 2, 3], [4, 0, 0]]), ember.tensor([3, 1])).shape
        ember.Size([2, 2])
    """

    _CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}

    def __init__(self, vocab_size, embed_dim, hidden_size, num_class, rnn="lstm", num_layers=1,
                 bidirectional=False, dropout=0.0, padding_idx=0):
        super().__init__()
        if rnn not in self._CELLS:
            raise ValueError(f"RNNClassifier: rnn must be 'lstm' or 'gru', got {rnn!r}")
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.rnn = self._CELLS[rnn](embed_dim, hidden_size, num_layers, batch_first=True,
                                    dropout=dropout if num_layers > 1 else 0.0, bidirectional=bidirectional)
        self.bidirectional = bidirectional
        self.fc = nn.Linear(hidden_size * (2 if bidirectional else 1), num_class)

    def forward(self, tokens, lengths):
        packed = pack_padded_sequence(self.embedding(tokens), lengths, batch_first=True, enforce_sorted=False)
        _, hidden = self.rnn(packed)
        h = hidden[0] if isinstance(hidden, tuple) else hidden
        last = ember.cat([h[-2], h[-1]], dim=-1) if self.bidirectional else h[-1]
        return self.fc(last)


class TransformerClassifier(nn.Module):
    """Token + sinusoidal position embeddings, a Transformer encoder with a padding mask, masked mean pooling, linear.

    ``forward(tokens, padding_mask=None)``: tokens (N, L); ``padding_mask`` (N, L) True at padding
    (default: ``tokens == padding_idx``).

    Example:
        >>> import ember
        >>> from embertext.models import TransformerClassifier
        >>> model = TransformerClassifier(10, d_model=8, nhead=2, num_layers=1, num_class=4, dim_feedforward=16)
        >>> model(ember.tensor([[1, 2, 0], [3, 4, 5]])).shape
        ember.Size([2, 4])
    """

    def __init__(self, vocab_size, d_model, nhead, num_layers, num_class, dim_feedforward=2048, dropout=0.1,
                 max_len=5000, padding_idx=0):
        super().__init__()
        self.d_model, self.padding_idx = d_model, padding_idx
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=padding_idx)
        self.pos = PositionalEncoding(d_model, dropout, max_len)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers)
        self.fc = nn.Linear(d_model, num_class)

    def forward(self, tokens, padding_mask=None):
        if padding_mask is None:
            padding_mask = tokens == self.padding_idx
        x = self.pos(self.embedding(tokens) * math.sqrt(self.d_model))
        x = self.encoder(x, src_key_padding_mask=padding_mask)
        keep = padding_mask.logical_not().unsqueeze(-1).to(x.dtype)
        pooled = (x * keep).sum(1) / keep.sum(1).clamp(min=1.0)
        return self.fc(pooled)
