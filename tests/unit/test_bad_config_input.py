"""Bad config and incidents files: each is one located error, never a traceback, a hang or a silent pick."""

import math
import textwrap

import pytest
import yaml

from detector.backtest.incidents import load_incidents
from detector.configuration.durations import MAX_DURATION, parse_duration
from detector.configuration.schema import Config, load_config, with_prometheus_url
from detector.configuration.yaml_guards import MAX_DEPTH, MAX_EXPANDED_VALUES, MAX_FILE_BYTES
from detector.configuration.yaml_locations import load_yaml_with_locations
from detector.errors import ConfigError, IncidentsError

BASE = """\
signals:
  - name: used
    ceiling: 10
  - name: other
"""


def write(tmp_path, text, name="c.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def config_error(tmp_path, text, name="c.yaml"):
    path = write(tmp_path, text, name)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return message


def test_a_duplicate_key_is_a_config_error_naming_the_key_and_both_lines(tmp_path):
    message = config_error(tmp_path, BASE.replace("    ceiling: 10\n", "    ceiling: 10\n    horizon: 30d\n    ceiling: 5\n"))
    assert "duplicate key 'ceiling' at lines 3 and 5" in message and "c.yaml:5" in message


def test_a_duplicate_key_in_a_json_config_names_the_columns_of_its_one_line(tmp_path):
    message = config_error(tmp_path, '{"signals": [{"name": "a"}], "signals": [{"name": "b"}]}', "c.json")
    assert "duplicate key 'signals' at line 1, columns 2 and 30" in message


def test_the_same_key_in_two_mappings_and_a_merge_key_are_not_duplicates(tmp_path):
    text = "base: &base {horizon: 30d}\n" + BASE.replace("  - name: other\n", "  - name: other\n    <<: *base\n    ceiling: 10\n")
    with pytest.raises(ConfigError, match="base: unknown key"):  # got past the duplicate check
        load_config(write(tmp_path, text))


def test_a_duplicate_key_in_the_incidents_file_is_an_incidents_error_naming_both_lines(tmp_path):
    path = write(tmp_path, "- signal: used\n  at: 2026-01-01T00:00:00Z\n  signal: other\n", "i.yaml")
    with pytest.raises(IncidentsError, match=r"i.yaml:3: duplicate key 'signal' at lines 1 and 3"):
        load_incidents(path, {"used", "other"})


def test_an_invalid_date_in_the_config_is_located_not_a_traceback(tmp_path):
    message = config_error(tmp_path, BASE + "labels: {since: 2026-02-30}\n")
    assert "c.yaml:5:17" in message and "invalid date or time '2026-02-30' (day is out of range for month)" in message


def test_an_invalid_date_in_the_incidents_file_is_a_located_incidents_error(tmp_path):
    path = write(tmp_path, "- signal: used\n  at: 2026-13-45\n", "i.yaml")
    with pytest.raises(IncidentsError, match=r"i.yaml:2:7: invalid date or time '2026-13-45' \(month must be in 1..12\)"):
        load_incidents(path, {"used"})


def test_a_valid_unquoted_date_in_the_incidents_file_still_loads(tmp_path):
    path = write(tmp_path, "- signal: used\n  at: 2026-02-28\n", "i.yaml")
    assert str(load_incidents(path, {"used"})[0].at) == "2026-02-28 00:00:00+00:00"


@pytest.mark.parametrize("value", [[1, 2], {"a": "b"}, None, True])
def test_an_incident_label_value_that_is_not_a_string_is_an_incidents_error_naming_the_incident(tmp_path, value):
    text = (
        "incidents:\n- signal: used\n  at: 2026-01-01T00:00:00Z\n- signal: used\n  at: 2026-01-02T00:00:00Z\n  labels:\n    pod: "
        + yaml.safe_dump(value, default_flow_style=True).splitlines()[0]
        + "\n"
    )
    with pytest.raises(IncidentsError, match=r"i.yaml:7: \[1\].labels.pod: expected a string label value"):
        load_incidents(write(tmp_path, text, "i.yaml"), {"used"})


def test_numeric_incident_label_values_are_read_as_strings(tmp_path):
    path = write(tmp_path, "- signal: used\n  at: 2026-01-01T00:00:00Z\n  labels: {shard: 3}\n", "i.yaml")
    assert load_incidents(path, {"used"})[0].key.labels == (("shard", "3"),)


@pytest.mark.parametrize("field", ["lookback", "horizon", "step"])
def test_a_duration_of_1e20_seconds_is_a_config_error_stating_the_10_year_bound(tmp_path, field):
    message = config_error(tmp_path, BASE.replace("    ceiling: 10\n", f"    ceiling: 10\n    {field}: 1.0e+20\n"))
    assert f"signals[0].{field}: expected a duration of at most 10y (315360000 s)" in message


def test_durations_are_bounded_at_exactly_ten_years():
    assert parse_duration("3650d") == MAX_DURATION
    assert parse_duration(MAX_DURATION) == MAX_DURATION
    for beyond in ("3651d", MAX_DURATION + 1, math.inf):
        with pytest.raises(ValueError, match="at most 10y"):
            parse_duration(beyond)


@pytest.mark.parametrize(
    "line",
    [
        "ceiling: .nan",
        "ceiling: .inf",
        "ceiling: -.inf",
        "horizon: .nan",
        "horizon: .inf",
        "censor_at: .nan",
        "ceiling: {limit: memory_limit, default: .nan}",
        "model: {penalty: .inf}",
    ],
)
def test_a_nan_or_infinite_number_is_a_config_error_at_its_field(tmp_path, line):
    message = config_error(tmp_path, BASE.replace("    ceiling: 10\n", f"    {line}\n"))
    assert "c.yaml:3" in message and "signals[0]." in message


def test_a_lookback_shorter_than_min_history_is_refused_and_an_equal_one_accepted(tmp_path):
    message = config_error(tmp_path, BASE + "    lookback: 20d\n    model: {min_history: 21d}\n")
    assert "c.yaml:5: signals[1].lookback: expected at least model.min_history (21d), got 20d" in message
    assert load_config(write(tmp_path, BASE + "    lookback: 21d\n    model: {min_history: 21d}\n")).signals[1].lookback == 21 * 86400


def test_a_lookback_shorter_than_the_default_min_history_is_refused(tmp_path):
    assert "min_history (21d)" in config_error(tmp_path, BASE + "    lookback: 7d\n")


def test_a_step_longer_than_the_lookback_is_refused_and_an_equal_one_accepted(tmp_path):
    small = "    model: {min_history: 1h}\n"
    message = config_error(tmp_path, BASE + "    step: 2d\n    lookback: 1d\n" + small)
    assert "signals[1].lookback: expected at least one step (2d), got 1d" in message
    assert load_config(write(tmp_path, BASE + "    step: 1d\n    lookback: 1d\n" + small)).signals[1].step == 86400


def test_a_config_of_exactly_1_mib_loads_and_one_byte_more_is_refused_with_both_sizes(tmp_path):
    padding = MAX_FILE_BYTES - len(BASE.encode()) - 2
    exact = write(tmp_path, BASE + "#" + "x" * padding + "\n")
    assert exact.stat().st_size == MAX_FILE_BYTES
    assert len(load_config(exact).signals) == 2
    message = config_error(tmp_path, BASE + "#" + "x" * (padding + 1) + "\n")
    assert "(1048577 bytes); expected at most 1 MiB (1048576 bytes)" in message


def test_an_11_mb_config_is_refused_before_it_is_parsed(tmp_path):
    text = BASE + "".join(f"  - name: s{i}\n    query: up\n" for i in range(400_000))
    assert "expected at most 1 MiB" in config_error(tmp_path, text)


def nested(depth):
    return "[" * depth + "]" * depth


def test_nesting_is_allowed_up_to_the_depth_limit_and_refused_one_level_deeper():
    document, _ = load_yaml_with_locations(nested(MAX_DEPTH), "f.yaml", ConfigError)
    assert isinstance(document, list)
    with pytest.raises(ConfigError, match=f"f.yaml:1:{MAX_DEPTH + 1}: .*nested deeper than {MAX_DEPTH} levels"):
        load_yaml_with_locations(nested(MAX_DEPTH + 1), "f.yaml", ConfigError)


def test_deep_nesting_far_past_the_recursion_limit_is_a_config_error(tmp_path):
    assert "nested deeper than" in config_error(tmp_path, "signals: " + nested(50_000) + "\n")


def expanded_values(document):
    """Values in the document once every alias is expanded: each list, mapping, key and scalar."""
    count, stack = 0, [document]
    while stack:
        item = stack.pop()
        count += 1
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                stack.extend((key, value))
    return count


def alias_document(total):
    """A YAML list of aliases to one 1,000-value list, padded with scalars to ``total`` values."""
    block = "[" + ", ".join(["x"] * 999) + "]"
    copies = (total - 1001) // 1000
    scalars = total - 1 - 1000 - copies * 1000
    return f"- &a {block}\n" + "".join("- *a\n" for _ in range(copies)) + "".join("- y\n" for _ in range(scalars))


def test_alias_expansion_is_allowed_up_to_the_limit_and_refused_one_value_beyond():
    document, _ = load_yaml_with_locations(alias_document(MAX_EXPANDED_VALUES), "f.yaml", ConfigError)
    assert expanded_values(document) == MAX_EXPANDED_VALUES
    with pytest.raises(ConfigError, match=f"aliases expand this document to more than {MAX_EXPANDED_VALUES} values"):
        load_yaml_with_locations(alias_document(MAX_EXPANDED_VALUES + 1), "f.yaml", ConfigError)


def laughs(level=9):
    """The classic alias bomb: level i is ten copies of level i-1 (level 5 alone is 1,111,111 values)."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, level + 1)]
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_config_is_a_located_config_error(tmp_path):
    assert "c.yaml:6: aliases expand" in config_error(tmp_path, laughs() + BASE)


def test_a_billion_laughs_incidents_file_is_a_located_incidents_error(tmp_path):
    path = write(tmp_path, laughs() + "incidents: []\n", "i.yaml")
    with pytest.raises(IncidentsError, match="i.yaml:6: aliases expand"):
        load_incidents(path, {"used"})


def test_a_recursive_alias_is_refused():
    with pytest.raises(ConfigError, match="f.yaml:1: recursive alias"):
        load_yaml_with_locations("a: &a [1, *a]\n", "f.yaml", ConfigError)


def test_optional_defaults_to_false_reads_true_and_refuses_a_non_boolean(tmp_path):
    config = load_config(write(tmp_path, BASE + "    optional: true\n"))
    assert [s.optional for s in config.signals] == [False, True]
    assert "signals[1].optional" in config_error(tmp_path, BASE + "    optional: sometimes\n")


def test_every_signal_of_the_default_catalog_is_optional():
    from pathlib import Path

    catalog = load_config(Path(__file__).resolve().parents[2] / "config" / "default.yaml")
    assert catalog.signals and all(signal.optional for signal in catalog.signals)


def test_with_prometheus_url_creates_the_block_with_defaults_when_absent():
    config = Config.model_validate({"signals": [{"name": "a"}]})
    updated = with_prometheus_url(config, "http://127.0.0.1:9090/")
    assert updated.prometheus.url == "http://127.0.0.1:9090"
    assert updated.prometheus.timeout == 30.0 and config.prometheus is None


def test_with_prometheus_url_keeps_every_other_prometheus_setting():
    config = Config.model_validate({"signals": [{"name": "a"}], "prometheus": {"url": "http://a:9090", "timeout": "5s", "retries": 1}})
    updated = with_prometheus_url(config, "https://b:443")
    assert (updated.prometheus.url, updated.prometheus.timeout, updated.prometheus.retries) == ("https://b:443", 5.0, 1)
    assert config.prometheus.url == "http://a:9090"


@pytest.mark.parametrize("url", ["", "prometheus:9090", "ftp://p", "file:///etc/passwd"])
def test_with_prometheus_url_refuses_what_the_config_refuses(url):
    config = Config.model_validate({"signals": [{"name": "a"}]})
    with pytest.raises(ConfigError, match=r"prometheus.url: expected an http:// or https:// URL"):
        with_prometheus_url(config, url)
