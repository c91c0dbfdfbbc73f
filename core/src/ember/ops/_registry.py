"""The public-op table: each function is written once and exported as an
``ember.<name>`` function, a ``Tensor.<name>`` method and, where torch has one,
an in-place ``Tensor.<name>_`` method - all generated from this table.
"""

from __future__ import annotations

FUNCTIONS = {}  # name -> function exported at ember.<name>
METHODS = {}  # name -> function installed as Tensor.<name>
INPLACE = {}  # in-place method name -> (out-of-place function)


def export(*names, method=True, function=True, inplace=None):
    """Register ``fn`` under ``names`` (default: its own name).

    Args:
        method: also install it as a Tensor method (first argument is the tensor).
        function: expose it as ``ember.<name>``.
        inplace: the name of the in-place variant to generate (e.g. ``"add_"``),
            or True for ``<name>_``.
    """

    def deco(fn):
        fn = _numpy_aliases(fn)
        for n in names or (fn.__name__,):
            if function:
                FUNCTIONS[n] = fn
            if method:
                METHODS[n] = fn
        if inplace:
            INPLACE[fn.__name__ + "_" if inplace is True else inplace] = fn
        return fn

    return deco


def _numpy_aliases(fn):
    """Accept numpy's ``axis``/``keepdims`` spellings for ``dim``/``keepdim``, as torch does."""
    import functools
    import inspect

    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn
    if "dim" not in params:
        return fn

    @functools.wraps(fn)
    def aliased(*args, **kwargs):
        if kwargs:
            if "axis" in kwargs:
                kwargs["dim"] = kwargs.pop("axis")
            if "keepdims" in kwargs:
                kwargs["keepdim"] = kwargs.pop("keepdims")
        return fn(*args, **kwargs)

    return aliased


def install(tensor_cls):
    """Attach the registered methods and generated in-place variants to Tensor."""
    for name, fn in METHODS.items():
        if name not in tensor_cls.__dict__:
            setattr(tensor_cls, name, fn)
    for name, fn in INPLACE.items():
        setattr(tensor_cls, name, _make_inplace(name, fn))


def _make_inplace(name, fn):
    def inplace(self, *args, **kwargs):
        return self._assign(fn(self, *args, **kwargs), name)

    inplace.__name__ = name
    inplace.__qualname__ = "Tensor." + name
    inplace.__doc__ = f"In-place version of :meth:`Tensor.{fn.__name__}`."
    return inplace
