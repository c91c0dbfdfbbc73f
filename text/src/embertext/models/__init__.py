"""NLP models (``embertext.models``): classifiers, a translation Transformer and a GPT-style language model.

Example:
    >>> from embertext import models
    >>> sorted(n for n in models.__all__ if n[0].isupper())[:3]
    ['GPT', 'GPTConfig', 'PositionalEncoding']
"""

from ._layers import PositionalEncoding
from ._weights import load_safetensors_weights, read_safetensors_metadata, save_safetensors_weights
from .classification import RNNClassifier, TextClassificationModel, TransformerClassifier
from .gpt import GPT, GPTConfig
from .seq2seq import Seq2SeqTransformer

__all__ = ["PositionalEncoding", "TextClassificationModel", "RNNClassifier", "TransformerClassifier",
           "Seq2SeqTransformer", "GPT", "GPTConfig", "save_safetensors_weights", "load_safetensors_weights",
           "read_safetensors_metadata"]
