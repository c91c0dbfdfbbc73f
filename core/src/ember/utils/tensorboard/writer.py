"""``SummaryWriter``: TensorBoard event files written without the tensorboard package.

Example:
    >>> import tempfile, ember
    >>> from ember.utils.tensorboard import SummaryWriter
    >>> with SummaryWriter(tempfile.mkdtemp()) as w:
    ...     w.add_scalar("loss", ember.tensor(0.5), 1)
"""

import os
import socket
import time
from datetime import datetime

from . import _hparams, _proto, _summary
from ._record import EventFileWriter


class SummaryWriter:
    """Writes scalars, histograms, images and text to a TensorBoard event file in ``log_dir``.

    ``log_dir`` defaults to ``runs/<Mon><day>_<H-M-S>_<hostname><comment>``. ``purge_step`` tells
    TensorBoard to drop events of a crashed run at or after that step. Writing after ``close()``
    opens a new event file in the same directory, as in torch.

    Example:
        >>> import tempfile
        >>> w = SummaryWriter(tempfile.mkdtemp(), filename_suffix=".demo")
        >>> w.add_text("note", "hello", 0); w.close()
        >>> w.file_writer is None
        True
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", stamp + "_" + socket.gethostname() + comment)
        self.log_dir = str(log_dir)
        self.purge_step = purge_step
        self.max_queue, self.flush_secs, self.filename_suffix = max_queue, flush_secs, filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()
        self.default_bins = _summary.default_bins()

    def _new_writer(self, log_dir):
        return EventFileWriter(log_dir, self.max_queue, self.flush_secs, self.filename_suffix)

    def _get_file_writer(self):
        """The main event file writer, reopened (a new file) after ``close()``."""
        if self.file_writer is None:
            self.file_writer = self._new_writer(self.log_dir)
            self.all_writers = {self.log_dir: self.file_writer}
            if self.purge_step is not None:
                step, now = self.purge_step, time.time()
                self.file_writer.add_event(_proto.event(now, step, file_version="brain.Event:2"))
                self.file_writer.add_event(
                    _proto.event(now, step, session_log=_proto.session_log(_proto.SESSION_START)))
                self.purge_step = None
        return self.file_writer

    @staticmethod
    def _write(writer, value, global_step, walltime):
        writer.add_summary(_proto.summary(value), global_step, walltime)

    def get_logdir(self):
        """The directory the event files go to.

        Example:
            >>> import tempfile
            >>> d = tempfile.mkdtemp()
            >>> with SummaryWriter(d) as w: w.get_logdir() == d
            True
        """
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """Log one number (a Python number or a one-element tensor) under ``tag``.

        Example:
            >>> import tempfile
            >>> with SummaryWriter(tempfile.mkdtemp()) as w: w.add_scalar("lr", 0.1, global_step=3)
        """
        value = _summary.scalar(tag, scalar_value, new_style, double_precision)
        self._write(self._get_file_writer(), value, global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Log several numbers on one chart: each goes to the sub-run ``<log_dir>/<main_tag>_<key>``.

        Example:
            >>> import tempfile
            >>> with SummaryWriter(tempfile.mkdtemp()) as w:
            ...     w.add_scalars("loss", {"train": 1.0, "val": 2.0}, 0)
        """
        walltime = time.time() if walltime is None else walltime
        log_dir = self._get_file_writer().log_dir
        for key, number in tag_scalar_dict.items():
            sub_dir = log_dir + "/" + main_tag.replace("/", "_") + "_" + key
            if sub_dir not in self.all_writers:
                self.all_writers[sub_dir] = self._new_writer(sub_dir)
            self._write(self.all_writers[sub_dir], _summary.scalar(main_tag, number), global_step,
                        walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        """Log a histogram of ``values``; ``bins`` is ``"tensorflow"`` or anything ``np.histogram`` takes.

        Example:
            >>> import tempfile, ember
            >>> with SummaryWriter(tempfile.mkdtemp()) as w:
            ...     w.add_histogram("w", ember.arange(10.0), 0, bins=5)
        """
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        value = _summary.histogram(tag, values, bins, max_bins)
        self._write(self._get_file_writer(), value, global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """Log an image (floats in [0, 1] or uint8); ``dataformats`` is e.g. ``"CHW"``, ``"HWC"``, ``"HW"``.

        Needs Pillow for the PNG encoding.

        Example:
            >>> import tempfile, ember
            >>> with SummaryWriter(tempfile.mkdtemp()) as w:
            ...     w.add_image("img", ember.rand(3, 4, 4), 0)
        """
        value = _summary.image(tag, img_tensor, dataformats)
        self._write(self._get_file_writer(), value, global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """Log a batch of images tiled into one grid image (8 a row).

        Example:
            >>> import tempfile, ember
            >>> with SummaryWriter(tempfile.mkdtemp()) as w:
            ...     w.add_images("batch", ember.rand(2, 1, 4, 4), 0)
        """
        self.add_image(tag, img_tensor, global_step, walltime, dataformats)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Log a (Markdown) string under ``<tag>/text_summary``.

        Example:
            >>> import tempfile
            >>> with SummaryWriter(tempfile.mkdtemp()) as w: w.add_text("cfg", "lr=0.1", 0)
        """
        self._write(self._get_file_writer(), _summary.text(tag, text_string), global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None):
        """Log one hyperparameter set and its metrics for TensorBoard's HPARAMS tab.

        They go to the sub-run ``<log_dir>/<run_name>`` (default: the current time); each metric is
        also logged there as a scalar.

        Example:
            >>> import tempfile
            >>> with SummaryWriter(tempfile.mkdtemp()) as w:
            ...     w.add_hparams({"lr": 0.1, "opt": "sgd"}, {"hparam/acc": 0.9}, run_name="r0")
        """
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("add_hparams: hparam_dict and metric_dict should be dictionaries")
        values = _hparams.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        log_dir = os.path.join(self._get_file_writer().log_dir, run_name or str(time.time()))
        with SummaryWriter(log_dir=log_dir) as run:
            for value in values:
                self._write(run.file_writer, value, global_step, None)
            for tag, number in metric_dict.items():
                run.add_scalar(tag, number, global_step)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Not supported: ember has no graph tracer producing TensorBoard ``GraphDef``s.

        Example:
            >>> import tempfile
            >>> with SummaryWriter(tempfile.mkdtemp()) as w: w.add_graph(None)
            Traceback (most recent call last):
            ...
            NotImplementedError: SummaryWriter.add_graph: ember cannot export model graphs ...
        """
        raise NotImplementedError("SummaryWriter.add_graph: ember cannot export model graphs to "
                                  "TensorBoard (no GraphDef tracer); nothing was written")

    def flush(self):
        """Write everything logged so far to disk.

        Example:
            >>> import tempfile
            >>> with SummaryWriter(tempfile.mkdtemp()) as w: w.flush()
        """
        for writer in (self.all_writers or {}).values():
            writer.flush()

    def close(self):
        """Flush and close every event file (closing twice is allowed).

        Example:
            >>> import tempfile
            >>> w = SummaryWriter(tempfile.mkdtemp()); w.close(); w.close()
        """
        for writer in (self.all_writers or {}).values():
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()
