"""The detection policy as a Markdown table (docs/policy.md is this, regenerated; a test keeps them equal).

Run: python -m detector.policy.document > docs/policy.md
"""

from __future__ import annotations

import sys
from dataclasses import fields

from detector.policy.thresholds import DEFAULT_POLICY, PER_SIGNAL, DetectionPolicy

HEADER = """# Detection policy

Every threshold that turns the models' evidence into a finding, from `detector/policy/thresholds.py`
(`DEFAULT_POLICY`). *Origin*: **budget** (derived from the false-alarm budget), **calibrated** (tuned
on the named benchmark on that date), **convention** (a choice; change it per signal where the
*per signal* column names a `model:` setting). `slowburn explain` shows each gate's evidence and
threshold for one series; `python -m benchmarks.calibrate --field FIELD --values ...` sweeps one.
Regenerate this file with `python -m detector.policy.document > docs/policy.md`.
"""


def markdown(policy: DetectionPolicy = DEFAULT_POLICY) -> str:
    per_signal = {path: setting for setting, path in PER_SIGNAL.items()}
    lines = [HEADER]
    for group_field in fields(DetectionPolicy):
        group = getattr(policy, group_field.name)
        doc = (type(group).__doc__ or "").strip().splitlines()[0]
        lines += [f"## `{group_field.name}`: {doc}", "", "| field | default | unit | per signal | origin |", "|---|---|---|---|---|"]
        for f in fields(group):
            path = f"{group_field.name}.{f.name}"
            setting = f"`model.{per_signal[path]}`" if path in per_signal else ""
            lines.append(
                f"| `{path}` | {_value(getattr(group, f.name))} | {f.metadata.get('unit', '')} | {setting} | {f.metadata.get('origin', '')} |"
            )
        if group_field.name == "significance":
            lines.append(
                f"| `significance.rise_sigmas` (derived) | {policy.significance.rise_sigmas:.3f} | long-run sigmas | | "
                "budget: sqrt(2) x the normal quantile at 1 - daily_false_alarm_rate |"
            )
        lines.append("")
    return "\n".join(lines)


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


if __name__ == "__main__":
    sys.stdout.write(markdown())
