import json
import textwrap

import pytest

from detector.configuration.schema import load_config
from detector.errors import ConfigError, ExitStatus

MINIMAL = """
signals:
  - name: webhook_p99_seconds
    query: 'histogram_quantile(0.99, sum by (le, name) (rate(apiserver_admission_webhook_admission_duration_seconds_bucket[1h])))'
    ceiling: 30
    direction: up
    horizon: 90d
    drivers: [vpa_objects]
    step: 1h
    lookback: 180d
  - name: vpa_objects
    query: sum(vpa_recommender_vpa_objects_count)
"""


def write(tmp_path, text, name="slowburn.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_the_documented_keys_load_with_durations_in_seconds(tmp_path):
    config = load_config(write(tmp_path, MINIMAL))
    signal = config.signal("webhook_p99_seconds")
    assert signal.horizon == 90 * 86400 and signal.step == 3600 and signal.lookback == 180 * 86400
    assert signal.ceiling == 30 and signal.drivers == ("vpa_objects",)


def test_a_json_file_with_the_same_keys_loads_the_same(tmp_path):
    import yaml

    as_json = write(tmp_path, json.dumps(yaml.safe_load(MINIMAL)), "slowburn.json")
    assert load_config(as_json) == load_config(write(tmp_path, MINIMAL))


def test_the_bundled_catalogs_are_valid():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "config"
    for path in sorted(root.glob("*.yaml")):
        assert load_config(path).signals, path


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("signals: [\n  {name: a,\n", "malformed YAML"),
        ("", "empty file"),
        ("- just\n- a list\n", "expected a mapping"),
        ("signals:\n  - name: a\n    colour: red\n", "signals[0].colour: unknown key"),
        ("signals:\n  - name: a\n    ceiling: {signal: missing}\n", "signals[0].ceiling.signal: no signal named 'missing'"),
        ("signals:\n  - name: a\n    horizon: 0d\n", "signals[0].horizon"),
        ("signals:\n  - name: a\n    step: -5m\n", "signals[0].step"),
        ("signals:\n  - name: a\n    direction: sideways\n", "signals[0].direction"),
        ("signals:\n  - name: a\n  - name: a\n", "duplicate signal name 'a'"),
        ("signals:\n  - name: a\n    drivers: [b]\n", "signals[0].drivers[0]: no signal named 'b'"),
        ("signals:\n  - query: up\n", "signals[0].name: required key is missing"),
    ],
)
def test_each_mistake_is_one_line_naming_the_file_and_field(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert fragment in message
    assert str(path) in message and "\n" not in message
    assert caught.value.exit_status == ExitStatus.CONFIG


def test_a_field_error_points_at_the_line_of_the_field(tmp_path):
    path = write(tmp_path, "signals:\n  - name: a\n  - name: b\n    colour: red\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"{path}:4" in str(caught.value)


def test_a_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


def test_yaml_tags_that_construct_objects_are_refused(tmp_path):
    path = write(tmp_path, "signals: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(ConfigError):
        load_config(path)


def test_a_misspelt_limit_ceiling_names_the_limit_kinds_not_a_number(tmp_path):
    from detector.configuration.schema import load_config
    from detector.errors import ConfigError

    path = tmp_path / "c.yaml"
    path.write_text("signals:\n  - name: p99\n    ceiling: {limit: webhook_timeoutt}\n")
    with pytest.raises(ConfigError, match=r"c.yaml:3: signals\[0\]\.ceiling\.limit: .*'webhook_timeout'"):
        load_config(path)
