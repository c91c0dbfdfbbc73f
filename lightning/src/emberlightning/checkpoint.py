"""Checkpoints: everything needed to continue a run exactly, written with ``ember.save`` (safe and atomic).

A checkpoint is a dict: ``state_dict``, ``optimizer_states``, ``lr_schedulers``, ``loops`` (epoch,
global step, batches done in the epoch, the data seed), ``callbacks`` (their ``state_dict``),
``rng_states`` (Python, numpy, Ember), ``hyper_parameters``, ``precision`` and ``callback_metrics``.
"""

from __future__ import annotations

import random

import numpy as np

__all__ = ["dump_checkpoint", "restore_training_state", "load_model_from_checkpoint", "rng_states",
           "set_rng_states"]

VERSION_KEY = "emberlightning_version"


def rng_states(device=None):
    """The states of Python's ``random``, numpy's global RNG and Ember's default generators (cpu and ``device``).

    Example:
        >>> import ember
        >>> from emberlightning.checkpoint import rng_states, set_rng_states
        >>> s = rng_states(); a = ember.rand(1); set_rng_states(s); bool((ember.rand(1) == a).all())
        True
    """
    import ember
    from ember._random import default_generator

    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    version, state, gauss_next = random.getstate()
    ember_states = {"cpu": ember.get_rng_state()}
    if device is not None and str(device) != "cpu":
        ember_states[str(device)] = default_generator(device).get_state()
    return {"python": [version, list(state), gauss_next], "numpy": [kind, keys, pos, has_gauss, gauss],
            "ember": ember_states}


def set_rng_states(states):
    """Restore what :func:`rng_states` returned.

    Example:
        >>> import random
        >>> from emberlightning.checkpoint import rng_states, set_rng_states
        >>> s = rng_states(); a = random.random(); set_rng_states(s); random.random() == a
        True
    """
    from ember._random import default_generator

    version, state, gauss_next = states["python"]
    random.setstate((version, tuple(state), gauss_next))
    np.random.set_state(tuple(states["numpy"]))
    for device, state in states["ember"].items():
        default_generator(device).set_state(state)


def dump_checkpoint(trainer, weights_only=False):
    """The checkpoint dict of ``trainer``'s current state (hooks ``on_save_checkpoint`` included).

    Example:
        >>> import emberlightning as L
        >>> from emberlightning.checkpoint import dump_checkpoint
        >>> from emberlightning.demos import BoringModel
        >>> trainer = L.Trainer(fast_dev_run=1, enable_progress_bar=False, enable_model_summary=False)
        >>> trainer.fit(BoringModel()); ckpt = dump_checkpoint(trainer)
        >>> ckpt["global_step"], sorted(ckpt["loops"]["fit_loop"])[:3]
        (1, ['batches_done', 'batches_that_stepped', 'data_seed'])
    """
    from . import __version__

    model = trainer.lightning_module
    ckpt = {
        "epoch": trainer.current_epoch,
        "global_step": trainer.global_step,
        VERSION_KEY: __version__,
        "state_dict": model.state_dict(),
        "loops": {"fit_loop": trainer._loop_state()},
    }
    if not weights_only:
        ckpt["callbacks"] = {cb.state_key: state for cb in trainer.callbacks if (state := cb.state_dict())}
        ckpt["optimizer_states"] = [opt.state_dict() for opt in trainer.optimizers]
        ckpt["lr_schedulers"] = [config.scheduler.state_dict() for config in trainer.lr_scheduler_configs]
        ckpt["rng_states"] = rng_states(trainer.strategy.root_device)
        ckpt["precision"] = trainer._precision_state()
        ckpt["callback_metrics"] = {k: float(v) for k, v in trainer.callback_metrics.items()}
        for cb in trainer.callbacks:
            cb.on_save_checkpoint(trainer, model, ckpt)
    if "_hparams" in model.__dict__:
        ckpt["hyper_parameters"] = dict(model.hparams)
    dm = trainer.datamodule
    if dm is not None:
        if "_hparams" in dm.__dict__:
            ckpt["datamodule_hyper_parameters"] = dict(dm.hparams)
        state = dm.state_dict()
        if state:
            ckpt[type(dm).__qualname__] = state
    model.on_save_checkpoint(ckpt)
    return ckpt


def load_state_dict_checked(model, state_dict, strict, where):
    """``model.load_state_dict`` whose error names the checkpoint and lists mismatched keys."""
    try:
        return model.load_state_dict(state_dict, strict=strict)
    except (RuntimeError, TypeError) as exc:  # TypeError: an entry that is not a tensor
        raise RuntimeError(f"the checkpoint {where} does not fit {type(model).__name__}: {exc}") from None


def read_checkpoint(path, map_location=None):
    """Load a checkpoint file (an ``ember.save`` archive holding a dict with ``state_dict``)."""
    import ember

    ckpt = ember.load(path, map_location=map_location)
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("state_dict"), dict):
        raise ValueError(f"{path} is not an emberlightning checkpoint (no 'state_dict' dict)")
    for key in ("state_dict", "hyper_parameters"):
        if not isinstance(ckpt.get(key, {}), dict) or not all(isinstance(k, str) for k in ckpt.get(key, {})):
            raise ValueError(f"{path}: malformed checkpoint: {key!r} must be a dict with string keys")
    meta = getattr(ckpt["state_dict"], "_metadata", None)  # per-module versions, read by load_state_dict
    if meta is not None and not (isinstance(meta, dict) and all(isinstance(v, dict) for v in meta.values())):
        raise ValueError(f"{path}: malformed checkpoint: the state_dict's metadata must map names to dicts")
    return ckpt


def restore_model_and_callbacks(trainer, ckpt, where):
    """Weights (after ``on_load_checkpoint``), datamodule and callback states."""
    model = trainer.lightning_module
    model.on_load_checkpoint(ckpt)
    for cb in trainer.callbacks:
        cb.on_load_checkpoint(trainer, model, ckpt)
    for cb in trainer.callbacks:
        state = ckpt.get("callbacks", {}).get(cb.state_key)
        if state:
            cb.load_state_dict(state)
    dm = trainer.datamodule
    if dm is not None and type(dm).__qualname__ in ckpt:
        dm.load_state_dict(ckpt[type(dm).__qualname__])
    load_state_dict_checked(model, ckpt["state_dict"], trainer._strict_loading(), where)


def restore_training_state(trainer, ckpt, where):
    """Optimizers, schedulers, loop position, precision state (and callback metrics) from ``ckpt``.

    ``Trainer.fit(ckpt_path=...)`` calls it once ``configure_optimizers`` has run.

    Example:
        >>> from emberlightning.checkpoint import restore_training_state
        >>> try:
        ...     restore_training_state(None, {"state_dict": {}}, "weights.ckpt")
        ... except KeyError as e:
        ...     print(e.args[0][:56])
        Trying to restore optimizer state but checkpoint weights
    """
    if "optimizer_states" not in ckpt:
        raise KeyError(f"Trying to restore optimizer state but checkpoint {where} contains only the model. This is "
                       "probably due to `ModelCheckpoint.save_weights_only` being set to `True`.")
    saved = ckpt["optimizer_states"]
    if len(saved) != len(trainer.optimizers):
        raise ValueError(f"the checkpoint {where} holds {len(saved)} optimizer states but configure_optimizers "
                         f"returned {len(trainer.optimizers)}")
    for opt, state in zip(trainer.optimizers, saved):
        opt.load_state_dict(state)
        if ckpt.get("global_step"):
            opt._opt_called = True  # it did step in the run being resumed (keeps LRScheduler's order check quiet)
    for config, state in zip(trainer.lr_scheduler_configs, ckpt.get("lr_schedulers", [])):
        config.scheduler.load_state_dict(state)
    trainer._restore_precision_state(ckpt.get("precision"))
    import ember

    device = trainer.strategy.root_device
    trainer._callback_metrics.update({k: ember.tensor(v, device=device) for k, v in
                                      ckpt.get("callback_metrics", {}).items()})
    trainer._restore_loop_state(ckpt["loops"]["fit_loop"], ckpt.get("rng_states"))


def load_model_from_checkpoint(cls, path, map_location=None, strict=None, overrides=None):
    """``cls(**hyper_parameters, **overrides)`` with the checkpoint's weights (see ``load_from_checkpoint``).

    Example:
        >>> import os, tempfile, ember
        >>> from emberlightning.checkpoint import load_model_from_checkpoint
        >>> from emberlightning.demos import BoringModel
        >>> path = os.path.join(tempfile.mkdtemp(), "m.ckpt")
        >>> ember.save({"state_dict": BoringModel().state_dict()}, path)
        >>> type(load_model_from_checkpoint(BoringModel, path)).__name__
        'BoringModel'
    """
    ckpt = read_checkpoint(path, map_location)
    hparams = {**ckpt.get("hyper_parameters", {}), **(overrides or {})}
    model = cls(**hparams)
    if "_hparams" not in model.__dict__ and hparams:
        model._set_hparams(hparams)
    model.on_load_checkpoint(ckpt)
    load_state_dict_checked(model, ckpt["state_dict"], True if strict is None else strict, path)
    if map_location is not None and not callable(map_location) and not isinstance(map_location, dict):
        model.to(map_location)
    return model
