"""Intermediate outputs of a model by node name: ``create_feature_extractor`` and ``get_graph_node_names``.

torchvision traces the model symbolically (torch.fx) and names every operation; Ember has no
symbolic module tracer, so here the nodes are the model's **submodules**, by qualified name
("layer1", "layer4.1.relu", "features.3"), and their outputs are caught with forward hooks. A module
called more than once per forward is addressed call by call as torchvision names them: "relu" is the
first call, "relu_1" the second, and so on. Functional operations (torchvision's "add", "flatten",
"x") are not nodes; ask for the module whose output holds them instead (a block's output is its
final addition and activation).
"""

from __future__ import annotations

import re
from collections import OrderedDict

import ember.nn as nn

__all__ = ["create_feature_extractor", "get_graph_node_names"]


def get_graph_node_names(model, tracer_kwargs=None, suppress_diff_warning=False, concrete_args=None):
    """``(train_nodes, eval_nodes)``: the qualified names of every submodule, in registration order.

    Both lists are the same (the module tree does not depend on the mode). A module called several
    times per forward also answers to ``name_1``, ``name_2``, ... (its later calls), which are not listed.
    ``tracer_kwargs``, ``suppress_diff_warning`` and ``concrete_args`` are accepted for torchvision's
    signature and unused.

    Example:
        >>> from embervision.models import resnet18
        >>> from embervision.models.feature_extraction import get_graph_node_names
        >>> train_nodes, eval_nodes = get_graph_node_names(resnet18())
        >>> train_nodes[:6], "layer4.1.relu" in eval_nodes
        (['conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer1.0'], True)
    """
    names = [name for name, _ in model.named_modules() if name]
    return names, list(names)


def _resolve(model, return_nodes):
    """``{out_name: (module, call index)}`` for the node names in ``return_nodes``; ValueError for unknown names."""
    modules = dict(model.named_modules())
    resolved = {}
    for query, out_name in return_nodes.items():
        module, call = modules.get(query), 0
        repeat = re.fullmatch(r"(.+)_(\d+)", query)
        if module is None and repeat is not None:
            module, call = modules.get(repeat.group(1)), int(repeat.group(2))
        if module is None or module is model:
            raise ValueError(f"node: '{query}' is not present in model. Hint: use `get_graph_node_names` to make "
                             "sure the `return_nodes` you specified are present. It may even be that you need to "
                             "specify `train_return_nodes` and `eval_return_nodes` separately.")
        resolved[out_name] = (module, call)
    return resolved


def _as_dict(nodes):
    if isinstance(nodes, (list, tuple)):
        return {str(n): str(n) for n in nodes}
    return {str(k): str(v) for k, v in nodes.items()}


class _AllCaught(BaseException):
    """Raised by the last hook to stop the forward once every requested output is in hand.

    A BaseException, so that a forward's own ``except Exception`` cannot swallow it.
    """


class FeatureExtractor(nn.Module):
    """``model`` returning ``{out_name: node output}`` instead of its own output (see :func:`create_feature_extractor`).

    It holds the model's children (and its own parameters) under their names, so its state-dict keys
    are the model's; it runs the model's forward and stops as soon as the last requested node has run.

    Example:
        >>> import ember
        >>> from embervision.models.feature_extraction import FeatureExtractor
        >>> model = ember.nn.Sequential(ember.nn.Linear(2, 3), ember.nn.ReLU(), ember.nn.Linear(3, 1))
        >>> extractor = FeatureExtractor(model, {"1": "hidden"}, {"1": "hidden"})
        >>> list(extractor.state_dict()), extractor(ember.ones(4, 2))["hidden"].shape
        (['0.weight', '0.bias', '2.weight', '2.bias'], ember.Size([4, 3]))
    """

    def __init__(self, model, train_return_nodes, eval_return_nodes):
        super().__init__()
        for name, child in model.named_children():
            self.add_module(name, child)
        for name, param in model.named_parameters(recurse=False):
            self.register_parameter(name, param)
        self.__dict__["_model"] = model  # not a child: its forward is borrowed, its modules are already ours
        self._nodes = {True: _resolve(model, train_return_nodes), False: _resolve(model, eval_return_nodes)}
        self.train(model.training)

    def forward(self, *args, **kwargs):
        nodes = self._nodes[self.training]
        caught, calls = OrderedDict(), {}

        def catch(module, inputs, output):
            count = calls[id(module)] = calls.get(id(module), -1) + 1
            for out_name, (target, call) in nodes.items():
                if target is module and call == count:
                    caught[out_name] = output
            if len(caught) == len(nodes):
                raise _AllCaught

        handles = [m.register_forward_hook(catch) for m in {id(m): m for m, _ in nodes.values()}.values()]
        self._model.training = self.training
        try:
            self._model(*args, **kwargs)
        except _AllCaught:
            pass
        finally:
            for handle in handles:
                handle.remove()
        missing = [out_name for out_name in nodes if out_name not in caught]
        if missing:
            raise RuntimeError(f"create_feature_extractor: the forward never produced the nodes {missing} "
                               f"(fewer calls of those modules than their names ask for)")
        return caught


def create_feature_extractor(model, return_nodes=None, train_return_nodes=None, eval_return_nodes=None,
                             tracer_kwargs=None, suppress_diff_warning=False, concrete_args=None):
    """A module returning the outputs of ``model``'s nodes (submodules by qualified name) as an ordered dict.

    ``return_nodes`` is a list of node names or a dict ``{node name: output name}``; or give
    ``train_return_nodes`` and ``eval_return_nodes`` (both) to pick per mode. A node is a submodule's
    qualified name, with ``_k`` added for its ``k``-th repeated call (see :func:`get_graph_node_names`).
    The outputs come in execution order, and the forward stops after the last one. The model's
    submodules are shared, not copied. ``tracer_kwargs``, ``suppress_diff_warning`` and ``concrete_args``
    are accepted for torchvision's signature and unused.

    Example:
        >>> import ember
        >>> from embervision.models import resnet18
        >>> from embervision.models.feature_extraction import create_feature_extractor
        >>> extractor = create_feature_extractor(resnet18(), {"layer1": "feat1", "layer3.0.relu_1": "feat2"})
        >>> {k: tuple(v.shape) for k, v in extractor(ember.rand(1, 3, 64, 64)).items()}
        {'feat1': (1, 64, 16, 16), 'feat2': (1, 256, 4, 4)}
    """
    if all(arg is None for arg in (return_nodes, train_return_nodes, eval_return_nodes)):
        raise ValueError("Either `return_nodes` or `train_return_nodes` and `eval_return_nodes` together, "
                         "should be specified")
    if (train_return_nodes is None) ^ (eval_return_nodes is None):
        raise ValueError("If any of `train_return_nodes` and `eval_return_nodes` are specified, then both should "
                         "be specified")
    if not ((return_nodes is None) ^ (train_return_nodes is None)):
        raise ValueError("If `train_return_nodes` and `eval_return_nodes` are specified, then both should be "
                         "specified")
    if return_nodes is not None:
        train_return_nodes = eval_return_nodes = return_nodes
    return FeatureExtractor(model, _as_dict(train_return_nodes), _as_dict(eval_return_nodes))
