"""The Kubernetes client rate limits (QPS, burst) a container runs with: its flags, else a versioned
table of the defaults built into known images.

Every row cites the source file it was read from. client-go's own ``rest.Config`` defaults (5 QPS,
burst 10) apply to any client that never sets them; components override them with their own flag
defaults, and those changed between releases (VPA: 5/10 until 1.5.0, 50/100 from 1.5.0).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

Version = tuple[int, int, int]


@dataclass(frozen=True)
class ClientDefault:
    """One row: a component's built-in QPS/burst for image versions in ``[since, until)``."""

    component: str
    images: tuple[str, ...]  # upstream repositories; other registries match by the last path segment
    qps: float
    burst: float
    qps_flag: str = "--kube-api-qps"
    burst_flag: str = "--kube-api-burst"
    since: Version | None = None  # first version the row applies to (inclusive); None: every earlier one
    until: Version | None = None  # first version it no longer applies to; None: the newest row
    source: str = ""  # repository, path and commit the numbers were read from
    note: str = ""  # what a reader should know, e.g. that a later release raised them


def _vpa(component: str) -> tuple[str, ...]:
    return (f"registry.k8s.io/autoscaling/{component}", f"k8s.gcr.io/autoscaling/{component}", f"k8s.gcr.io/{component}")


_VPA_BEFORE_1_5 = (
    "kubernetes/autoscaler vertical-pod-autoscaler/common/flags.go@f04e43be3b4b7591601c8623283828f24d7c746d "
    "(InitCommonFlags: kube-api-qps 5.0, kube-api-burst 10.0; the per-component main.go flags of 0.x-1.2 "
    "said the same, and the oldest admission controller used rest.InClusterConfig, i.e. client-go's 5/10)"
)
_VPA_NOTE = "the client-go defaults, raised to 50/100 in VPA 1.5.0"
_VPA_FROM_1_5 = (
    "kubernetes/autoscaler vertical-pod-autoscaler/common/flags.go@3842ec3dd6c90bdfb8adec45ff9c49a0a8a55ef9 "
    "(DefaultCommonConfig: KubeApiQps 50.0, KubeApiBurst 100.0); docs/flags.md@019d633bf924c248429bf2bbb7376acb201716a7 "
    "(release 1.5.1: kube-api-qps 50, kube-api-burst 100)"
)

# client-go: kubernetes/kubernetes staging/src/k8s.io/client-go/rest/config.go@047855f98056652ec3c6686797663462dfb1733b,
# `DefaultQPS float32 = 5.0`, `DefaultBurst int = 10`, used when Config.QPS/Burst are zero (unchanged in later releases).
CLIENT_GO = ClientDefault(
    "client-go",
    (),
    5.0,
    10.0,
    source="kubernetes/kubernetes staging/src/k8s.io/client-go/rest/config.go"
    "@047855f98056652ec3c6686797663462dfb1733b (DefaultQPS 5.0, DefaultBurst 10)",
)

TABLE: tuple[ClientDefault, ...] = (
    # VPA < 1.5.0: client-go's 5/10 -- kubernetes/autoscaler vertical-pod-autoscaler/common/flags.go@f04e43be (see _VPA_BEFORE_1_5)
    ClientDefault(
        "vpa-admission-controller",
        _vpa("vpa-admission-controller"),
        CLIENT_GO.qps,
        CLIENT_GO.burst,
        until=(1, 5, 0),
        source=_VPA_BEFORE_1_5,
        note=_VPA_NOTE,
    ),
    ClientDefault(
        "vpa-recommender", _vpa("vpa-recommender"), CLIENT_GO.qps, CLIENT_GO.burst, until=(1, 5, 0), source=_VPA_BEFORE_1_5, note=_VPA_NOTE
    ),
    ClientDefault(
        "vpa-updater", _vpa("vpa-updater"), CLIENT_GO.qps, CLIENT_GO.burst, until=(1, 5, 0), source=_VPA_BEFORE_1_5, note=_VPA_NOTE
    ),
    # VPA >= 1.5.0: 50/100 -- kubernetes/autoscaler vertical-pod-autoscaler/common/flags.go@3842ec3d (see _VPA_FROM_1_5)
    ClientDefault("vpa-admission-controller", _vpa("vpa-admission-controller"), 50.0, 100.0, since=(1, 5, 0), source=_VPA_FROM_1_5),
    ClientDefault("vpa-recommender", _vpa("vpa-recommender"), 50.0, 100.0, since=(1, 5, 0), source=_VPA_FROM_1_5),
    ClientDefault("vpa-updater", _vpa("vpa-updater"), 50.0, 100.0, since=(1, 5, 0), source=_VPA_FROM_1_5),
    # kube-controller-manager 20/30 -- kubernetes/kubernetes pkg/controller/apis/config/v1alpha1/defaults.go@025959b7
    # (SetDefaults_KubeControllerManagerConfiguration: ClientConnection.QPS 20.0, Burst 30)
    ClientDefault(
        "kube-controller-manager",
        ("registry.k8s.io/kube-controller-manager", "k8s.gcr.io/kube-controller-manager"),
        20.0,
        30.0,
        source="kubernetes/kubernetes pkg/controller/apis/config/v1alpha1/defaults.go"
        "@025959b73c0a2d8e213d947c9fbb940260bb605c (ClientConnection.QPS 20.0, Burst 30)",
    ),
    # kube-scheduler 50/100 -- kubernetes/kubernetes pkg/scheduler/apis/config/v1/defaults.go@00fe7a37
    # (SetDefaults_KubeSchedulerConfiguration: ClientConnection.QPS 50.0, Burst 100; a --config file's clientConnection wins)
    ClientDefault(
        "kube-scheduler",
        ("registry.k8s.io/kube-scheduler", "k8s.gcr.io/kube-scheduler"),
        50.0,
        100.0,
        source="kubernetes/kubernetes pkg/scheduler/apis/config/v1/defaults.go@00fe7a377bc3c858548409173dff587de03d455c "
        "(ClientConnection.QPS 50.0, Burst 100)",
    ),
)


@dataclass(frozen=True)
class ClientSetting:
    """One rate limit of one container: ``source`` is ``flag`` or ``default``."""

    value: float
    source: str
    detail: str


@dataclass(frozen=True)
class ClientLimits:
    """What a container's client runs with; ``component``/``version`` are empty for an unknown image
    that only names the generic flags."""

    qps: ClientSetting | None
    burst: ClientSetting | None
    component: str
    version: str
    problems: tuple[str, ...] = ()


def split_image(image: str) -> tuple[str, str | None]:
    """``registry:5000/repo/name:tag@sha256:...`` -> (``registry:5000/repo/name``, ``tag`` or None)."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1 :]
    return name, None


def parse_version(tag: str | None) -> Version | None:
    """``v1.2.0``, ``1.2``, ``1.29.3-gke.1`` -> (1, 2, 0), (1, 2, 0), (1, 29, 3); ``latest``/None -> None."""
    match = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:$|[-+._])", tag or "")
    if match is None:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


def lookup(image: str, table: Sequence[ClientDefault] = TABLE) -> tuple[ClientDefault, str] | None:
    """The row for ``image`` and a sentence on how it was chosen, or None for an image not in the table.

    An unparsable tag (``latest``, a digest only) takes the component's newest row and says so."""
    repository, tag = split_image(image)
    basename = repository.rsplit("/", 1)[-1]
    rows = [row for row in table if repository in row.images] or [
        row for row in table if basename in {known.rsplit("/", 1)[-1] for known in row.images}
    ]
    if not rows:
        return None
    version = parse_version(tag)
    if version is None:
        newest = max(rows, key=lambda row: row.since or (0, 0, 0))
        shown = f"tag {tag!r} is not a version" if tag else "image has no tag"
        return newest, f"{newest.component}: {shown}, assumed the newest defaults, {_built_in(newest)}"
    for row in rows:
        if (row.since is None or version >= row.since) and (row.until is None or version < row.until):
            return row, f"{row.component} {tag}: {_built_in(row)}"
    return None


def client_limits(image: str, argv: Sequence[str], table: Sequence[ClientDefault] = TABLE) -> ClientLimits | None:
    """The QPS and burst a container runs with: each from its flag when given, else the table's default.

    ``argv`` is the container's ``command`` followed by its ``args``. A container whose image is not in
    the table counts only when it names ``--kube-api-qps``/``--kube-api-burst`` itself (its unset one stays
    None). Returns None for a container that is neither."""
    found = lookup(image, table)
    row, how = found if found is not None else (ClientDefault("", (), 0.0, 0.0), "")
    words = _words(argv)
    given_qps, given_burst = _flag(words, row.qps_flag), _flag(words, row.burst_flag)
    if found is None and given_qps is None and given_burst is None:
        return None
    if found is not None and _flag(words, "--config") is not None:
        how += "; its --config file may set other values (not read)"
    problems: list[str] = []
    qps = _setting(given_qps, row.qps_flag, row.qps if found else None, how, problems)
    burst = _setting(given_burst, row.burst_flag, row.burst if found else None, how, problems)
    tag = split_image(image)[1] or ""
    return ClientLimits(qps, burst, row.component, tag, tuple(problems))


def _setting(given: str | None, flag: str, default: float | None, how: str, problems: list[str]) -> ClientSetting | None:
    if given is not None:
        try:
            value = float(given)
        except ValueError:
            problems.append(f"{flag}={given!r} is not a number")
        else:
            return ClientSetting(value, "flag", f"{flag}={given}")
    if default is None:
        return None
    return ClientSetting(default, "default", f"{how}; {flag} not set")


def _words(argv: Sequence[str]) -> list[str]:
    """Tokens of command and args; a token holding a shell line (``sh -c "... --kube-api-qps=5"``) is split."""
    words: list[str] = []
    for token in argv:
        text = str(token)
        if any(ch.isspace() for ch in text):
            try:
                words.extend(shlex.split(text))
                continue
            except ValueError:
                pass
        words.append(text)
    return words


def _flag(words: Sequence[str], flag: str) -> str | None:
    """The last value given for ``flag`` (Go's flag packages: ``--f=v``, ``--f v``, ``-f=v``, ``-f v``)."""
    bare = flag.lstrip("-")
    value = None
    for i, word in enumerate(words):
        if not word.startswith("-") or word.lstrip("-") == "":
            continue
        name, eq, rest = word.lstrip("-").partition("=")
        if name != bare:
            continue
        if eq:
            value = rest
        elif i + 1 < len(words):
            value = words[i + 1]
    return value


def _built_in(row: ClientDefault) -> str:
    """'built-in 5/10 before 1.5.0, the client-go defaults, ...'."""
    if row.since and row.until:
        versions = f" from {_dotted(row.since)} to before {_dotted(row.until)}"
    elif row.since:
        versions = f" from {_dotted(row.since)}"
    elif row.until:
        versions = f" before {_dotted(row.until)}"
    else:
        versions = ""
    return f"built-in {row.qps:g}/{row.burst:g}{versions}" + (f", {row.note}" if row.note else "")


def _dotted(version: Version) -> str:
    return ".".join(str(part) for part in version)
