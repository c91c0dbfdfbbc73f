"""An encoder-decoder Transformer for translation (batch-first), with masks and greedy decoding."""

from __future__ import annotations

import math

import ember
import ember.nn as nn

from ._layers import PositionalEncoding

__all__ = ["Seq2SeqTransformer"]


class Seq2SeqTransformer(nn.Module):
    """Source/target embeddings + positions, :class:`ember.nn.Transformer`, and a projection to target logits.

    ``forward(src, tgt, ...)`` takes token ids (N, S) and (N, T) and returns logits (N, T, tgt_vocab);
    the target gets a causal mask unless ``tgt_mask`` is given; padding masks are True at padding.

    Example:
        >>> import ember
        >>> from embertext.models import Seq2SeqTransformer
        >>> model = Seq2SeqTransformer(1, 1, emb_size=8, nhead=2, src_vocab_size=11, tgt_vocab_size=13,
        ...                            dim_feedforward=16)
        >>> model(ember.tensor([[1, 2, 3]]), ember.tensor([[4, 5]])).shape
        ember.Size([1, 2, 13])
    """

    def __init__(self, num_encoder_layers, num_decoder_layers, emb_size, nhead, src_vocab_size, tgt_vocab_size,
                 dim_feedforward=512, dropout=0.1, max_len=5000):
        super().__init__()
        self.emb_size = emb_size
        self.transformer = nn.Transformer(emb_size, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward,
                                          dropout, batch_first=True)
        self.src_tok_emb = nn.Embedding(src_vocab_size, emb_size)
        self.tgt_tok_emb = nn.Embedding(tgt_vocab_size, emb_size)
        self.positional_encoding = PositionalEncoding(emb_size, dropout, max_len)
        self.generator = nn.Linear(emb_size, tgt_vocab_size)

    def _embed(self, table, tokens):
        return self.positional_encoding(table(tokens) * math.sqrt(self.emb_size))

    @staticmethod
    def causal_mask(size, device=None):
        """A (size, size) float mask with -inf above the diagonal.

        Example:
            >>> from embertext.models import Seq2SeqTransformer
            >>> Seq2SeqTransformer.causal_mask(2)
            tensor([[0., -inf],
                    [0., 0.]])
        """
        return nn.Transformer.generate_square_subsequent_mask(size, device=device)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, src_padding_mask=None, tgt_padding_mask=None,
                memory_key_padding_mask=None):
        if tgt_mask is None:
            tgt_mask = self.causal_mask(tgt.shape[1], device=tgt.device)
        if memory_key_padding_mask is None:
            memory_key_padding_mask = src_padding_mask
        out = self.transformer(self._embed(self.src_tok_emb, src), self._embed(self.tgt_tok_emb, tgt),
                               src_mask=src_mask, tgt_mask=tgt_mask, src_key_padding_mask=src_padding_mask,
                               tgt_key_padding_mask=tgt_padding_mask, memory_key_padding_mask=memory_key_padding_mask)
        return self.generator(out)

    def encode(self, src, src_mask=None, src_padding_mask=None):
        """The encoder memory (N, S, E) of source ids."""
        return self.transformer.encoder(self._embed(self.src_tok_emb, src), mask=src_mask,
                                        src_key_padding_mask=src_padding_mask)

    def decode(self, tgt, memory, tgt_mask=None, memory_key_padding_mask=None):
        """Decoder states (N, T, E) of target ids given the memory (causal mask by default)."""
        if tgt_mask is None:
            tgt_mask = self.causal_mask(tgt.shape[1], device=tgt.device)
        return self.transformer.decoder(self._embed(self.tgt_tok_emb, tgt), memory, tgt_mask=tgt_mask,
                                        memory_key_padding_mask=memory_key_padding_mask)

    def greedy_decode(self, src, max_len, start_symbol, end_symbol=None, src_padding_mask=None):
        """Translate by always taking the most likely next token; (N, <= max_len) ids starting with ``start_symbol``.

        Example:
            >>> import ember
            >>> from embertext.models import Seq2SeqTransformer
            >>> model = Seq2SeqTransformer(1, 1, 8, 2, 11, 13, dim_feedforward=16).eval()
            >>> model.greedy_decode(ember.tensor([[1, 2, 3]]), max_len=4, start_symbol=0).shape[1] <= 4
            True
        """
        with ember.no_grad():
            memory = self.encode(src, src_padding_mask=src_padding_mask)
            ys = ember.full((src.shape[0], 1), start_symbol, dtype=ember.int64, device=src.device)
            done = ember.zeros(src.shape[0], dtype=ember.bool, device=src.device)
            for _ in range(max_len - 1):
                out = self.decode(ys, memory, memory_key_padding_mask=src_padding_mask)
                next_word = self.generator(out[:, -1]).argmax(-1)
                ys = ember.cat([ys, next_word.unsqueeze(1)], dim=1)
                if end_symbol is not None:
                    done = done | (next_word == end_symbol)
                    if bool(done.all()):
                        break
        return ys
