"""``ember.utils.tensorboard``: ``SummaryWriter`` writing TensorBoard event files.

The files are written directly (TFRecord framing and hand-encoded protocol buffers), so neither
tensorboard nor protobuf is needed; TensorBoard reads them as usual. Images need Pillow.

Example:
    >>> import tempfile
    >>> from ember.utils.tensorboard import SummaryWriter
    >>> with SummaryWriter(tempfile.mkdtemp()) as w:
    ...     for step in range(3):
    ...         w.add_scalar("loss", 1.0 / (step + 1), step)
"""

from .writer import SummaryWriter

__all__ = ["SummaryWriter"]
