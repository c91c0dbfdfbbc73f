"""The loops, top to bottom: fit -> epochs -> batches -> forward, backward, optimizer step; validation; test; predict.

Every hook call goes through ``trainer._call(name, ...)`` (callbacks first, then the LightningModule).
This is the whole training algorithm; the Trainer only holds settings and state. The functions are
the Trainer's internals (read them; call the Trainer).
"""

from __future__ import annotations

from collections.abc import Mapping

from ._data import seeded_pass
from .states import RunningStage
from .utilities import MisconfigurationException

__all__ = []  # internal to the Trainer


# --- fit -------------------------------------------------------------------------------------------
def run_fit(trainer):
    """Sanity-check validation, then training epochs until a stopping condition holds."""
    model = trainer.lightning_module
    trainer._call("on_fit_start")
    model.zero_grad()
    trainer._setup_val_data()
    if trainer._val_enabled and trainer.num_sanity_val_steps != 0 and trainer._resume is None:
        run_sanity_check(trainer)
    trainer._setup_train_data()
    trainer.state.stage = RunningStage.TRAINING
    model.train()
    trainer._call("on_train_start")
    resume_position(trainer)
    while not fit_done(trainer):
        run_training_epoch(trainer)
    trainer._call("on_train_end")
    trainer._call("on_fit_end")


def resume_position(trainer):
    """After a restored checkpoint: RNG states back, and finish the epoch whose end was interrupted."""
    resume, trainer._resume = trainer._resume, None
    if resume is None:
        return
    if resume["rng_states"] is not None:
        from .checkpoint import set_rng_states

        set_rng_states(resume["rng_states"])
    if resume["in_epoch_end"] and trainer._batches_done >= trainer.num_training_batches:
        finish_epoch(trainer, completed=True)


def fit_done(trainer):
    """Whether fit should stop: max_steps / max_epochs reached, no data, or should_stop (past min_*)."""
    if trainer.max_steps != -1 and trainer.global_step >= trainer.max_steps:
        return True
    if trainer.max_epochs != -1 and trainer.current_epoch >= trainer.max_epochs:
        return True
    if trainer.num_training_batches == 0:
        return True
    if trainer.should_stop:
        enough_epochs = trainer.current_epoch >= (trainer.min_epochs or 0)
        enough_steps = trainer.global_step >= (trainer.min_steps or 0)
        if enough_epochs and enough_steps:
            return True
        trainer.should_stop = False  # not allowed to stop before min_epochs / min_steps
    return False


def run_training_epoch(trainer):
    """One epoch: per batch the training step, schedulers, hooks, logging and validation when due."""
    model = trainer.lightning_module
    results = trainer._train_results
    results.reset()
    trainer._results = results
    every = trainer.reload_dataloaders_every_n_epochs
    if every and trainer.current_epoch and trainer.current_epoch % every == 0:
        trainer._setup_train_data()
        trainer._setup_val_data()
    epoch, n, skip = trainer.current_epoch, trainer.num_training_batches, trainer._batches_done
    trainer._call("on_train_epoch_start")
    stopped = False
    with seeded_pass(trainer.train_dataloader, trainer._data_seed, "train", epoch) as loader:
        for batch_idx, batch, is_last in _batches(loader, n):
            if batch_idx < skip:  # resuming mid-epoch: these batches were trained before the checkpoint
                continue
            batch = trainer._to_device(batch, 0)
            results.new_batch(batch)
            if trainer._call("on_train_batch_start", batch, batch_idx) == -1:
                stopped = True
                break
            accumulating = model.automatic_optimization and not is_last and \
                (batch_idx + 1) % trainer.accumulate_grad_batches != 0
            if model.automatic_optimization:
                outputs = automatic_training_step(trainer, batch, batch_idx, accumulating)
            else:
                outputs = manual_training_step(trainer, batch, batch_idx)
            if not accumulating:
                update_lr_schedulers(trainer, "step")
            trainer._batches_done = batch_idx + 1
            trainer._call("on_train_batch_end", outputs, batch, batch_idx)
            step = trainer._batches_that_stepped
            results.step_end((step + 1) % trainer.log_every_n_steps == 0 or trainer.should_stop, step)
            if should_validate(trainer, batch_idx, is_last):
                run_validation(trainer)
            if not accumulating:
                trainer._batches_that_stepped += 1
            if (trainer.max_steps != -1 and trainer.global_step >= trainer.max_steps) or \
                    (trainer.should_stop and trainer.global_step >= (trainer.min_steps or 0)):
                stopped = not is_last
                break
    # the end of the epoch: hooks (monitoring callbacks last, so they see what the module logs), epoch metrics
    trainer._in_epoch_end = True
    results.epoch_end_reached()
    trainer._call_callbacks("on_train_epoch_end", monitoring=False)
    trainer._call_module("on_train_epoch_end")
    trainer._call_callbacks("on_train_epoch_end", monitoring=True)
    results.epoch_end(max(trainer._batches_that_stepped - 1, 0))
    finish_epoch(trainer, completed=not stopped and trainer._batches_done >= n)


def finish_epoch(trainer, completed):
    """Epoch-interval schedulers (for a completed epoch), then on to the next epoch."""
    if completed:
        update_lr_schedulers(trainer, "epoch")
    trainer._in_epoch_end = False
    trainer._current_epoch += 1
    trainer._batches_done = 0


def _batches(loader, limit):
    """``(index, batch, is_last)`` for up to ``limit`` batches (one batch of look-ahead to know the last)."""
    if limit == 0:
        return
    it = iter(loader)
    try:
        current = next(it)
    except StopIteration:
        return
    index = 0
    while True:
        if index + 1 >= limit:
            yield index, current, True
            return
        try:
            following = next(it)
        except StopIteration:
            yield index, current, True
            return
        yield index, current, False
        current, index = following, index + 1


# --- one training step ------------------------------------------------------------------------------
def automatic_training_step(trainer, batch, batch_idx, accumulating):
    """training_step -> zero_grad -> backward (in a closure), then the optimizer step unless accumulating."""
    opts = trainer.strategy._lightning_optimizers
    optimizer = opts[0] if opts else None
    accumulate = trainer.accumulate_grad_batches
    zero_grad = optimizer is not None and batch_idx % accumulate == 0
    outputs = {}

    def closure():
        output = trainer.strategy.training_step(trainer, batch, batch_idx)
        loss, extra = _training_loss(output)
        outputs.clear()
        outputs.update(extra)
        if zero_grad:
            trainer._call("on_before_zero_grad", optimizer.optimizer)
            trainer._call_module("optimizer_zero_grad", trainer.current_epoch, batch_idx, optimizer.optimizer)
        if loss is not None:
            run_backward(trainer, loss / accumulate if accumulate > 1 else loss)
        return loss

    if accumulating:  # DDP: no gradient averaging until the step that steps the optimizer
        with trainer.strategy.block_backward_sync():
            closure()
    elif optimizer is None:
        closure()
    else:
        trainer._call_module("optimizer_step", trainer.current_epoch, batch_idx, optimizer, closure)
    return outputs


def manual_training_step(trainer, batch, batch_idx):
    """training_step does everything itself (self.optimizers(), self.manual_backward(), opt.step())."""
    output = trainer.strategy.training_step(trainer, batch, batch_idx)
    if output is None:
        return {}
    if isinstance(output, Mapping):
        return {k: v.detach() if hasattr(v, "detach") else v for k, v in output.items()}
    return {"loss": output.detach()} if hasattr(output, "detach") else {"loss": output}


def _training_loss(output):
    import ember

    if output is None:
        return None, {}
    if isinstance(output, ember.Tensor):
        loss, extra = output, {"loss": output.detach()}
    elif isinstance(output, Mapping):
        if "loss" not in output:
            raise MisconfigurationException("In automatic_optimization, when `training_step` returns a dict, the "
                                            f"'loss' key needs to be present; got keys {sorted(output)}")
        loss = output["loss"]
        extra = {k: v.detach() if isinstance(v, ember.Tensor) else v for k, v in output.items()}
    else:
        raise MisconfigurationException("In automatic optimization, `training_step` must return a Tensor, a dict, or "
                                        f"None (where the step will be skipped); got {type(output).__name__}: "
                                        f"{output!r}")
    if loss is None:
        return None, extra
    if not isinstance(loss, ember.Tensor) or loss.numel() != 1 or not loss.requires_grad:
        what = (f"a {type(loss).__name__}" if not isinstance(loss, ember.Tensor) else
                f"a tensor of shape {tuple(loss.shape)}" if loss.numel() != 1 else
                "a tensor that does not require grad")
        raise MisconfigurationException(f"`training_step` must return a scalar loss tensor attached to the graph "
                                        f"(requires_grad=True) for automatic optimization; it returned {what}")
    return loss, extra


def run_backward(trainer, loss, *args, **kwargs):
    """on_before_backward -> backward (scaled under 16-mixed) -> on_after_backward."""
    trainer._call("on_before_backward", loss)
    if trainer._scaler is not None:
        loss = trainer._scaler.scale(loss)
    trainer._call_module("backward", loss, *args, **kwargs)
    trainer.strategy.post_backward(trainer)
    trainer._call("on_after_backward")


def optimizer_step(trainer, optimizer, closure=None, **kwargs):
    """What ``LightningOptimizer.step`` runs: closure, on_before_optimizer_step, gradient clipping, the step."""
    model = trainer.lightning_module

    def closure_then_hooks():
        result = closure() if closure is not None else None
        if trainer._scaler is not None:
            trainer._scaler.unscale_(optimizer)
        trainer._call("on_before_optimizer_step", optimizer)
        if model.automatic_optimization:
            trainer._call_module("configure_gradient_clipping", optimizer,
                                 gradient_clip_val=trainer.gradient_clip_val,
                                 gradient_clip_algorithm=trainer.gradient_clip_algorithm)
        return result

    if trainer._scaler is None:
        out = optimizer.step(closure=closure_then_hooks, **kwargs)
    else:  # GradScaler.step takes no closure: evaluate it first
        out = closure_then_hooks()
        trainer._scaler.step(optimizer, **kwargs)
        trainer._scaler.update()
    trainer._global_step += 1
    return out


def update_lr_schedulers(trainer, interval):
    """Step the schedulers configured for ``interval`` ("step" or "epoch") when their frequency says so.

    In manual optimisation the training step steps its schedulers itself.
    """
    if not trainer.lr_scheduler_configs or not trainer.lightning_module.automatic_optimization:
        return
    index = (trainer._batches_that_stepped if interval == "step" else trainer.current_epoch) + 1
    for config in trainer.lr_scheduler_configs:
        if config.interval != interval or index % config.frequency:
            continue
        metric = None
        if config.reduce_on_plateau:
            metric = trainer.callback_metrics.get(config.monitor)
            if metric is None:
                if config.strict:
                    raise MisconfigurationException(
                        f"ReduceLROnPlateau conditioned on metric {config.monitor} which is not available. Available "
                        f"metrics are: {sorted(trainer.callback_metrics)}. Condition can be set using `monitor` key "
                        "in lr scheduler dict")
                continue
        trainer._call_module("lr_scheduler_step", config.scheduler, metric)


# --- validation, test ---------------------------------------------------------------------------------
def should_validate(trainer, batch_idx, is_last):
    if not trainer._val_enabled:
        return False
    every = trainer.check_val_every_n_epoch
    if every is not None and (trainer.current_epoch + 1) % every:
        return False
    if every is None:  # an int val_check_interval counting batches across epochs
        return (trainer._batches_that_stepped + 1) % trainer.val_check_batch == 0
    return (batch_idx + 1) % trainer.val_check_batch == 0 or (is_last and trainer.val_check_interval == 1.0)


def run_sanity_check(trainer):
    trainer.state.stage = RunningStage.SANITY_CHECKING
    trainer._call_callbacks("on_sanity_check_start")
    run_evaluation(trainer, "validation", trainer._val_loaders, trainer.num_sanity_val_batches, "sanity")
    trainer._call_callbacks("on_sanity_check_end")
    trainer._reset_metrics()  # sanity values must not reach callbacks that monitor metrics


def run_validation(trainer):
    """Validation in the middle of fit; the model goes back to training afterwards."""
    trainer.state.stage = RunningStage.VALIDATING
    run_evaluation(trainer, "validation", trainer._val_loaders, trainer.num_val_batches, "val")
    trainer._val_has_run = True
    trainer.state.stage = RunningStage.TRAINING


def run_evaluation_stage(trainer, stage, verbose):
    """``trainer.validate()`` / ``trainer.test()``: one pass, metrics printed and returned per dataloader."""
    kind, hook = ("val", "val_dataloader") if stage == "validation" else ("test", "test_dataloader")
    if not trainer._has_step(f"{stage}_step"):
        raise MisconfigurationException(f"No `{stage}_step()` method defined to run `Trainer.{trainer.state.fn.value}"
                                        "`.")
    loaders = trainer._loaders(kind, hook)
    if not loaders:
        raise MisconfigurationException(f"No `{hook}()` method defined and no dataloaders passed to "
                                        f"`trainer.{trainer.state.fn.value}()`.")
    from . import _data

    limit = getattr(trainer, f"limit_{kind}_batches")
    counts = [_data.num_batches(dl, limit, f"limit_{kind}_batches") for dl in loaders]
    setattr(trainer, f"num_{kind}_batches", counts)
    if kind == "test":
        trainer.test_dataloaders = loaders[0] if len(loaders) == 1 else loaders
    else:
        trainer.val_dataloaders = loaders[0] if len(loaders) == 1 else loaders
    trainer._reset_metrics()
    trainer.state.stage = RunningStage.VALIDATING if kind == "val" else RunningStage.TESTING
    per_loader = run_evaluation(trainer, stage, loaders, counts, kind)
    if verbose and trainer.is_global_zero:
        _print_results(stage, per_loader)
    return per_loader


def run_evaluation(trainer, stage, loaders, counts, salt):
    """``{stage}_step`` over every loader, with its hooks; returns the epoch metrics of each loader."""
    import ember

    model = trainer.lightning_module
    previous, results = trainer._results, trainer._eval_results
    results.reset()
    trainer._results = results
    if stage == "validation":
        trainer._call_module("on_validation_model_zero_grad")
    trainer._call_module(f"on_{stage}_model_eval")
    trainer._call(f"on_{stage}_start")
    trainer._call(f"on_{stage}_epoch_start")
    several = len(loaders) > 1
    step_name, start, end = f"{stage}_step", f"on_{stage}_batch_start", f"on_{stage}_batch_end"
    with ember.inference_mode() if trainer._inference_mode else ember.no_grad():
        for idx, (loader, n) in enumerate(zip(loaders, counts)):
            results.dataloader_suffix = f"/dataloader_idx_{idx}" if several else ""
            extra = (idx,) if several else ()
            with seeded_pass(loader, trainer._data_seed, salt, trainer.current_epoch) as it:
                for batch_idx, batch, _ in _batches(it, n):
                    batch = trainer._to_device(batch, idx)
                    results.new_batch(batch)
                    trainer._call(start, batch, batch_idx, *extra)
                    output = trainer._call_step(step_name, batch, batch_idx, *extra)
                    trainer._call(end, output, batch, batch_idx, *extra)
    results.dataloader_suffix = ""
    results.epoch_end_reached()
    trainer._call(f"on_{stage}_epoch_end")
    metrics = results.epoch_end(trainer._batches_that_stepped, log_to_loggers=salt != "sanity")
    trainer._call(f"on_{stage}_end")
    if stage == "validation":
        trainer._call_module("on_validation_model_train")
    elif stage == "test":
        trainer._call_module("on_test_model_train")
    trainer._results = previous
    return [_for_loader(metrics, idx, several) for idx in range(len(loaders))]


def _for_loader(metrics, idx, several):
    if not several:
        return dict(metrics)
    suffix = f"/dataloader_idx_{idx}"
    return {k: v for k, v in metrics.items() if k.endswith(suffix) or "/dataloader_idx_" not in k}


def _print_results(stage, per_loader):
    if not any(per_loader):
        return
    title = "Validate metric" if stage == "validation" else "Test metric"
    keys = sorted({k for m in per_loader for k in m})
    cols = [f"DataLoader {i}" for i in range(len(per_loader))]
    width = max(len(title), *(len(k) for k in keys)) + 2
    line = "─" * (width + 22 * len(cols))
    rows = [line, f"{title:^{width}}" + "".join(f"{c:^22}" for c in cols), line]
    for k in keys:
        cells = "".join(f"{m[k].item():^22.6g}" if k in m else " " * 22 for m in per_loader)
        rows.append(f"{k:^{width}}{cells}")
    rows.append(line)
    print("\n".join(rows))


# --- predict ---------------------------------------------------------------------------------------------
def run_predict(trainer, keep):
    import ember

    loaders = trainer._loaders("predict", "predict_dataloader")
    if not loaders:
        raise MisconfigurationException("No `predict_dataloader()` method defined and no dataloaders passed to "
                                        "`trainer.predict()`.")
    from . import _data

    counts = [_data.num_batches(dl, trainer.limit_predict_batches, "limit_predict_batches") for dl in loaders]
    trainer.predict_dataloaders = loaders[0] if len(loaders) == 1 else loaders
    trainer.num_predict_batches = counts
    trainer.state.stage = RunningStage.PREDICTING
    trainer._call_module("on_predict_model_eval")
    trainer._call("on_predict_start")
    trainer._call("on_predict_epoch_start")
    several = len(loaders) > 1
    all_outputs = []
    with ember.inference_mode() if trainer._inference_mode else ember.no_grad():
        for idx, (loader, n) in enumerate(zip(loaders, counts)):
            outputs = []
            extra = (idx,) if several else ()
            with seeded_pass(loader, trainer._data_seed, "predict", 0) as it:
                for batch_idx, batch, _ in _batches(it, n):
                    batch = trainer._to_device(batch, idx)
                    trainer._call("on_predict_batch_start", batch, batch_idx, *extra)
                    out = trainer._call_step("predict_step", batch, batch_idx, *extra)
                    trainer._call("on_predict_batch_end", out, batch, batch_idx, *extra)
                    if keep:
                        outputs.append(out)
            all_outputs.append(outputs)
    trainer._call("on_predict_epoch_end")
    trainer._call("on_predict_end")
    if not keep:
        return None
    return all_outputs[0] if not several else all_outputs
