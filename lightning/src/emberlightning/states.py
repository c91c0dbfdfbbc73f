"""The state of a Trainer: which method runs (``fn``), which loop (``stage``), and how it went (``status``)."""

from __future__ import annotations

from enum import Enum

__all__ = ["TrainerFn", "TrainerStatus", "RunningStage", "TrainerState"]


class TrainerFn(str, Enum):
    """Which Trainer method is running.

    Example:
        >>> from emberlightning.states import TrainerFn
        >>> TrainerFn.FITTING == "fit"
        True
    """

    FITTING = "fit"
    VALIDATING = "validate"
    TESTING = "test"
    PREDICTING = "predict"


class TrainerStatus(str, Enum):
    """Whether the Trainer is running, finished or was interrupted.

    Example:
        >>> from emberlightning.states import TrainerStatus
        >>> TrainerStatus("finished")
        <TrainerStatus.FINISHED: 'finished'>
    """

    INITIALIZING = "initializing"
    RUNNING = "running"
    FINISHED = "finished"
    INTERRUPTED = "interrupted"


class RunningStage(str, Enum):
    """Which loop is running.

    Example:
        >>> from emberlightning.states import RunningStage
        >>> RunningStage.SANITY_CHECKING.value
        'sanity_check'
    """

    TRAINING = "train"
    SANITY_CHECKING = "sanity_check"
    VALIDATING = "validate"
    TESTING = "test"
    PREDICTING = "predict"


class TrainerState:
    """``fn`` (the method), ``stage`` (the loop) and ``status`` of a Trainer.

    Example:
        >>> from emberlightning.states import TrainerState
        >>> TrainerState().status
        <TrainerStatus.INITIALIZING: 'initializing'>
    """

    def __init__(self):
        self.fn = None
        self.stage = None
        self.status = TrainerStatus.INITIALIZING

    @property
    def finished(self):
        return self.status == TrainerStatus.FINISHED

    def __repr__(self):
        return f"TrainerState(fn={self.fn}, stage={self.stage}, status={self.status})"
