"""``ember.jit``: trace models to portable graphs, optimise them for inference, save and load them.

* :func:`trace` records the primitive ops a module runs on example inputs (batch size kept symbolic);
* :func:`script` does the same with shape-inferred placeholder inputs and refuses control flow that
  depends on tensor values (see ``docs/deployment.md`` for how this differs from TorchScript);
* :func:`optimize_for_inference` freezes the weights and runs the graph passes;
* :func:`save` / :func:`load` write and read one self-contained file (no pickle, no code).

Example:
    >>> import io, ember
    >>> m = ember.jit.trace(ember.nn.Linear(2, 2), ember.ones(1, 2))
    >>> buf = io.BytesIO(); ember.jit.save(m, buf); _ = buf.seek(0)
    >>> ember.jit.load(buf)(ember.ones(5, 2)).shape
    ember.Size([5, 2])
"""

from __future__ import annotations

from ._api import is_tracing, trace
from ._module import GraphModule, ScriptModule
from ._passes import freeze, optimize_for_inference
from ._script import script
from ._serialize import GraphFormatError, load, save
from ._tracer import ScriptError, TracerWarning

TopLevelTracedModule = RecursiveScriptModule = GraphModule

__all__ = ["trace", "script", "save", "load", "optimize_for_inference", "freeze", "is_tracing", "GraphModule",
           "ScriptModule", "TracerWarning", "ScriptError", "GraphFormatError"]
