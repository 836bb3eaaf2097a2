"""Any change of what the detector says on the replicas and the seeded scenarios is deliberate."""

import json

from tests.golden.snapshot import GOLDEN, snapshot


def test_findings_on_the_replicas_and_seeded_scenarios_match_the_golden_snapshot():
    expected = json.loads(GOLDEN.read_text())
    actual = json.loads(json.dumps(snapshot(), sort_keys=True))
    for section in ("replicas", "scenarios"):
        for series in sorted(set(expected[section]) | set(actual[section])):
            assert actual[section].get(series) == expected[section].get(series), (
                f"{section} {series} changed; if intended, regenerate with python -m tests.golden.snapshot --write"
            )
