"""Train the digits CNN (embervision's Digits + LeNet) as a LightningModule, then test the best checkpoint.

ModelCheckpoint keeps the best model by validation accuracy, EarlyStopping stops when the validation
loss stops improving, CSVLogger writes ``<out>/lightning_logs/version_N/metrics.csv``; finally
``trainer.test(ckpt_path="best")`` evaluates the best checkpoint on the held-out split.

Run: python examples/lightning/digits.py [--epochs N] [--out DIR] [--limit-batches N]
"""

from __future__ import annotations

import argparse

import ember
import ember.nn.functional as F
import emberlightning as L
from ember.utils.data import DataLoader, random_split
from emberlightning.callbacks import EarlyStopping, ModelCheckpoint
from emberlightning.loggers import CSVLogger
from embervision import datasets, models, transforms


class DigitsModule(L.LightningModule):
    def __init__(self, lr=2e-3, width=16):
        super().__init__()
        self.save_hyperparameters()
        self.model = models.lenet5(image_size=8, num_classes=10, width=width)

    def forward(self, images):
        return self.model(images)

    def _shared_step(self, batch, stage):
        images, labels = batch
        logits = self(images)
        loss = F.cross_entropy(logits, labels)
        acc = (logits.argmax(1) == labels).float().mean()
        self.log(f"{stage}_loss", loss, prog_bar=stage != "test")
        self.log(f"{stage}_acc", acc, prog_bar=True)
        return loss

    def training_step(self, batch, batch_idx):
        return self._shared_step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._shared_step(batch, "val")

    def test_step(self, batch, batch_idx):
        self._shared_step(batch, "test")

    def configure_optimizers(self):
        optimizer = ember.optim.Adam(self.parameters(), lr=self.hparams.lr)
        scheduler = ember.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
        return {"optimizer": optimizer, "lr_scheduler": scheduler}


class DigitsData(L.LightningDataModule):
    def __init__(self, batch_size=32):
        super().__init__()
        self.batch_size = batch_size
        self.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5], [0.5])])

    def setup(self, stage):
        full = datasets.Digits(train=True, transform=self.transform)
        self.train_set, self.val_set = random_split(full, [len(full) - 200, 200],
                                                    generator=ember.Generator().manual_seed(0))
        self.test_set = datasets.Digits(train=False, transform=self.transform)

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=256)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=256)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--out", default="out")
    parser.add_argument("--limit-batches", type=float, default=1.0, help="fraction (or count, if > 1) of batches")
    args = parser.parse_args(argv)
    limit = int(args.limit_batches) if args.limit_batches > 1 else args.limit_batches

    L.seed_everything(0)
    checkpoint = ModelCheckpoint(monitor="val_acc", mode="max", filename="digits-{epoch}-{val_acc:.3f}")
    trainer = L.Trainer(max_epochs=args.epochs, default_root_dir=args.out, logger=CSVLogger(args.out),
                        callbacks=[checkpoint, EarlyStopping("val_loss", patience=3)],
                        limit_train_batches=limit, limit_val_batches=limit, limit_test_batches=limit)
    model, data = DigitsModule(), DigitsData()
    trainer.fit(model, datamodule=data)
    print(f"best checkpoint: {checkpoint.best_model_path} (val_acc {checkpoint.best_model_score:.3f})")
    results = trainer.test(ckpt_path="best", datamodule=data)
    print(f"metrics: {trainer.logger.log_dir}/metrics.csv")
    return results


if __name__ == "__main__":
    main()
