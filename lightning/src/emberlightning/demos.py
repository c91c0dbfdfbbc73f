"""Small models and data sets for examples and tests (like ``lightning.pytorch.demos.boring_classes``)."""

from __future__ import annotations

import ember
import ember.nn as nn
from ember.utils.data import DataLoader, Dataset

from .datamodule import LightningDataModule
from .module import LightningModule

__all__ = ["RandomDataset", "BoringModel", "BoringDataModule"]


class RandomDataset(Dataset):
    """``length`` random vectors of ``size`` features (drawn once, from Ember's default generator).

    Example:
        >>> from emberlightning.demos import RandomDataset
        >>> ds = RandomDataset(32, 64); len(ds), tuple(ds[0].shape)
        (64, (32,))
    """

    def __init__(self, size, length):
        self.len = length
        self.data = ember.randn(length, size)

    def __getitem__(self, index):
        return self.data[index]

    def __len__(self):
        return self.len


class BoringModel(LightningModule):
    """A Linear(32, 2) whose loss pulls outputs towards 1; SGD(lr=0.1) with a StepLR; 64 random samples per stage.

    Example:
        >>> import emberlightning as L
        >>> from emberlightning.demos import BoringModel
        >>> trainer = L.Trainer(fast_dev_run=2, enable_progress_bar=False, enable_model_summary=False)
        >>> trainer.fit(BoringModel()); trainer.global_step
        2
    """

    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(32, 2)

    def forward(self, x):
        return self.layer(x)

    def loss(self, preds, labels=None):
        if labels is None:
            labels = ember.ones_like(preds)
        return nn.functional.mse_loss(preds, labels)

    def step(self, batch):
        return self.loss(self(batch))

    def training_step(self, batch, batch_idx):
        return {"loss": self.step(batch)}

    def validation_step(self, batch, batch_idx):
        return {"x": self.step(batch)}

    def test_step(self, batch, batch_idx):
        return {"y": self.step(batch)}

    def configure_optimizers(self):
        optimizer = ember.optim.SGD(self.parameters(), lr=0.1)
        return [optimizer], [ember.optim.lr_scheduler.StepLR(optimizer, step_size=1)]

    def train_dataloader(self):
        return DataLoader(RandomDataset(32, 64))

    def val_dataloader(self):
        return DataLoader(RandomDataset(32, 64))

    def test_dataloader(self):
        return DataLoader(RandomDataset(32, 64))

    def predict_dataloader(self):
        return DataLoader(RandomDataset(32, 64))


class BoringDataModule(LightningDataModule):
    """Random data split 64/64/64/64 for fit, validate, test and predict (batches of one sample).

    Example:
        >>> from emberlightning.demos import BoringDataModule
        >>> dm = BoringDataModule(); dm.setup("fit"); len(dm.train_dataloader())
        64
    """

    def __init__(self):
        super().__init__()
        self.random_full = RandomDataset(32, 64 * 4)

    def setup(self, stage):
        self.random_train = ember.utils.data.Subset(self.random_full, range(64))
        self.random_val = ember.utils.data.Subset(self.random_full, range(64, 128))
        self.random_test = ember.utils.data.Subset(self.random_full, range(128, 192))
        self.random_predict = ember.utils.data.Subset(self.random_full, range(192, 256))

    def train_dataloader(self):
        return DataLoader(self.random_train)

    def val_dataloader(self):
        return DataLoader(self.random_val)

    def test_dataloader(self):
        return DataLoader(self.random_test)

    def predict_dataloader(self):
        return DataLoader(self.random_predict)
