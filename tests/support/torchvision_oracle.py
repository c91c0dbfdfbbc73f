"""torchvision as a test oracle: importing it beside a CPU torch, and comparing model states with it."""

import numpy as np
import pytest


def torchvision_or_skip():
    """``(torch, torchvision)``, or a skip when either is missing or cannot load here."""
    torch = pytest.importorskip("torch")
    register_fake = torch.library.register_fake
    # a CUDA build of torchvision registers fake kernels a CPU torch lacks: stub that for the import only
    torch.library.register_fake = lambda *a, **k: (lambda f: f)
    try:
        import torchvision
    except Exception as exc:
        pytest.skip(f"torchvision is not usable here: {type(exc).__name__}: {exc}")
    finally:
        torch.library.register_fake = register_fake
    return torch, torchvision


def assert_same_state(theirs, ours, exact=True, rtol=1e-7, atol=1e-12):
    """``ours`` (an ember module) has ``theirs``'s (torchvision's) state-dict keys in order, dtypes, shapes
    and values: bit for bit with ``exact``, else to ``rtol``/``atol``."""
    ts, es = theirs.state_dict(), ours.state_dict()
    assert list(es) == list(ts)
    for key, t in ts.items():
        t, e = t.numpy(), es[key].numpy()
        assert e.dtype == t.dtype and e.shape == t.shape, key
        if exact:
            assert np.array_equal(e, t), key
        else:
            np.testing.assert_allclose(e, t, rtol=rtol, atol=atol, err_msg=key)
