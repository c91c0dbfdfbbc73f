"""The torch.backends switches programs set at the top: importable as submodules, as in torch."""

import importlib


def test_flag_namespaces_import_as_modules():
    cudnn = importlib.import_module("ember.backends.cudnn")
    import ember

    assert cudnn is ember.backends.cudnn
    saved = cudnn.benchmark, cudnn.deterministic
    try:
        cudnn.benchmark, cudnn.deterministic = True, True
        assert ember.backends.cudnn.benchmark and ember.backends.cudnn.deterministic
    finally:
        cudnn.benchmark, cudnn.deterministic = saved
    assert importlib.import_module("ember.backends.cuda").matmul.allow_tf32 is False
    assert not cudnn.is_available() and cudnn.version() is None
    mps = importlib.import_module("ember.backends.mps")
    assert not mps.is_available() and not mps.is_built()
