"""Loggers: where metrics and hyperparameters go (CSV files, TensorBoard event files, or your own)."""

from .csv_logs import CSVLogger
from .logger import Logger
from .tensorboard import TensorBoardLogger

__all__ = ["CSVLogger", "Logger", "TensorBoardLogger"]
