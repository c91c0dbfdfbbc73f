"""LightningDataModule: the data side of a run (download, split, and the dataloaders), reusable across models."""

from __future__ import annotations

from .module import HyperparametersMixin

__all__ = ["LightningDataModule"]


class LightningDataModule(HyperparametersMixin):
    """Groups ``prepare_data``, ``setup(stage)`` and ``train/val/test/predict_dataloader``.

    Define the dataloader methods you need; the Trainer calls ``prepare_data()`` then
    ``setup(stage)`` before asking for them.

    Example:
        >>> import ember, emberlightning as L
        >>> from ember.utils.data import DataLoader, TensorDataset
        >>> class Numbers(L.LightningDataModule):
        ...     def setup(self, stage):
        ...         self.data = TensorDataset(ember.arange(10.0))
        ...     def train_dataloader(self):
        ...         return DataLoader(self.data, batch_size=4)
        >>> dm = Numbers(); dm.setup("fit"); len(dm.train_dataloader())
        3
    """

    def __init__(self):
        super().__init__()
        self.trainer = None

    def prepare_data(self):
        """Download or write data to disk (called once, before ``setup``)."""

    def setup(self, stage):
        """Build data sets for ``stage`` ("fit", "validate", "test" or "predict")."""

    def teardown(self, stage):
        """Clean up after ``stage``."""

    def state_dict(self):
        """State to save in checkpoints."""
        return {}

    def load_state_dict(self, state_dict):
        """Restore the state from :meth:`state_dict`."""

    def on_exception(self, exception):
        """Called when the run is interrupted by an exception."""

    @classmethod
    def from_datasets(cls, train_dataset=None, val_dataset=None, test_dataset=None, predict_dataset=None,
                      batch_size=1, num_workers=0, **datamodule_kwargs):
        """A datamodule serving the given data sets through DataLoaders (training data shuffled).

        Example:
            >>> import ember, emberlightning as L
            >>> from ember.utils.data import TensorDataset
            >>> dm = L.LightningDataModule.from_datasets(TensorDataset(ember.arange(6.0)), batch_size=4)
            >>> len(dm.train_dataloader())
            2
        """
        from ember.utils.data import DataLoader

        def loaders(dataset, shuffle):
            if isinstance(dataset, dict):
                return {k: loaders(v, shuffle) for k, v in dataset.items()}
            if isinstance(dataset, (list, tuple)):
                return [loaders(d, shuffle) for d in dataset]
            return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, num_workers=num_workers)

        dm = cls(**datamodule_kwargs)
        for name, dataset, shuffle in (("train", train_dataset, True), ("val", val_dataset, False),
                                       ("test", test_dataset, False), ("predict", predict_dataset, False)):
            if dataset is not None:
                setattr(dm, f"{name}_dataloader", lambda d=dataset, s=shuffle: loaders(d, s))
        return dm
