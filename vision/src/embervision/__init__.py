"""embervision: image data sets, transforms, models and utilities for Ember.

Example:
    >>> import embervision
    >>> ds = embervision.datasets.Digits(train=False)
    >>> len(ds), ds.classes[:3]
    (360, ['0', '1', '2'])
"""

from . import datasets, models, transforms, utils  # noqa: F401

__version__ = "0.1.0"
