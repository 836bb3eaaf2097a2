"""The seeded incident-replica generator (data/generate.py) and the committed data/replicas/.

Files are parsed here with plain json/csv on purpose: these tests must not depend on the
detector's own readers. Shape tests run on the committed files and on a second seed, so that a
shape holding by luck of one seed fails.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
import yaml

from detector.configuration.schema import load_config

ROOT = Path(__file__).resolve().parents[2]
GENERATE = ROOT / "data" / "generate.py"
COMMITTED = ROOT / "data" / "replicas"
CONFIG = ROOT / "config" / "replicas.yaml"
DEFAULT_SEED = 20260221
OTHER_SEED = 7
GIB = 2**30

VPA = 'webhook_p99_seconds{name="vpa.k8s.io",type="admit"}'
GATEKEEPER = 'webhook_p99_seconds{name="gatekeeper.sh",type="validating"}'
THROTTLE = 'client_throttle_wait_seconds{job="vpa-admission-controller"}'
FAIL_OPEN = 'webhook_fail_open_rate{name="vpa.k8s.io",type="admit"}'
EVICTIONS = 'vpa_evictions{vpa_name="prometheus",vpa_namespace="monitoring"}'
HEAD = 'prometheus_head_series{job="prometheus"}'
MEMORY = 'backend_memory_bytes{container="backend",namespace="shop",pod="backend-7d9f"}'


def at(text: str) -> int:
    """Unix seconds of an RFC 3339 instant."""
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def key_of(signal: str, labels: dict[str, str]) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{signal}{{{inner}}}"


def read_export(path: Path) -> dict[str, list[tuple[int, str]]]:
    """``{series key: [(unix seconds, value text), ...]}`` in file order."""
    signal = path.stem
    out: dict[str, list[tuple[int, str]]] = {}
    if path.suffix == ".json":
        body = json.loads(path.read_text(encoding="utf-8"))
        assert body["status"] == "success" and body["data"]["resultType"] == "matrix"
        for item in body["data"]["result"]:
            out[key_of(signal, item["metric"])] = [(int(t), v) for t, v in item["values"]]
        return out
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            stamp = row.pop("timestamp")
            value = row.pop("value")
            unix = int(stamp) if stamp.isdigit() else at(stamp)
            out.setdefault(key_of(signal, {k: v for k, v in row.items() if v}), []).append((unix, value))
    return out


class Replica:
    """All exports of one replica directory, with sorted, de-duplicated numeric views."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files = sorted(p for p in directory.iterdir() if p.suffix in {".json", ".csv"} and p.name != "truth.json")
        self.raw: dict[str, list[tuple[int, str]]] = {}
        for path in self.files:
            self.raw.update(read_export(path))
        self.incidents = yaml.safe_load((directory / "incidents.yaml").read_text(encoding="utf-8"))
        self.truth = json.loads((directory / "truth.json").read_text(encoding="utf-8"))

    def series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """Times (unix s) and values, sorted by time, first of duplicated timestamps kept."""
        rows = sorted(dict(reversed(self.raw[key])).items())
        return np.array([t for t, _ in rows]), np.array([float(v) for _, v in rows])

    def between(self, key: str, start: str, end: str) -> np.ndarray:
        """Present, non-NaN values with start <= t < end."""
        t, v = self.series(key)
        chosen = v[(t >= at(start)) & (t < at(end))]
        return chosen[~np.isnan(chosen)]

    def keys(self, signal: str) -> list[str]:
        return [k for k in self.raw if k.startswith(signal + "{")]


def run_generator(out: Path, seed: int) -> Path:
    subprocess.run([sys.executable, str(GENERATE), "--out", str(out), "--seed", str(seed)], check=True, capture_output=True, timeout=120)
    return out


def contents(directory: Path) -> dict[str, bytes]:
    """The generated files (manifests/ holds the incidents' Kubernetes objects, written by hand)."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_generator(tmp_path_factory.mktemp("fresh"), DEFAULT_SEED)


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_generator(tmp_path_factory.mktemp("other"), OTHER_SEED)


@pytest.fixture(scope="module", params=["committed", "other seed"])
def replica(request: pytest.FixtureRequest) -> Replica:
    return Replica(COMMITTED if request.param == "committed" else request.getfixturevalue("other"))


# --- determinism and the committed files --------------------------------------------------------------


def test_the_same_seed_writes_the_same_bytes(fresh: Path, tmp_path: Path) -> None:
    again = run_generator(tmp_path / "again", DEFAULT_SEED)
    assert contents(again) == contents(fresh)


def test_the_committed_replicas_equal_a_fresh_generation_with_the_default_seed(fresh: Path) -> None:
    committed, generated = contents(COMMITTED), contents(fresh)
    assert sorted(committed) == sorted(generated)
    edited = [name for name in generated if committed[name] != generated[name]]
    assert edited == [], f"edited by hand or generator changed without regenerating: {edited}"


def test_another_seed_writes_the_same_files_with_other_values(fresh: Path, other: Path) -> None:
    a, b = contents(fresh), contents(other)
    assert sorted(a) == sorted(b)
    assert a["webhook_p99_seconds.json"] != b["webhook_p99_seconds.json"]
    assert a["pvc_used_bytes.csv"] != b["pvc_used_bytes.csv"]


# --- (a) VPA ---------------------------------------------------------------------------------------------


def test_vpa_objects_drift_up_then_step_about_threefold_at_the_truth_time(replica: Replica) -> None:
    step = replica.truth["steps"]["vpa_objects{}"]
    t, v = replica.series("vpa_objects{}")
    ratio = np.median(v[(t >= at(step)) & (t < at(step) + 86400)]) / np.median(v[(t < at(step)) & (t >= at(step) - 86400)])
    assert 2.7 < ratio < 3.3
    hourly = v[1:] / v[:-1]
    assert t[1:][np.argmax(hourly)] == at(step), "the largest hour-to-hour jump is the step"
    assert 750 < np.median(v[:24]) < 850
    assert np.median(v[t < at(step)][-24:]) - np.median(v[:24]) > 300, "drifts up ~1.5/day before the step"


def test_client_throttle_wait_is_noise_before_the_onset_and_passes_20s_in_mid_february(replica: Replica) -> None:
    onset = replica.truth["onsets"][THROTTLE]
    before = replica.between(THROTTLE, "2025-06-01T00:00:00Z", onset)
    assert before.min() >= 0.001 and before.max() <= 0.005
    monthly = [
        np.median(replica.between(THROTTLE, f"{m}-01T00:00:00Z", f"{n}-01T00:00:00Z"))
        for m, n in [
            ("2025-08", "2025-09"),
            ("2025-09", "2025-10"),
            ("2025-10", "2025-11"),
            ("2025-11", "2025-12"),
            ("2025-12", "2026-01"),
            ("2026-01", "2026-02"),
        ]
    ]
    assert all(b > 1.3 * a for a, b in zip(monthly, monthly[1:], strict=False)), f"multiplicative growth, got {monthly}"
    assert replica.between(THROTTLE, "2025-06-01T00:00:00Z", replica.truth["steps"]["vpa_objects{}"]).max() < 20
    assert replica.between(THROTTLE, "2026-02-10T00:00:00Z", "2026-02-20T00:00:00Z").max() > 20


def test_vpa_webhook_p99_creeps_from_the_onset_and_is_pinned_at_25_at_the_end(replica: Replica) -> None:
    june = np.median(replica.between(VPA, "2025-06-01T00:00:00Z", "2025-07-14T00:00:00Z"))
    mid_january = np.median(replica.between(VPA, "2026-01-12T00:00:00Z", "2026-01-17T00:00:00Z"))
    assert 0.2 < june < 0.4
    assert 9 < mid_january / june < 20
    t, v = replica.series(VPA)
    assert np.nanmax(v) == 25.0, "histogram_quantile never returns more than the top finite bucket"
    assert np.all(replica.between(VPA, "2026-02-21T00:00:00Z", "2026-02-28T00:00:00Z") == 25.0)
    first_pin = t[np.flatnonzero(v == 25.0)[0]]
    assert at("2026-02-16T00:00:00Z") <= first_pin <= at("2026-02-21T00:00:00Z")
    assert replica.truth["censored"][VPA] == {
        "bound": 25.0,
        "first": datetime.fromtimestamp(int(first_pin), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    first_20 = t[np.flatnonzero(v >= 20.0)[0]]
    assert at("2026-02-08T00:00:00Z") <= first_20 <= at("2026-02-20T00:00:00Z")


def test_the_gatekeeper_webhook_stays_flat_as_a_negative_control_in_the_same_signal(replica: Replica) -> None:
    medians = [
        np.median(replica.between(GATEKEEPER, f"{m}-01T00:00:00Z", f"{n}-01T00:00:00Z"))
        for m, n in [("2025-06", "2025-07"), ("2025-10", "2025-11"), ("2026-02", "2026-03")]
    ]
    assert all(0.12 < m < 0.18 for m in medians), medians
    assert replica.between(GATEKEEPER, "2025-06-01T00:00:00Z", "2026-02-28T00:00:00Z").max() < 2


def test_fail_open_rate_is_exactly_zero_until_february_17_and_large_after_the_incident(replica: Replica) -> None:
    early = [text for t, text in replica.raw[FAIL_OPEN] if t <= at("2026-02-17T00:00:00Z")]
    assert set(early) == {"0"}
    assert 0 < replica.between(FAIL_OPEN, "2026-02-17T00:00:00Z", "2026-02-20T10:00:00Z").mean() < 0.5
    assert replica.between(FAIL_OPEN, "2026-02-20T14:00:00Z", "2026-02-28T00:00:00Z").mean() > 1


def test_vpa_evictions_are_rare_until_the_incident_then_loop(replica: Replica) -> None:
    incident = replica.truth["incidents"]["vpa"]
    assert replica.between(EVICTIONS, "2025-06-01T00:00:00Z", incident).max() <= 1
    assert replica.between(EVICTIONS, "2026-02-20T14:00:00Z", "2026-02-28T00:00:00Z").mean() > 10


def test_prometheus_head_series_grow_slowly_then_explode_past_4m_after_the_incident(replica: Replica) -> None:
    assert 1.1e6 < np.median(replica.between(HEAD, "2025-06-01T00:00:00Z", "2025-06-08T00:00:00Z")) < 1.3e6
    assert 1.8e6 < np.median(replica.between(HEAD, "2026-02-19T00:00:00Z", "2026-02-20T00:00:00Z")) < 2.0e6
    assert replica.between(HEAD, "2025-06-01T00:00:00Z", replica.truth["incidents"]["vpa"]).max() < 2.1e6
    assert replica.between(HEAD, "2026-02-22T00:00:00Z", "2026-02-28T00:00:00Z").min() > 4e6


# --- (b) Redis --------------------------------------------------------------------------------------------


def test_each_pvc_first_reaches_its_old_capacity_at_its_incident_time_and_never_exceeds_capacity(replica: Replica) -> None:
    outage = {key_of(i["signal"], i["labels"]): i["at"] for i in replica.incidents if i["signal"] == "pvc_used_bytes"}
    incidents = replica.truth["full_at"]
    assert sorted(outage) == sorted(incidents) == sorted(replica.keys("pvc_used_bytes")) and len(incidents) == 3
    for key, when in outage.items():  # the outage: the first full disk, or the cluster-wide resize
        assert when == min(incidents[key], "2026-01-15T07:00:00Z")
    assert incidents['pvc_used_bytes{namespace="redis",persistentvolumeclaim="data-redis-0"}'] == "2026-01-15T07:00:00Z"
    for key, when in incidents.items():
        assert abs(at(when) - at("2026-01-15T07:00:00Z")) <= 3 * 86400
        t, used = replica.series(key)
        if at(when) < at("2026-01-15T07:10:00Z"):
            assert used[t == at(when)][0] == 10 * GIB, "a full disk sits at its capacity"
        else:  # resized before it filled: it passes the old capacity instead
            assert used[t == at(when)][0] >= 10 * GIB
        assert used[t < at(when)].max() < 10 * GIB
        assert 0.43 * 10 * GIB < used[0] < 0.57 * 10 * GIB
        ct, capacity = replica.series(key.replace("pvc_used_bytes", "pvc_capacity_bytes"))
        common, ui, ci = np.intersect1d(t, ct, return_indices=True)
        assert common.size > 6000 and np.all(used[ui] <= capacity[ci])
        after = replica.between(key, "2026-01-16T00:00:00Z", "2026-02-28T00:00:00Z")
        assert after.max() < 20 * GIB and np.median(after[-48:]) > np.median(after[:48]), "keeps filling after the resize"


def test_pvc_capacity_doubles_at_the_online_resize(replica: Replica) -> None:
    for key, resize in replica.truth["resizes"].items():
        t, capacity = replica.series(key)
        assert set(capacity[t < at(resize["at"])]) == {resize["from"]} == {10 * GIB}
        assert set(capacity[t > at(resize["at"])]) == {resize["to"]} == {20 * GIB}


def test_redis_pods_restart_in_a_storm_right_after_0810(replica: Replica) -> None:
    keys = replica.keys("pod_restarts")
    assert len(keys) == 3
    for key in keys:
        assert replica.between(key, "2026-01-15T08:10:00Z", "2026-01-15T10:00:01Z").sum() >= 3
        quiet = replica.between(key, "2025-06-01T00:00:00Z", "2026-01-15T08:10:00Z")
        assert quiet.max() <= 1 and quiet.sum() <= 10


def test_backend_memory_leaks_up_to_its_limit_at_the_oom_and_restarts_low(replica: Replica) -> None:
    t, memory = replica.series(MEMORY)
    _, limit = replica.series(MEMORY.replace("backend_memory_bytes", "backend_memory_limit_bytes"))
    assert set(limit) == {2 * GIB}
    hour_of_oom = at("2026-01-15T09:00:00Z")  # the sample covering 08:00-09:00 holds the peak
    assert memory[t == hour_of_oom][0] == 2 * GIB
    assert memory[t < hour_of_oom].max() < 2 * GIB
    assert 1.0 * GIB < np.median(memory[:24]) < 1.2 * GIB
    assert np.median(memory[(t < hour_of_oom) & (t >= hour_of_oom - 86400)]) > 1.85 * GIB
    after = memory[t > hour_of_oom]
    assert after[0] < 1.0 * GIB and np.median(after[-48:]) > np.median(after[:48])


# --- (c) negative controls --------------------------------------------------------------------------------


def _naive_forecasts(times: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``predict_linear(x[6h], 4d)`` at every hour: OLS over the samples of the last 6 h."""
    grid = np.arange(times[0], times[-1] + 1, 3600)
    y = np.full(grid.size, np.nan)
    y[np.searchsorted(grid, times)] = values
    window = np.stack([np.concatenate([np.full(lag, np.nan), y[: grid.size - lag]]) for lag in range(7)], axis=1)
    x = -np.arange(7.0) * np.ones_like(window)
    ok = ~np.isnan(window)
    n = ok.sum(axis=1)
    xs, ys = np.where(ok, x, 0.0), np.where(ok, window, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        xbar, ybar = xs.sum(axis=1) / n, ys.sum(axis=1) / n
        slope = ((xs - xbar[:, None]) * (ys - ybar[:, None]) * ok).sum(axis=1) / (((xs - xbar[:, None]) ** 2) * ok).sum(axis=1)
        forecast = ybar + slope * (96.0 - xbar)
    return np.where(n >= 3, forecast, np.nan)


def _controls(replica: Replica) -> list[tuple[str, float]]:
    config = load_config(CONFIG)
    out = []
    for signal in config.signals:
        if signal.name.startswith("control_"):
            out.extend((key, float(signal.ceiling)) for key in replica.keys(signal.name))
    return out


def test_controls_never_reach_their_configured_ceilings(replica: Replica) -> None:
    controls = _controls(replica)
    assert len({k.split("{")[0] for k, _ in controls}) == 6
    for key, ceiling in controls:
        _, values = replica.series(key)
        assert np.nanmax(values) < 0.8 * ceiling, key
        assert replica.truth["quiet"][key] == ceiling


def test_a_naive_six_hour_predict_linear_rule_would_cross_every_control_ceiling(replica: Replica) -> None:
    for key, ceiling in _controls(replica):
        if key == 'control_queue_depth{queue="refunds"}':
            continue  # the late second queue only exercises label churn
        times, values = replica.series(key)
        keep = ~np.isnan(values)
        assert np.nanmax(_naive_forecasts(times[keep], values[keep])) > ceiling, f"{key} is too easy a control"


# --- files, quirks and references ---------------------------------------------------------------------------


def test_incidents_and_truth_name_series_that_exist_in_the_files(replica: Replica) -> None:
    keys = set(replica.raw)
    named = {key_of(i["signal"], i["labels"]) for i in replica.incidents}
    assert named <= keys and len(named) == len(replica.incidents) == 12
    assert not any(i["signal"] == "vpa_objects" for i in replica.incidents)
    for section in ("onsets", "steps", "step_factors", "resizes", "full_at", "censored", "restarts", "appears", "quiet"):
        assert set(replica.truth[section]) <= keys, section
    for incident in replica.incidents:
        if incident["signal"] == "pvc_used_bytes":
            assert min(replica.truth["full_at"][key_of(incident["signal"], incident["labels"])], "2026-01-15T07:00:00Z") == incident["at"]


def test_the_exports_carry_the_quirks_of_real_exports(replica: Replica) -> None:
    csvs = [p for p in replica.files if p.suffix == ".csv"]
    assert 0.25 <= len(csvs) / len(replica.files) <= 0.45
    first_cells = {
        p.name: next(csv.reader(p.open(encoding="utf-8")))[:2] + [p.read_text(encoding="utf-8").split("\n")[1].split(",")[0]] for p in csvs
    }
    assert any(cells[2].isdigit() for cells in first_cells.values()) and any(cells[2].endswith("Z") for cells in first_cells.values())
    assert all(cells[:2] == ["timestamp", "value"] for cells in first_cells.values())
    rows = replica.raw.values()
    assert 2 <= sum(text == "NaN" for series in rows for _, text in series) <= 5
    assert 1 <= sum(len(s) - len({t for t, _ in s}) for s in rows) <= 2, "one or two duplicated timestamps"
    assert sum(any(b < a for (a, _), (b, _) in zip(s, s[1:], strict=False)) for s in rows) == 1, "one file with unsorted rows"
    assert sum(len({t for t, _ in s}) < 6528 for s in rows) >= 8, "scrape gaps"
    assert 'control_queue_depth{queue="refunds"}' in replica.truth["appears"]
    assert sum(min(t for t, _ in s) > at("2025-06-02T00:00:00Z") for s in rows) == 1, "one series appears mid-way"
    with_name = [p.name for p in replica.files if p.suffix == ".json" and '"__name__"' in p.read_text(encoding="utf-8")]
    assert 1 <= len(with_name) < len(replica.files) / 2


def test_the_replica_directory_stays_small() -> None:
    assert sum(p.stat().st_size for p in COMMITTED.rglob("*") if p.is_file()) < 6_000_000


def test_the_replica_config_loads_and_names_exactly_the_exported_signals() -> None:
    config = load_config(CONFIG)
    exported = sorted(p.stem for p in COMMITTED.iterdir() if p.suffix in {".json", ".csv"} and p.stem != "truth")
    assert sorted(s.name for s in config.signals) == exported
    assert all(s.lookback == 300 * 86400 for s in config.signals)
    webhook = config.signal("webhook_p99_seconds")
    assert (webhook.ceiling_limit.limit, webhook.ceiling_limit.default) == ("webhook_timeout", 30)
    assert (webhook.censor_at, webhook.drivers) == (25, ("vpa_objects", "client_throttle_wait_seconds"))
    assert config.signal("pvc_used_bytes").ceiling_signal == "pvc_capacity_bytes"
    assert config.signal("backend_memory_bytes").ceiling_signal == "backend_memory_limit_bytes"
    for context in ("pvc_capacity_bytes", "backend_memory_limit_bytes", "vpa_objects"):
        assert config.signal(context).severity.max_severity == "info"
    for uncapped in ("webhook_fail_open_rate", "vpa_evictions", "pod_restarts"):
        assert config.signal(uncapped).ceiling is None
