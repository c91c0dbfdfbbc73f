"""The three hparams-plugin summary values (experiment, session start, session end) of ``add_hparams``.

Field numbers follow ``tensorboard/plugins/hparams/{api,plugin_data}.proto``.

Example:
    >>> from ember.utils.tensorboard._hparams import hparams
    >>> [len(v) > 0 for v in hparams({"lr": 0.1}, {"acc": 1.0})]
    [True, True, True]
"""

from . import _proto
from ._summary import to_numpy

_STRING, _BOOL, _FLOAT64 = 1, 2, 3
_STATUS_SUCCESS = 1


def _plugin_value(tag, plugin_data):
    return _proto.value(tag, metadata=_proto.plugin_metadata("hparams", plugin_data))


def _hparam_info(name, kind, domain):
    if domain is None:
        return _proto.bytes_field(1, name) + _proto.int_field(4, kind)
    discrete = b"".join(_proto.message_field(1, _proto.struct_value(d)) for d in domain)
    return _proto.bytes_field(1, name) + _proto.int_field(4, kind) + _proto.message_field(5, discrete)


def hparams(hparam_dict, metric_dict, hparam_domain_discrete=None):
    """Encoded ``Summary.Value``s (experiment, session start, session end) for one hparams run.

    Numbers (bools included, as in torch) are FLOAT64 hyperparameters, strings STRING; a tensor
    contributes its first element. ``None`` values are skipped.

    Example:
        >>> exp, start, end = hparams({"opt": "sgd"}, {"loss": 0.0})
        >>> b"_hparams_/session_end_info" in end and b"loss" in exp
        True
    """
    from ember import Tensor

    domains = hparam_domain_discrete or {}
    if not isinstance(domains, dict):
        raise TypeError("add_hparams: hparam_domain_discrete should be a dictionary")
    for key, domain in domains.items():
        if (key not in hparam_dict or not isinstance(domain, list)
                or not all(isinstance(d, type(hparam_dict[key])) for d in domain)):
            raise TypeError(f"add_hparams: hparam_domain_discrete[{key!r}] should be a list of the "
                            f"same type as hparam_dict[{key!r}]")
    infos, start = [], []
    for key, v in hparam_dict.items():
        if v is None:
            continue
        if isinstance(v, Tensor):
            v, domains = float(to_numpy(v).reshape(-1)[0]), {**domains, key: None}
        elif isinstance(v, (int, float)):
            v = float(v)
        elif not isinstance(v, str):
            raise ValueError(f"add_hparams: the value of {key!r} should be an int, float, str, bool "
                             f"or Tensor, got {type(v).__name__}")
        kind = _STRING if isinstance(v, str) else _FLOAT64
        domain = domains.get(key)
        infos.append(_hparam_info(key, kind, None if domain is None else
                                  [d if isinstance(v, str) else float(d) for d in domain]))
        start.append(_proto.map_entry(1, key, _proto.struct_value(v)))
    metrics = b"".join(_proto.bytes_field(5, _proto.bytes_field(1, _proto.bytes_field(2, tag)))
                       for tag in metric_dict)
    experiment = b"".join(_proto.bytes_field(4, info) for info in infos) + metrics
    return (_plugin_value("_hparams_/experiment", _proto.bytes_field(2, experiment)),
            _plugin_value("_hparams_/session_start_info", _proto.bytes_field(3, b"".join(start))),
            _plugin_value("_hparams_/session_end_info",
                          _proto.bytes_field(4, _proto.int_field(1, _STATUS_SUCCESS))))
