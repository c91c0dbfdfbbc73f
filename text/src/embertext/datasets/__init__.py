"""Streaming readers for common text data sets (``embertext.datasets``), downloading through ember.utils.download.

Every reader takes ``root`` (default ``.data``), ``split`` (a name, or a tuple giving a tuple of data
sets) and ``download``; each data set is an :class:`ember.utils.data.IterableDataset` reading its files
lazily, so large corpora are never loaded at once.

Example:
    >>> from embertext import datasets
    >>> sorted(datasets.DATASETS)[:3]
    ['AG_NEWS', 'DBpedia', 'IMDB']
"""

from .imdb import IMDB
from .language_modeling import PennTreebank, WikiText2, WikiText103
from .text_classification import AG_NEWS, DBpedia, YelpReviewPolarity
from .translation import Multi30k

DATASETS = {f.__name__: f for f in (AG_NEWS, DBpedia, YelpReviewPolarity, IMDB, WikiText2, WikiText103,
                                     PennTreebank, Multi30k)}

__all__ = ["AG_NEWS", "DBpedia", "YelpReviewPolarity", "IMDB", "WikiText2", "WikiText103", "PennTreebank",
           "Multi30k", "DATASETS"]
