"""A trainable byte-level BPE tokenizer (``embertext.tokenizers.BPETokenizer``).

Text is split into pre-tokens (words with their leading space, numbers, punctuation runs, whitespace),
each pre-token's UTF-8 bytes start as single-byte tokens and learned merges join adjacent pairs. Any
string therefore encodes, and ``decode(encode(text)) == text`` exactly. Ids: the special tokens first,
then the 256 bytes, then one id per merge in the order learned.

Example:
    >>> from embertext.tokenizers import BPETokenizer
    >>> tok = BPETokenizer.train(["low lower lowest"] * 20, vocab_size=270, special_tokens=["<pad>"])
    >>> ids = tok.encode("lowest ✓")
    >>> tok.decode(ids)
    'lowest ✓'
"""

from __future__ import annotations

import heapq
import json
import re
import unicodedata
from collections import Counter

import ember

__all__ = ["BPETokenizer", "WordPieceTokenizer"]

# Contractions, letter runs, digit runs, punctuation runs (each with an optional leading space) and
# whitespace; the last alternative makes sure every character lands in some pre-token.
_PRETOKEN = re.compile(r"""'(?:[sdmt]|ll|ve|re)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+|[\s\S]""")
_FORMAT = "embertext.bpe"


def _pairs(word):
    return zip(word, word[1:])


def _merge_word(word, pair, new):
    a, b = pair
    out, i, n = [], 0, len(word)
    while i < n:
        if i + 1 < n and word[i] == a and word[i + 1] == b:
            out.append(new)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return out


def _learn_merges(word_counts, num_merges, min_frequency):
    """Greedy BPE on ``{bytes: count}``: merges as ``[(a, b)]`` over byte ids (0-255) and earlier merges."""
    words = [list(w) for w in word_counts]
    freqs = list(word_counts.values())
    stats, where = Counter(), {}
    for idx, (word, f) in enumerate(zip(words, freqs)):
        for pair in _pairs(word):
            stats[pair] += f
            where.setdefault(pair, set()).add(idx)
    heap = [(-c, p) for p, c in stats.items()]
    heapq.heapify(heap)
    merges = []
    while len(merges) < num_merges and heap:
        neg, pair = heapq.heappop(heap)
        if stats.get(pair, 0) != -neg:
            continue  # a stale entry: the count changed since it was pushed
        if -neg < min_frequency:
            break
        new = 256 + len(merges)
        merges.append(pair)
        changed = Counter()
        for idx in where.pop(pair):
            word = words[idx]
            if len(word) < 2:
                continue
            merged = _merge_word(word, pair, new)
            if len(merged) == len(word):
                continue
            f = freqs[idx]
            for p in _pairs(word):
                changed[p] -= f
            for p in _pairs(merged):
                changed[p] += f
                where.setdefault(p, set()).add(idx)
            words[idx] = merged
        del stats[pair]
        for p, delta in changed.items():
            if delta and p != pair:
                count = stats[p] + delta
                stats[p] = count
                if count > 0:
                    heapq.heappush(heap, (-count, p))
    return merges


MAX_TOKEN_BYTES = 1 << 26  # the merged tokens of a loaded file may spell at most this many bytes in all


def _check_merges(merges):
    """Why ``merges`` (from a file) is unusable, or None: each pair names earlier ids, total token bytes bounded."""
    if not isinstance(merges, list):
        return "merges must be a list of [a, b] pairs"
    lengths, total = [1] * 256, 256
    for k, pair in enumerate(merges):
        if (not isinstance(pair, list) or len(pair) != 2
                or not all(type(i) is int and 0 <= i < 256 + k for i in pair)):
            return f"merge {k} must be a pair of ids below {256 + k}, got {pair!r:.60}"
        lengths.append(lengths[pair[0]] + lengths[pair[1]])
        total += lengths[-1]
        if total > MAX_TOKEN_BYTES:  # doubling merges would need exponential memory
            return f"the merged tokens spell more than {MAX_TOKEN_BYTES} bytes"
    return None


class BPETokenizer:
    """Byte-level BPE: train on text, encode/decode (exact round trip), batch-encode with padding, save/load JSON.

    Args:
        merges: learned pairs ``[(a, b)]`` over internal ids (bytes 0-255, merge k is ``256 + k``).
        special_tokens: strings with their own ids (0, 1, ...), never split; found in text by ``encode``.
        pad_token: the special token used for padding by :meth:`encode_batch` (default ``"<pad>"`` if present).

    Example:
        >>> from embertext.tokenizers import BPETokenizer
        >>> tok = BPETokenizer(special_tokens=["<pad>", "<eos>"])
        >>> tok.encode("hi<eos>"), tok.vocab_size
        ([106, 107, 1], 258)
    """

    def __init__(self, merges=(), special_tokens=(), pad_token=None):
        self.special_tokens = list(special_tokens)
        if len(set(self.special_tokens)) != len(self.special_tokens) or not all(self.special_tokens):
            raise ValueError("BPETokenizer: special tokens must be unique, non-empty strings")
        self.merges = [tuple(p) for p in merges]
        self._offset = len(self.special_tokens)
        self._ranks = {pair: 256 + k for k, pair in enumerate(self.merges)}
        self._bytes = [bytes([i]) for i in range(256)]
        for a, b in self.merges:
            self._bytes.append(self._bytes[a] + self._bytes[b])
        self._special_ids = {t: i for i, t in enumerate(self.special_tokens)}
        self._special_re = (re.compile("(" + "|".join(map(re.escape, sorted(self.special_tokens, key=len,
                                                                              reverse=True))) + ")")
                            if self.special_tokens else None)
        if pad_token is None and "<pad>" in self._special_ids:
            pad_token = "<pad>"
        if pad_token is not None and pad_token not in self._special_ids:
            raise ValueError(f"BPETokenizer: pad_token {pad_token!r} is not one of the special tokens")
        self.pad_token = pad_token
        self._cache = {}

    # --- training -----------------------------------------------------------------------------------
    @classmethod
    def train(cls, iterator, vocab_size, special_tokens=(), min_frequency=2, pad_token=None):
        """Learn merges from an iterator of strings until the vocabulary has ``vocab_size`` ids.

        Stops early when no pair occurs ``min_frequency`` times. ``vocab_size`` counts the special
        tokens and the 256 byte tokens.

        Example:
            >>> from embertext.tokenizers import BPETokenizer
            >>> tok = BPETokenizer.train(["aaab aaab"] * 5, vocab_size=259)
            >>> [tok.id_to_token(i) for i in range(256, 259)]
            ['aa', 'ab', 'aaab']
        """
        special_tokens = list(special_tokens)
        base = 256 + len(special_tokens)
        if vocab_size < base:
            raise ValueError(f"BPETokenizer.train: vocab_size={vocab_size} is smaller than the 256 byte tokens "
                             f"plus {len(special_tokens)} special tokens")
        splitter = cls(special_tokens=special_tokens)
        counts = Counter()
        for text in iterator:
            for piece, is_special in splitter._split_special(text):
                if not is_special:
                    counts.update(_PRETOKEN.findall(piece))
        word_counts = Counter()
        for word, c in counts.items():
            word_counts[word.encode("utf-8")] += c
        merges = _learn_merges(word_counts, vocab_size - base, min_frequency)
        return cls(merges, special_tokens, pad_token)

    # --- encoding -----------------------------------------------------------------------------------
    @property
    def vocab_size(self):
        """Number of ids: special tokens + 256 bytes + merges."""
        return self._offset + len(self._bytes)

    def _split_special(self, text):
        if self._special_re is None:
            yield text, False
            return
        for i, piece in enumerate(self._special_re.split(text)):
            if piece:
                yield piece, i % 2 == 1

    def _encode_word(self, word):
        ids = list(word.encode("utf-8"))
        ranks = self._ranks
        while len(ids) > 1:
            best = min(_pairs(ids), key=lambda p: ranks.get(p, 1 << 60))
            new = ranks.get(best)
            if new is None:
                break
            ids = _merge_word(ids, best, new)
        offset = self._offset
        return [i + offset for i in ids]

    def encode(self, text):
        """Token ids of ``text`` (special tokens written in the text get their own ids).

        Example:
            >>> from embertext.tokenizers import BPETokenizer
            >>> BPETokenizer().encode("€")
            [226, 130, 172]
        """
        out = []
        cache = self._cache
        for piece, is_special in self._split_special(text):
            if is_special:
                out.append(self._special_ids[piece])
                continue
            for word in _PRETOKEN.findall(piece):
                ids = cache.get(word)
                if ids is None:
                    ids = cache[word] = self._encode_word(word)
                out.extend(ids)
        return out

    def __call__(self, input):
        """``encode`` a string, or each string of a list (so the tokenizer works as a transform)."""
        if isinstance(input, str):
            return self.encode(input)
        return [self.encode(text) for text in input]

    def encode_batch(self, texts, padding="longest", truncation=False, max_length=None, return_tensors=True,
                     padding_side="right"):
        """Encode several texts; pad/truncate to a common length and give attention masks.

        Args:
            padding: ``"longest"`` (or True), ``"max_length"``, or False (ragged lists).
            truncation: cut sequences longer than ``max_length``.
            max_length: the length for ``padding="max_length"`` and truncation.
            return_tensors: int64 tensors when padded (else lists of lists).
            padding_side: ``"right"`` or ``"left"`` (left suits generation).

        Returns:
            ``{"input_ids": ..., "attention_mask": ...}`` (mask 1 at real tokens, 0 at padding).

        Example:
            >>> from embertext.tokenizers import BPETokenizer
            >>> tok = BPETokenizer(special_tokens=["<pad>"])
            >>> out = tok.encode_batch(["ab", "c"])
            >>> out["input_ids"].tolist(), out["attention_mask"].tolist()
            ([[98, 99], [100, 0]], [[1, 1], [1, 0]])
        """
        rows = [self.encode(t) for t in texts]
        if truncation:
            if max_length is None:
                raise ValueError("BPETokenizer.encode_batch: truncation=True needs max_length")
            rows = [r[:max_length] for r in rows]
        if padding is True:
            padding = "longest"
        if not padding:
            return {"input_ids": rows, "attention_mask": [[1] * len(r) for r in rows]}
        if self.pad_token is None:
            raise ValueError("BPETokenizer.encode_batch: padding needs a pad_token (add '<pad>' to special_tokens)")
        if padding == "max_length":
            if max_length is None:
                raise ValueError("BPETokenizer.encode_batch: padding='max_length' needs max_length")
            width = max(max_length, max((len(r) for r in rows), default=0))
        elif padding == "longest":
            width = max((len(r) for r in rows), default=0)
        else:
            raise ValueError(f"BPETokenizer.encode_batch: padding must be 'longest', 'max_length' or False, "
                             f"got {padding!r}")
        pad = self._special_ids[self.pad_token]
        ids, mask = [], []
        for r in rows:
            fill = width - len(r)
            if padding_side == "left":
                ids.append([pad] * fill + r)
                mask.append([0] * fill + [1] * len(r))
            else:
                ids.append(r + [pad] * fill)
                mask.append([1] * len(r) + [0] * fill)
        if return_tensors:
            shape = (len(rows), width)
            ids = ember.tensor(ids, dtype=ember.int64).reshape(shape)
            mask = ember.tensor(mask, dtype=ember.int64).reshape(shape)
        return {"input_ids": ids, "attention_mask": mask}

    # --- decoding -----------------------------------------------------------------------------------
    def decode(self, ids, skip_special_tokens=False):
        """The text of a list (or 1-D tensor) of ids; invalid UTF-8 (from arbitrary ids) becomes U+FFFD.

        Example:
            >>> from embertext.tokenizers import BPETokenizer
            >>> tok = BPETokenizer(special_tokens=["<eos>"])
            >>> tok.decode([105, 106, 0]), tok.decode([105, 106, 0], skip_special_tokens=True)
            ('hi<eos>', 'hi')
        """
        if isinstance(ids, ember.Tensor):
            ids = ids.tolist()
        chunks, buf, offset = [], bytearray(), self._offset
        for i in ids:
            i = int(i)
            if i < offset:
                chunks.append(buf.decode("utf-8", errors="replace"))
                buf = bytearray()
                if not skip_special_tokens:
                    chunks.append(self.special_tokens[i])
            else:
                buf += self._bytes[i - offset]
        chunks.append(buf.decode("utf-8", errors="replace"))
        return "".join(chunks)

    def id_to_token(self, i):
        """A readable form of token ``i`` (undecodable bytes shown as ``\\xNN``).

        Example:
            >>> from embertext.tokenizers import BPETokenizer
            >>> BPETokenizer().id_to_token(104), BPETokenizer().id_to_token(226)
            ('h', '\\\\xe2')
        """
        if i < self._offset:
            return self.special_tokens[i]
        return self._bytes[i - self._offset].decode("utf-8", errors="backslashreplace")

    def token_to_id(self, token):
        """The id of a special token, or of a string that is exactly one learned token.

        Example:
            >>> from embertext.tokenizers import BPETokenizer
            >>> BPETokenizer(special_tokens=["<unk>"]).token_to_id("<unk>")
            0
        """
        if token in self._special_ids:
            return self._special_ids[token]
        ids = self._encode_word(token)
        if len(ids) != 1:
            raise KeyError(f"BPETokenizer.token_to_id: {token!r} is not a single token")
        return ids[0]

    # --- files ----------------------------------------------------------------------------------------
    def save(self, path):
        """Write the tokenizer as JSON (special tokens, pad token, merges).

        Example:
            >>> import os, tempfile
            >>> from embertext.tokenizers import BPETokenizer
            >>> path = os.path.join(tempfile.mkdtemp(), "bpe.json")
            >>> BPETokenizer([(104, 105)], ["<pad>"]).save(path)
            >>> BPETokenizer.load(path).encode("hi")
            [257]
        """
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"format": _FORMAT, "special_tokens": self.special_tokens, "pad_token": self.pad_token,
                       "merges": [list(p) for p in self.merges]}, f, ensure_ascii=False)

    @classmethod
    def load(cls, path):
        """Read a tokenizer written by :meth:`save`.

        Example:
            >>> import os, tempfile
            >>> from embertext.tokenizers import BPETokenizer
            >>> path = os.path.join(tempfile.mkdtemp(), "bpe.json"); BPETokenizer().save(path)
            >>> BPETokenizer.load(path).vocab_size
            256
        """
        from .vocab import read_json

        data = read_json(path, "BPETokenizer.load")
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError(f"BPETokenizer.load: {path} is not an embertext BPE tokenizer file")
        merges, specials, pad = data.get("merges"), data.get("special_tokens"), data.get("pad_token")
        problem = _check_merges(merges)
        if not isinstance(specials, list) or not all(isinstance(t, str) and t for t in specials):
            problem = "special_tokens must be a list of non-empty strings"
        elif not (pad is None or isinstance(pad, str)):
            problem = "pad_token must be a string or null"
        if problem is None:
            try:
                return cls(merges, specials, pad)
            except ValueError as exc:
                problem = str(exc)
        raise ValueError(f"BPETokenizer.load: {path} is malformed: {problem}")

    def __repr__(self):
        return f"BPETokenizer(vocab_size={self.vocab_size}, special_tokens={self.special_tokens})"


def _is_punctuation(ch):
    cp = ord(ch)
    return 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126 or \
        unicodedata.category(ch).startswith("P")


def _is_cjk(ch):
    cp = ord(ch)
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF
            or 0x2F800 <= cp <= 0x2FA1F)


class WordPieceTokenizer:
    """BERT-style WordPiece: basic tokenization, then greedy longest-match-first sub-words from a vocabulary.

    The basic step drops control characters, isolates CJK characters and punctuation, splits on
    whitespace and (with ``do_lower_case``) lower-cases and strips accents. Each word is then cut into
    the longest vocabulary pieces from the left, continuation pieces written ``##piece``; a word that
    cannot be cut (or is longer than ``max_input_chars_per_word``) becomes ``unk_token``.

    Example:
        >>> from embertext.tokenizers import WordPieceTokenizer
        >>> tok = WordPieceTokenizer(["[UNK]", "un", "##aff", "##able", "runs", "!"])
        >>> tok.tokenize("Unaffable RUNS!"), tok.encode("runs?")
        (['un', '##aff', '##able', 'runs', '!'], [4, 0])
    """

    def __init__(self, vocab, unk_token="[UNK]", do_lower_case=True, strip_accents=None,
                 max_input_chars_per_word=100):
        self.itos = list(vocab)
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        if unk_token not in self.stoi:
            raise ValueError(f"WordPieceTokenizer: unk_token {unk_token!r} is not in the vocabulary")
        self.unk_token, self.do_lower_case = unk_token, do_lower_case
        self.strip_accents = do_lower_case if strip_accents is None else strip_accents
        self.max_input_chars_per_word = max_input_chars_per_word

    @classmethod
    def from_vocab_file(cls, path, **kwargs):
        """Read a ``vocab.txt`` with one token per line (the id is the line number).

        Example:
            >>> import os, tempfile
            >>> from embertext.tokenizers import WordPieceTokenizer
            >>> path = os.path.join(tempfile.mkdtemp(), "vocab.txt")
            >>> with open(path, "w") as f: _ = f.write("[UNK]\\nhi\\n")
            >>> WordPieceTokenizer.from_vocab_file(path).encode("Hi there")
            [1, 0]
        """
        with open(path, encoding="utf-8") as f:
            return cls([line.rstrip("\n") for line in f], **kwargs)

    def _basic(self, text):
        chars = []
        for ch in text:
            if ch == "\x00" or ch == "\ufffd" or (unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\t\n\r"):
                continue
            chars.append(f" {ch} " if _is_cjk(ch) else ch)
        words = []
        for word in "".join(chars).split():
            if self.do_lower_case:
                word = word.lower()
            if self.strip_accents:
                word = "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")
            piece = []
            for ch in word:
                if _is_punctuation(ch):
                    if piece:
                        words.append("".join(piece))
                        piece = []
                    words.append(ch)
                else:
                    piece.append(ch)
            if piece:
                words.append("".join(piece))
        return words

    def _pieces(self, word):
        if len(word) > self.max_input_chars_per_word:
            return [self.unk_token]
        out, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.stoi:
                    break
                end -= 1
            if end == start:
                return [self.unk_token]
            out.append(piece)
            start = end
        return out

    def tokenize(self, text):
        """The WordPiece tokens of ``text``.

        Example:
            >>> from embertext.tokenizers import WordPieceTokenizer
            >>> WordPieceTokenizer(["[UNK]", "cafe", "中"]).tokenize("Café 中文")
            ['cafe', '中', '[UNK]']
        """
        return [p for word in self._basic(text) for p in self._pieces(word)]

    def encode(self, text):
        """Token ids of ``text``.

        Example:
            >>> from embertext.tokenizers import WordPieceTokenizer
            >>> WordPieceTokenizer(["[UNK]", "a", "##b"]).encode("ab a")
            [1, 2, 1]
        """
        return [self.stoi[p] for p in self.tokenize(text)]

    def decode(self, ids):
        """Join the tokens of ``ids`` with spaces, gluing ``##`` continuations to the previous piece.

        Example:
            >>> from embertext.tokenizers import WordPieceTokenizer
            >>> WordPieceTokenizer(["[UNK]", "un", "##aff", "##able"]).decode([1, 2, 3])
            'unaffable'
        """
        return " ".join(self.itos[int(i)] for i in ids).replace(" ##", "")

    def __call__(self, input):
        """``encode`` a string or each string of a list (the transform interface)."""
        if isinstance(input, str):
            return self.encode(input)
        return [self.encode(text) for text in input]

    @property
    def vocab_size(self):
        """Number of tokens in the vocabulary."""
        return len(self.itos)

    def __repr__(self):
        return f"WordPieceTokenizer(vocab_size={self.vocab_size}, do_lower_case={self.do_lower_case})"
