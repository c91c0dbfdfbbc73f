"""A tiny YAML writer for ``hparams.yaml`` (numbers, strings, booleans, None, lists and nested dicts)."""

from __future__ import annotations

import json


def _scalar(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if value == value and value not in (float("inf"), float("-inf")) else \
            {"nan": ".nan", "inf": ".inf", "-inf": "-.inf"}[repr(value)]
    text = str(value)
    plain = text and text.strip() == text and not any(c in text for c in ":#{}[],&*!|>'\"%@`\n") \
        and text.lower() not in ("null", "true", "false", "yes", "no", "~") and not _looks_numeric(text)
    return text if plain else json.dumps(text)


def _looks_numeric(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def dump(data, indent=0):
    """``data`` (a dict) as YAML text.

    Example:
        >>> from emberlightning.loggers._yaml import dump
        >>> print(dump({"lr": 0.1, "layers": [64, 32], "opt": {"name": "adam", "amsgrad": False}}), end="")
        lr: 0.1
        layers:
        - 64
        - 32
        opt:
          name: adam
          amsgrad: false
    """
    pad = "  " * indent
    lines = []
    for key, value in data.items():
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{_scalar(key)}:")
            lines.append(dump(value, indent + 1).rstrip("\n"))
        elif isinstance(value, (list, tuple)) and value:
            lines.append(f"{pad}{_scalar(key)}:")
            lines += [f"{pad}- {_scalar(v) if not isinstance(v, (dict, list, tuple)) else json.dumps(v, default=str)}"
                      for v in value]
        elif isinstance(value, (dict, list, tuple)):
            lines.append(f"{pad}{_scalar(key)}: {'{}' if isinstance(value, dict) else '[]'}")
        else:
            lines.append(f"{pad}{_scalar(key)}: {_scalar(value)}")
    return "\n".join(lines) + "\n"
