"""Under mpiexec: rank 1's training step raises while rank 0 waits for its gradients; the job must abort."""

import emberlightning as L
from ember.utils.data import DataLoader
from emberlightning.demos import BoringModel, RandomDataset


class Failing(BoringModel):
    def training_step(self, batch, batch_idx):
        if self.global_rank == 1 and batch_idx == 1:
            raise RuntimeError("deliberate failure on rank 1")
        return super().training_step(batch, batch_idx)


trainer = L.Trainer(strategy="ddp", accelerator="cpu", devices=2, max_epochs=1, logger=False,
                    enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
trainer.fit(Failing(), DataLoader(RandomDataset(32, 16), batch_size=2))
print("unreachable", flush=True)
