"""Model architectures (``embervision.models``)."""

from ._registry import get_model, list_models
from .lenet import LeNet, lenet5

__all__ = ["LeNet", "lenet5", "get_model", "list_models"]
