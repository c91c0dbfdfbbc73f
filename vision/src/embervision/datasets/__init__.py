"""Image data sets (``embervision.datasets``)."""

from .digits import Digits

__all__ = ["Digits"]
