"""embervision: image data sets, transforms, models, detection ops and image I/O for Ember.

Mirrors torchvision: ``import embervision as torchvision`` runs ordinary torchvision code.

Example:
    >>> import embervision
    >>> ds = embervision.datasets.Digits(train=False)
    >>> len(ds), ds.classes[:3]
    (359, ['0', '1', '2'])
"""

from . import datasets, io, models, ops, transforms, utils  # noqa: F401

__version__ = "0.1.0"


def get_image_backend():
    """The image library used by the data sets' loaders (always ``"PIL"``).

    Example:
        >>> import embervision
        >>> embervision.get_image_backend()
        'PIL'
    """
    return "PIL"
