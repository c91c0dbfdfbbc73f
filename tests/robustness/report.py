"""Turn the robustness ledger (JSON written by the suite) into the Markdown tables of docs/reliability.md.

    python tests/robustness/report.py ledger.json
"""

from __future__ import annotations

import json
import sys

TITLES = {
    "loaders": "Fuzzed loaders (mutated valid files)",
    "hostile files": "Hostile files",
    "public API": "Public API fuzzing (core ops, random shapes, dtypes, arguments)",
    "faults": "Faults",
    "memory": "Memory",
    "determinism": "Determinism",
}


def render(ledger):
    """Markdown tables (one per section) of ``{section: {name: {outcome: count}}}``.

    Example:
        >>> print(render({"faults": {"worker killed": {"clean error": 2}}}))
        ### Faults
        <BLANKLINE>
        | case | trials | outcomes |
        |---|---:|---|
        | worker killed | 2 | clean error: 2 |
        <BLANKLINE>
    """
    meta = ledger.get("_meta")
    lines = []
    if meta:
        lines += [f"Run size: `{meta['scale']}` ({meta['examples_per_loader']} inputs per loader).", ""]
    for section, title in TITLES.items():
        rows = ledger.get(section)
        if not rows:
            continue
        lines += [f"### {title}", "", "| case | trials | outcomes |", "|---|---:|---|"]
        for name, outcomes in sorted(rows.items()):
            total = sum(outcomes.values())
            text = ", ".join(f"{o}: {n}" for o, n in sorted(outcomes.items(), key=lambda kv: -kv[1]))
            lines.append(f"| {name} | {total} | {text} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        print(render(json.load(f)))
