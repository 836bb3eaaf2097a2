"""Regenerating docs/benchmarks.md never loses a measured section it did not re-run."""

from __future__ import annotations

from datetime import datetime, timezone

from benchmarks.__main__ import TITLES, document, previous_sections

EARLIER = """# Benchmarks

## Machine

- cpu: old

## Fleet scale: speed and memory (`python -m benchmarks.fleet_scale`)

old fleet numbers

## Live pulls at fleet size (`python -m benchmarks.live_pull`)

10,000 series: +20 MiB
"""


def _run(sections):
    return document(sections, {"cpu": "new"}, datetime(2026, 11, 30, tzinfo=timezone.utc), False, 60.0, previous_sections(EARLIER))


def test_a_section_measured_by_hand_is_kept_and_marked_as_earlier():
    text = _run([])
    assert "10,000 series: +20 MiB" in text
    assert "_kept from an earlier run" in text
    assert "cpu: old" not in text  # the machine block is this run's


def test_a_section_this_run_produced_replaces_the_earlier_one():
    fleet = {"name": "fleet_scale", "status": "ok", "seconds": 5.0, "markdown": "new fleet numbers", "result": None}
    text = _run([fleet])
    assert "new fleet numbers" in text and "old fleet numbers" not in text
    assert text.count(f"## {TITLES['fleet_scale']}") == 1
