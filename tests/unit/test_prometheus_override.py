"""`--prometheus URL` and `$SLOWBURN_PROMETHEUS_URL` point a config at a Prometheus, the flag winning."""

from pathlib import Path

import pytest

from detector.configuration.schema import PROMETHEUS_URL_ENV, load_config, with_prometheus_override
from detector.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def catalog():
    config = load_config(ROOT / "config" / "default.yaml")
    assert config.prometheus is None  # the shipped catalog names no Prometheus
    return config


def test_the_flag_gives_the_shipped_catalog_a_prometheus():
    config = with_prometheus_override(load_config(ROOT / "config" / "default.yaml"), "http://prom:9090/", {})
    assert config.prometheus is not None and config.prometheus.url == "http://prom:9090"


def test_the_environment_variable_is_used_without_the_flag(catalog):
    config = with_prometheus_override(catalog, None, {PROMETHEUS_URL_ENV: "http://from-env:9090"})
    assert config.prometheus.url == "http://from-env:9090"


def test_the_flag_wins_over_the_environment_variable(catalog):
    config = with_prometheus_override(catalog, "http://from-flag:9090", {PROMETHEUS_URL_ENV: "http://from-env:9090"})
    assert config.prometheus.url == "http://from-flag:9090"


def test_without_flag_or_variable_the_config_is_unchanged(catalog):
    assert with_prometheus_override(catalog, None, {PROMETHEUS_URL_ENV: ""}) is catalog


def test_the_override_keeps_the_other_prometheus_settings(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("prometheus: {url: 'http://old:9090', retries: 7, query_deadline: 45s}\nsignals: [{name: up, query: up}]\n")
    config = with_prometheus_override(load_config(path), "http://new:9090", {})
    assert (config.prometheus.url, config.prometheus.retries, config.prometheus.query_deadline) == ("http://new:9090", 7, 45.0)


@pytest.mark.parametrize("flag, where", [("prom:9090", "--prometheus"), (None, f"${PROMETHEUS_URL_ENV}")])
def test_a_url_that_is_not_http_is_a_config_error_naming_where_it_came_from(catalog, flag, where):
    with pytest.raises(ConfigError) as caught:
        with_prometheus_override(catalog, flag, {PROMETHEUS_URL_ENV: "ftp://user:pw@x"})
    message = str(caught.value)
    assert where in message and "http:// or https://" in message and "pw" not in message
