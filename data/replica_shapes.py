"""Building blocks and incident shapes for the replica generator (``data/generate.py``).

Every shape function takes the seeded ``numpy`` generator and the hourly ``Grid`` and returns
``Shape`` records: one series each, values in the signal's unit (seconds, bytes, counts, 1/s),
``missing`` marking hours the export leaves out (scrape gaps). A sample at time T summarises the
hour (T-1h, T], as ``rate(...[1h])``, ``increase(...[1h])`` and ``max_over_time(...[1h])`` do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

GIB = 2**30
START = "2025-06-01T00:00:00Z"
END = "2026-02-28T00:00:00Z"  # exclusive

THROTTLE_ONSET = "2025-07-14T00:00:00Z"
VPA_STEP = "2026-02-03T12:00:00Z"
FAIL_OPEN_START = "2026-02-17T00:00:00Z"
VPA_INCIDENT = "2026-02-20T10:30:00Z"
MONITORING_LOST = ("2026-02-20T11:00:00Z", 3)  # Prometheus OOM-killed: (first missing hour, hours)
REDIS_FULL = "2026-01-15T07:00:00Z"
RESIZE = "2026-01-15T07:10:00Z"
RESTART_STORM = "2026-01-15T08:10:00Z"
OOM = "2026-01-15T08:40:00Z"
PVC_FULL = {"data-redis-0": REDIS_FULL, "data-redis-1": "2026-01-14T19:00:00Z", "data-redis-2": "2026-01-17T03:00:00Z"}
OLD_CAPACITY, NEW_CAPACITY = 10 * GIB, 20 * GIB
MEMORY_LIMIT = 2 * GIB


def seconds(when: str) -> int:
    """Unix seconds of an RFC 3339 instant."""
    return int(pd.Timestamp(when).timestamp())


@dataclass(frozen=True)
class Grid:
    """The hourly time grid [start, end): unix seconds, hour of day and weekend flags."""

    start: str = START
    end: str = END

    @property
    def seconds(self) -> np.ndarray:
        return np.arange(seconds(self.start), seconds(self.end), 3600, dtype=np.int64)

    @property
    def n(self) -> int:
        return len(self.seconds)

    @property
    def hour(self) -> np.ndarray:
        return (self.seconds // 3600) % 24

    @property
    def weekend(self) -> np.ndarray:
        return ((self.seconds // 86400 + 3) % 7) >= 5  # 1970-01-01 was a Thursday; Monday = 0

    def days_since(self, when: str) -> np.ndarray:
        """Days from ``when`` to each grid time (negative before it)."""
        return (self.seconds - seconds(when)) / 86400.0

    def pos(self, when: str) -> int:
        """Index of the first grid time at or after ``when``."""
        return int(np.searchsorted(self.seconds, seconds(when)))


@dataclass
class Shape:
    """One series: signal, labels (``__name__`` allowed), values, significant digits (0: integer)."""

    signal: str
    labels: dict[str, str]
    values: np.ndarray
    digits: int = 4
    missing: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        if self.missing.size == 0:
            self.missing = np.zeros(self.values.size, dtype=bool)


def daily(g: Grid, amplitude: float, peak_hour: float = 13.0) -> np.ndarray:
    """Multiplier 1 +- ``amplitude`` with its maximum at ``peak_hour`` UTC."""
    return 1.0 + amplitude * np.cos(2 * np.pi * (g.hour - peak_hour) / 24.0)


def weekly(g: Grid, drop: float) -> np.ndarray:
    """Multiplier 1 on weekdays, 1 - ``drop`` on Saturday and Sunday."""
    return np.where(g.weekend, 1.0 - drop, 1.0)


def ramp(g: Grid, when: str, hours: float) -> np.ndarray:
    """0 before ``when``, rising linearly to 1 over ``hours``, 1 after."""
    return np.clip((g.seconds - seconds(when)) / (hours * 3600.0), 0.0, 1.0)


def lognoise(rng: np.random.Generator, g: Grid, sd: float) -> np.ndarray:
    """Multiplicative noise with median 1 (log-normal, ``sd`` in log units)."""
    return np.exp(rng.normal(0.0, sd, g.n))


def ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    """Zero-mean AR(1) noise with stationary standard deviation ``sd``."""
    eps = rng.normal(0.0, sd * np.sqrt(1 - phi**2), n)
    out = np.empty(n)
    out[0] = rng.normal(0.0, sd)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + eps[i]
    return out


def spikes(rng: np.random.Generator, g: Grid, per_week: float, hours: tuple[int, int], factor: tuple[float, float]) -> np.ndarray:
    """Extra multiplier (0 outside spikes): deploy-like bursts starting on weekdays 08-17 UTC."""
    extra = np.zeros(g.n)
    starts = np.flatnonzero(~g.weekend & (g.hour >= 8) & (g.hour <= 17))
    count = rng.poisson(per_week * g.n / 168.0)
    for start in np.sort(rng.choice(starts, size=count, replace=False)):
        length = int(rng.integers(hours[0], hours[1] + 1))
        extra[start : start + length] = np.maximum(extra[start : start + length], rng.uniform(*factor) - 1.0)
    return extra


def vpa_objects(rng: np.random.Generator, g: Grid) -> list[Shape]:
    """VPA object count: ~800 drifting up ~1.5/day, then a ~3x step at ``VPA_STEP`` (the catalyst)."""
    level = 800 + 1.5 * g.days_since(START) + ar1(rng, g.n, 0.9, 5.0)
    level = level * np.where(g.seconds >= seconds(VPA_STEP), 3.0, 1.0)
    return [Shape("vpa_objects", {}, np.round(level), digits=0)]


def client_throttle(rng: np.random.Generator, g: Grid) -> list[Shape]:
    """p99 client-side rate-limiter wait (s): noise floor, then growth doubling ~every 35 days."""
    floor = rng.uniform(0.001, 0.005, g.n)
    tau = np.maximum(g.days_since(THROTTLE_ONSET), 0.0)
    growth = 0.115 * (2.0 ** (tau / 35.0) - 1.0)
    catalyst = 1.0 + 0.7 * ramp(g, VPA_STEP, 12)
    wait = floor + growth * daily(g, 0.25) * catalyst * lognoise(rng, g, 0.12)
    return [Shape("client_throttle_wait_seconds", {"job": "vpa-admission-controller"}, wait)]


def webhook_p99(rng: np.random.Generator, g: Grid) -> list[Shape]:
    """Admission webhook p99 (s): VPA's creeps from the onset and is censored at the 25 s bucket."""
    tau = np.maximum(g.days_since(THROTTLE_ONSET), 0.0)
    creep = np.exp(np.log(14.0) / 185.0 * tau)  # 14x by mid-January
    catalyst = 1.0 + 0.3 * ramp(g, VPA_STEP, 12) + 1.5 * ramp(g, VPA_STEP, 14 * 24)  # the backlog builds up
    loop = 1.0 + 2.0 * ramp(g, VPA_INCIDENT, 3)  # evicted pods are re-created: more admissions
    seasonal = 0.3 * daily(g, 0.25) * weekly(g, 0.2)
    deploys = spikes(rng, g, 2.0, (2, 5), (3.0, 6.0))
    vpa = seasonal * creep * catalyst * loop * lognoise(rng, g, 0.08) + seasonal * deploys
    gatekeeper = 0.15 * daily(g, 0.2) * weekly(g, 0.15) * lognoise(rng, g, 0.08)
    gatekeeper *= 1.0 + spikes(rng, g, 1.0, (2, 4), (3.0, 6.0))
    return [
        Shape("webhook_p99_seconds", {"name": "vpa.k8s.io", "type": "admit"}, np.minimum(vpa, 25.0)),
        Shape("webhook_p99_seconds", {"name": "gatekeeper.sh", "type": "validating"}, gatekeeper),
    ]


def webhook_fail_open(rng: np.random.Generator, g: Grid) -> list[Shape]:
    """Fail-open calls per second: exactly 0, then rising from ``FAIL_OPEN_START``, large after the incident."""
    hours = (g.seconds - seconds(FAIL_OPEN_START)) / 3600.0
    expected = np.where(hours > 0, 0.0005 * 2.0 ** (np.maximum(hours, 0.0) / 10.0), 0.0)
    expected = np.minimum(expected, 0.2)
    expected = np.where(g.seconds > seconds(VPA_INCIDENT), 3.0 * lognoise(rng, g, 0.2), expected)
    rate = rng.poisson(expected * 3600.0) / 3600.0
    return [Shape("webhook_fail_open_rate", {"name": "vpa.k8s.io", "type": "admit"}, rate)]


def vpa_evictions(rng: np.random.Generator, g: Grid) -> list[Shape]:
    """Pods evicted by the VPA updater per hour: an occasional 1, then an eviction loop."""
    loop = g.seconds > seconds(VPA_INCIDENT)
    count = np.where(loop, rng.poisson(35.0 * lognoise(rng, g, 0.3)), rng.random(g.n) < 0.003)
    return [Shape("vpa_evictions", {"vpa_namespace": "monitoring", "vpa_name": "prometheus"}, count.astype(float), digits=0)]


def prometheus_head(rng: np.random.Generator, g: Grid) -> list[Shape]:
    """Head series: 1.2M growing to ~1.9M with daily churn, then a churn explosion past 4M."""
    grow = 1.2e6 + 0.7e6 * np.clip(g.days_since(START) / 264.0, 0.0, None) ** 1.2
    churn = daily(g, 0.02, 15.0) * weekly(g, 0.02) * (1.0 + ar1(rng, g.n, 0.8, 0.004))
    explosion = 1.0 + 1.4 * ramp(g, VPA_INCIDENT, 30) * lognoise(rng, g, 0.02)
    return [Shape("prometheus_head_series", {"job": "prometheus"}, np.round(grow * churn * explosion), digits=0)]


def pvc_capacity(g: Grid) -> list[Shape]:
    """PVC capacity (bytes): 10 GiB, 20 GiB from the online resize on."""
    size = np.where(g.seconds >= seconds(RESIZE), NEW_CAPACITY, OLD_CAPACITY).astype(float)
    return [
        Shape(
            "pvc_capacity_bytes",
            {"__name__": "kubelet_volume_stats_capacity_bytes", "namespace": "redis", "persistentvolumeclaim": pvc},
            size.copy(),
            digits=0,
        )
        for pvc in PVC_FULL
    ]


def compaction_sawtooth(rng: np.random.Generator, n: int) -> np.ndarray:
    """Values in [-1, 0]: rises over 6-12 h cycles, then drops back (AOF rewrite); scale by amplitude."""
    out = np.empty(n)
    pos = 0
    while pos < n:
        length = int(rng.integers(6, 13))
        amplitude = rng.uniform(0.01, 0.02) / 0.02
        out[pos : pos + length] = (amplitude * (np.arange(1, length + 1) / length - 1.0))[: n - pos]
        pos += length
    return out


def pvc_used(rng: np.random.Generator, g: Grid) -> list[Shape]:
    """Bytes used per Redis PVC: linear fill to the old capacity at ``PVC_FULL``, capped while full."""
    shapes = []
    resized = g.seconds >= seconds(RESIZE)
    for pvc, full_at in PVC_FULL.items():
        start_fraction = rng.uniform(0.45, 0.55)
        trend = OLD_CAPACITY * (start_fraction + (1 - start_fraction) * g.days_since(START) / ((seconds(full_at) - seconds(START)) / 86400))
        wiggle = 0.02 * OLD_CAPACITY * compaction_sawtooth(rng, g.n) + rng.normal(0.0, 2**21, g.n)
        used = np.minimum(trend + wiggle, OLD_CAPACITY - 4096)  # not yet full
        used = np.where(trend >= OLD_CAPACITY, OLD_CAPACITY, used)  # full: writes fail, stays full
        used = np.where(resized, np.minimum(trend + wiggle, NEW_CAPACITY), used)
        used = np.floor(used / 4096) * 4096
        shapes.append(Shape("pvc_used_bytes", {"namespace": "redis", "persistentvolumeclaim": pvc}, used, digits=0))
    return shapes


def pod_restarts(rng: np.random.Generator, g: Grid) -> list[Shape]:
    """Restarts per hour per Redis pod: a rare 1, then the storm of ``RESTART_STORM`` (08:10-08:50)."""
    storm = g.pos(RESTART_STORM)  # the 09:00 sample covers 08:00-09:00
    shapes = []
    for i in range(3):
        count = (rng.random(g.n) < 0.0005).astype(float)
        count[storm] = rng.integers(3, 7)
        count[storm + 1] = rng.integers(0, 2)
        shapes.append(Shape("pod_restarts", {"namespace": "redis", "pod": f"redis-{i}"}, count, digits=0))
    return shapes


def backend_memory(rng: np.random.Generator, g: Grid) -> list[Shape]:
    """Working set of the leaking backend: climbs to the 2 GiB limit at ``OOM``, restarts at ~0.9 GiB."""
    labels = {"namespace": "shop", "pod": "backend-7d9f", "container": "backend"}
    oom = g.pos(OOM)  # the 09:00 sample is the hour's maximum: the limit
    slope = (0.975 * MEMORY_LIMIT - 1.1 * GIB) / (seconds(OOM) - seconds(START))
    age = np.where(np.arange(g.n) < oom, g.seconds - seconds(START), g.seconds - seconds(OOM))
    level = np.where(np.arange(g.n) < oom, 1.1 * GIB, 0.9 * GIB) + slope * age
    memory = level * daily(g, 0.01, 15.0) * (1.0 + ar1(rng, g.n, 0.7, 0.003))
    memory = np.minimum(memory, MEMORY_LIMIT - 2**21)
    memory[oom] = MEMORY_LIMIT
    memory = np.floor(memory / 4096) * 4096
    limit = np.full(g.n, float(MEMORY_LIMIT))
    return [
        Shape("backend_memory_bytes", labels, memory, digits=0),
        Shape("backend_memory_limit_bytes", dict(labels), limit, digits=0),
    ]
