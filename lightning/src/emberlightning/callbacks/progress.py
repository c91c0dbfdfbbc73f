"""Progress bars: one line per run, updated in place with ``\\r`` (through tqdm when it is installed)."""

from __future__ import annotations

import sys
import time

from .callback import Callback

__all__ = ["ProgressBar", "TQDMProgressBar"]


class ProgressBar(Callback):
    """Base class of progress bars: :meth:`get_metrics` says what to show next to the bar.

    Example:
        >>> from emberlightning.callbacks import ProgressBar
        >>> ProgressBar().is_enabled
        True
    """

    def __init__(self):
        self._enabled = True

    @property
    def is_enabled(self):
        return self._enabled

    def disable(self):
        """Stop drawing."""
        self._enabled = False

    def enable(self):
        """Draw again."""
        self._enabled = True

    def setup(self, trainer, pl_module, stage):
        if not trainer.is_global_zero:  # one bar per run: the other processes draw nothing
            self.disable()

    def get_metrics(self, trainer, pl_module):
        """``v_num`` (the logger's version) and every metric logged with ``prog_bar=True``."""
        items = {}
        logger = trainer.logger
        if logger is not None and logger.version is not None:
            version = logger.version
            items["v_num"] = version[-4:] if isinstance(version, str) else version
        items.update(trainer.progress_bar_metrics)
        return items


def _format_value(value):
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _format_time(seconds):
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


class _Line:
    """A progress line drawn in place: ``desc: 40%|####      | 4/10 [00:01<00:02, 3.20it/s, loss=0.1]``."""

    def __init__(self, file, width=10):
        self.file, self.width = file, width
        self.start = time.monotonic()
        self.last_len = 0

    def render(self, desc, n, total, postfix):
        elapsed = time.monotonic() - self.start
        rate = n / elapsed if elapsed > 0 else 0.0
        extra = "".join(f", {k}={_format_value(v)}" for k, v in postfix.items())
        if total and total != float("inf"):
            frac = min(n / total, 1.0)
            filled = int(frac * self.width)
            bar = "█" * filled + " " * (self.width - filled)
            eta = (total - n) / rate if rate > 0 else 0.0
            text = (f"{desc}: {frac * 100:3.0f}%|{bar}| {n}/{total} [{_format_time(elapsed)}<{_format_time(eta)}, "
                    f"{rate:.2f}it/s{extra}]")
        else:
            text = f"{desc}: {n} [{_format_time(elapsed)}, {rate:.2f}it/s{extra}]"
        pad = max(self.last_len - len(text), 0)
        self.file.write("\r" + text + " " * pad)
        self.file.flush()
        self.last_len = len(text)

    def close(self, leave):
        if not self.last_len:
            return
        self.file.write("\n" if leave else "\r" + " " * self.last_len + "\r")
        self.file.flush()


class _TqdmLine:
    """The same line drawn by tqdm."""

    def __init__(self, file, position):
        self.file, self.position = file, position
        self.bar = None

    def render(self, desc, n, total, postfix):
        if self.bar is None:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=None if total == float("inf") else total, desc=desc, file=self.file,
                            position=self.position, dynamic_ncols=True, leave=True, smoothing=0)
        self.bar.set_description(desc, refresh=False)
        self.bar.n = n
        self.bar.set_postfix({k: _format_value(v) for k, v in postfix.items()}, refresh=False)
        self.bar.refresh()

    def close(self, leave):
        if self.bar is not None:
            self.bar.leave = leave
            self.bar.close()


def _tqdm_available():
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


class TQDMProgressBar(ProgressBar):
    """The default progress bar: ``Epoch N: ...`` updated in place every ``refresh_rate`` batches.

    Each training epoch keeps its final line (with the epoch's metrics); validation, sanity check,
    test and predict draw their own line. Uses ``tqdm`` when installed (``use_tqdm=None``), else a
    built-in renderer writing ``\\r``-updated lines to ``file`` (stdout by default).

    Example:
        >>> import io
        >>> from emberlightning.callbacks import TQDMProgressBar
        >>> bar = TQDMProgressBar(file=io.StringIO(), use_tqdm=False)
        >>> bar._draw("main", "Epoch 0", 5, 10, {"loss": 0.25})
        >>> bar._lines["main"].file.getvalue().split(" [")[0]
        '\\rEpoch 0:  50%|█████     | 5/10'
    """

    def __init__(self, refresh_rate=1, process_position=0, leave=False, file=None, use_tqdm=None):
        super().__init__()
        self.refresh_rate, self.process_position, self.leave = refresh_rate, process_position, leave
        self._file = file
        self._use_tqdm = _tqdm_available() if use_tqdm is None else use_tqdm
        self._lines = {}

    def _open(self, kind):
        """Start a new line (its clock starts now)."""
        self._close(kind, True)
        if not self._enabled or self.refresh_rate == 0:
            return
        file = self._file or sys.stdout
        self._lines[kind] = _TqdmLine(file, self.process_position) if self._use_tqdm else _Line(file)

    def _draw(self, kind, desc, n, total, postfix):
        if not self._enabled or self.refresh_rate == 0:
            return
        if kind not in self._lines:
            self._open(kind)
        self._lines[kind].render(desc, n, total, postfix)

    def _close(self, kind, leave):
        line = self._lines.pop(kind, None)
        if line is not None:
            line.close(leave)

    def _due(self, n, total):
        return self.refresh_rate and (n % self.refresh_rate == 0 or n == total)

    # training
    def on_train_epoch_start(self, trainer, pl_module):
        self._open("main")
        self._epoch_total = trainer.num_training_batches

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        n = batch_idx + 1
        if self._due(n, self._epoch_total):
            self._draw("main", f"Epoch {trainer.current_epoch}", n, self._epoch_total, self.get_metrics(trainer,
                                                                                                        pl_module))

    def on_train_epoch_end(self, trainer, pl_module):
        if self._epoch_total:
            self._draw("main", f"Epoch {trainer.current_epoch}", trainer._batches_done, self._epoch_total,
                       self.get_metrics(trainer, pl_module))
        self._close("main", True)

    # evaluation
    def _eval_desc(self, trainer):
        if trainer.sanity_checking:
            return "Sanity Checking", sum(trainer.num_sanity_val_batches)
        if trainer.testing:
            return "Testing", sum(trainer.num_test_batches)
        if trainer.predicting:
            return "Predicting", sum(trainer.num_predict_batches)
        return "Validation", sum(trainer.num_val_batches)

    def _eval_start(self, trainer, pl_module):
        self._open("eval")
        self._eval_seen = 0

    def _eval_batch_end(self, trainer, pl_module, *args):
        self._eval_seen += 1
        desc, total = self._eval_desc(trainer)
        if self._due(self._eval_seen, total):
            self._draw("eval", desc, self._eval_seen, total, {})

    def _eval_end(self, trainer, pl_module):
        keep = (trainer.testing or trainer.predicting) or self.leave
        self._close("eval", keep)

    on_validation_start = on_test_start = on_predict_start = _eval_start
    on_validation_batch_end = on_test_batch_end = on_predict_batch_end = _eval_batch_end
    on_validation_end = on_test_end = on_predict_end = _eval_end

    def on_exception(self, trainer, pl_module, exception):
        for kind in list(self._lines):
            self._close(kind, True)

    def teardown(self, trainer, pl_module, stage):
        for kind in list(self._lines):
            self._close(kind, True)
