"""The deployment files hang together: image, manifests, the config inside them and the CLI they call."""

import re
import shlex
from pathlib import Path

import pytest
import yaml

from detector.cli import build_parser
from detector.configuration.durations import parse_duration
from detector.configuration.schema import Config
from detector.service.live import state_path_for

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
MANIFESTS = ["serviceaccount.yaml", "secret.yaml", "configmap.yaml", "pvc.yaml", "cronjob.yaml", "deployment.yaml", "rbac-limits.yaml"]
K8S_VERSION = "1.30.0"


def documents(name):
    return [doc for doc in yaml.safe_load_all((DEPLOY / name).read_text()) if doc is not None]


def one(name, kind):
    (doc,) = [d for d in documents(name) if d["kind"] == kind]
    return doc


def slowburn_config():
    text = one("configmap.yaml", "ConfigMap")["data"]["config.yaml"]
    return Config.model_validate(yaml.safe_load(text))


def pod_spec(kind):
    if kind == "CronJob":
        return one("cronjob.yaml", "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return one("deployment.yaml", "Deployment")["spec"]["template"]["spec"]


def container(kind):
    (main,) = pod_spec(kind)["containers"]
    return main


def mounts(kind):
    """mountPath -> the volume's source (configMap / secret / persistentVolumeClaim / emptyDir) and name."""
    volumes = {v["name"]: v for v in pod_spec(kind)["volumes"]}
    out = {}
    for mount in container(kind)["volumeMounts"]:
        volume = volumes[mount["name"]]
        (source,) = [k for k in volume if k != "name"]
        out[mount["mountPath"]] = (source, volume[source], mount.get("readOnly", False))
    return out


def test_every_manifest_is_yaml_with_a_kind_and_a_name():
    for name in MANIFESTS:
        for doc in documents(name):
            assert doc["apiVersion"] and doc["kind"] and doc["metadata"]["name"], name


def test_every_manifest_validates_against_the_kubernetes_schema():
    validator = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate (offline k8s JSON schemas) is not installed")
    for name in MANIFESTS:
        for doc in documents(name):
            validator.validate(doc, K8S_VERSION, strict=True)


def test_the_config_in_the_configmap_is_a_valid_slowburn_config_with_every_live_endpoint():
    config = slowburn_config()
    assert config.prometheus and config.alertmanager and config.pushgateway and config.store
    assert config.workers >= 1  # 0 would mean one process per core of the node


def test_the_configmap_signals_are_the_default_catalog_signals_unchanged():
    catalog = {s.name: s for s in Config.model_validate(yaml.safe_load((ROOT / "config" / "default.yaml").read_text())).signals}
    for signal in slowburn_config().signals:
        assert signal.name in catalog, signal.name
        reference = catalog[signal.name]
        assert (signal.query, signal.ceiling, signal.censor_at, signal.horizon) == (
            reference.query,
            reference.ceiling,
            reference.censor_at,
            reference.horizon,
        ), signal.name
        assert set(signal.drivers) <= set(reference.drivers), signal.name


def test_the_cronjob_never_overlaps_and_keeps_a_bounded_history():
    spec = one("cronjob.yaml", "CronJob")["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert 0 < spec["startingDeadlineSeconds"] <= 3600
    assert 1 <= spec["successfulJobsHistoryLimit"] <= 10 and 1 <= spec["failedJobsHistoryLimit"] <= 10


def test_the_cronjob_runs_on_the_schedule_the_config_uses_for_alert_lifetimes():
    assert one("cronjob.yaml", "CronJob")["spec"]["schedule"] == slowburn_config().schedule.cron


@pytest.mark.parametrize("kind", ["CronJob", "Deployment"])
def test_pods_run_as_non_root_on_a_read_only_root_with_limits(kind):
    assert pod_spec(kind)["securityContext"]["runAsNonRoot"] is True
    security = container(kind)["securityContext"]
    assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
    resources = container(kind)["resources"]
    assert resources["requests"]["cpu"] and resources["requests"]["memory"] and resources["limits"]["memory"]
    assert slowburn_config().workers <= float(resources["limits"]["cpu"])


@pytest.mark.parametrize("kind", ["CronJob", "Deployment"])
def test_everything_slowburn_writes_is_on_a_writable_volume(kind):
    config = slowburn_config()
    writable = [
        path for path, (source, _, read_only) in mounts(kind).items() if source in ("persistentVolumeClaim", "emptyDir") and not read_only
    ]
    written = [config.store.path, str(state_path_for(config, None, {})), "/tmp/x"]
    for path in written:
        assert any(path.startswith(mount.rstrip("/") + "/") for mount in writable), path
    (history,) = [spec for source, spec, _ in mounts(kind).values() if source == "persistentVolumeClaim"]
    assert history["claimName"] == one("pvc.yaml", "PersistentVolumeClaim")["metadata"]["name"]


@pytest.mark.parametrize("kind", ["CronJob", "Deployment"])
def test_the_config_and_the_token_file_are_mounted_where_the_command_and_the_config_expect_them(kind):
    table = mounts(kind)
    args = build_parser().parse_args(container(kind)["args"])
    config_dir, config_file = str(Path(args.config).parent), Path(args.config).name
    source, spec, _ = table[config_dir]
    assert source == "configMap" and spec["name"] == one("configmap.yaml", "ConfigMap")["metadata"]["name"]
    assert config_file in one("configmap.yaml", "ConfigMap")["data"]
    token = Path(slowburn_config().prometheus.bearer_token_file)
    source, spec, read_only = table[str(token.parent)]
    secret = one("secret.yaml", "Secret")
    assert source == "secret" and spec["secretName"] == secret["metadata"]["name"] and read_only
    assert token.name in secret["stringData"]


def test_the_serve_deployment_probes_healthz_on_the_port_it_listens_on_and_outlives_its_shutdown_timeout():
    deployment = one("deployment.yaml", "Deployment")
    main = container("Deployment")
    args = build_parser().parse_args(main["args"])
    assert args.command == "serve"
    port = int((args.listen or slowburn_config().schedule.listen).rpartition(":")[2])
    (declared,) = main["ports"]
    assert declared["containerPort"] == port
    assert main["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert main["readinessProbe"]["httpGet"]["port"] in (port, declared["name"])
    assert main["livenessProbe"]["httpGet"]["port"] in (port, declared["name"])
    assert pod_spec("Deployment")["terminationGracePeriodSeconds"] > parse_duration(args.shutdown_timeout)
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"]["type"] == "Recreate"
    service = one("deployment.yaml", "Service")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in service["spec"]["selector"].items())
    assert all(labels.get(k) == v for k, v in deployment["spec"]["selector"]["matchLabels"].items())


def test_the_kustomization_lists_existing_files_and_exactly_one_of_cronjob_and_deployment():
    resources = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())["resources"]
    assert all((DEPLOY / name).is_file() for name in resources)
    assert ("cronjob.yaml" in resources) != ("deployment.yaml" in resources)
    assert {"serviceaccount.yaml", "secret.yaml", "configmap.yaml", "pvc.yaml"} <= set(resources)


def dockerfile():
    lines = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
        for line in lines
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_the_limits_cluster_role_grants_list_on_exactly_the_resources_the_live_reader_lists():
    from detector.limits.cluster import RESOURCES

    role = one("rbac-limits.yaml", "ClusterRole")
    granted = {(group, resource) for rule in role["rules"] for group in rule["apiGroups"] for resource in rule["resources"]}
    assert granted == {(r.group, r.resource) for r in RESOURCES}
    for rule in role["rules"]:
        assert rule["verbs"] == ["list"]  # read-only, and not even get or watch
        assert set(rule) == {"apiGroups", "resources", "verbs"}  # no resourceNames, no nonResourceURLs


def test_the_limits_cluster_role_is_bound_to_the_service_account_the_pods_run_as():
    role = one("rbac-limits.yaml", "ClusterRole")
    binding = one("rbac-limits.yaml", "ClusterRoleBinding")
    account = one("serviceaccount.yaml", "ServiceAccount")["metadata"]["name"]
    namespace = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())["namespace"]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role["metadata"]["name"]}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account, "namespace": namespace}]
    assert pod_spec("CronJob")["serviceAccountName"] == pod_spec("Deployment")["serviceAccountName"] == account


def test_the_image_is_python_311_slim_installs_the_package_and_runs_as_a_non_root_user():
    instructions = dockerfile()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(arg for op, arg in instructions if op == "RUN")
    assert re.search(r"pip install (--\S+ )*'?\.(\[[\w,]+\])?'?( |$)", runs)  # the package, with extras
    (user,) = [arg for op, arg in instructions if op == "USER"]
    assert user.split(":")[0] not in ("root", "0")
    env = " ".join(arg for op, arg in instructions if op == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert [arg for op, arg in instructions if op == "ENTRYPOINT"] == ['["slowburn"]']
    cmd = [arg for op, arg in instructions if op == "CMD"][0]
    build_parser().parse_args(yaml.safe_load(cmd))  # the default command is a valid one


def test_the_image_only_writes_bytecode_at_build_time_before_the_root_becomes_read_only():
    instructions = dockerfile()
    install = max(i for i, (op, arg) in enumerate(instructions) if op == "RUN" and "pip install" in arg)
    no_bytecode = min(i for i, (op, arg) in enumerate(instructions) if op == "ENV" and "PYTHONDONTWRITEBYTECODE=1" in arg)
    user = [i for i, (op, _) in enumerate(instructions) if op == "USER"][0]
    assert install < no_bytecode and install < user


def test_every_file_the_image_copies_exists_in_the_repository():
    for op, arg in dockerfile():
        if op == "COPY" and not arg.startswith("--from"):
            *sources, _ = shlex.split(arg)
            for source in sources:
                assert (ROOT / source).exists(), f"Dockerfile copies {source}, which is not in the repository"


def test_pip_install_puts_every_package_of_the_cli_into_the_image():
    from fnmatch import fnmatch

    import tomllib

    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    if isinstance(packages, dict):  # [tool.setuptools.packages.find]
        patterns = packages["find"].get("include", ["*"])
        installed = lambda name: any(fnmatch(name, pattern) for pattern in patterns)  # noqa: E731
    else:
        installed = lambda name: name in packages  # noqa: E731
    copied = {arg.split()[0] for op, arg in dockerfile() if op == "COPY" and not arg.startswith("--from")}
    for top in ("detector", "models"):
        assert top in copied
        for init in (ROOT / top).rglob("__init__.py"):
            package = ".".join(init.parent.relative_to(ROOT).parts)
            assert installed(package), f"pyproject.toml does not install {package}"


def test_the_liveness_probe_restarts_only_a_wedged_or_stale_pod_and_the_deadlines_fit_inside_the_schedule():
    from prometheus_client import CollectorRegistry

    from detector.service.http_server import Health, LastRun, make_app
    from detector.service.schedule import check_live_config, cron_interval, run_deadline

    main = container("Deployment")
    path = main["livenessProbe"]["httpGet"]["path"]
    clock = [0.0]
    health = Health(grace_seconds=60, stale_after=3600, monotonic=lambda: clock[0])
    app = make_app(CollectorRegistry(), health)
    statuses = []
    health.record(LastRun("OK", True, 0.0, 1.0))
    clock[0] = 60
    health.record(LastRun("SOURCE", False, 60.0, 1.0))  # one failed run: alive
    app({"PATH_INFO": path}, lambda status, headers: statuses.append(status))
    clock[0] = 3601  # no success for longer than the limit: restart
    app({"PATH_INFO": path}, lambda status, headers: statuses.append(status))
    assert [s.split()[0] for s in statuses] == ["200", "503"]
    config = slowburn_config()
    check_live_config(config, "deploy/configmap.yaml")
    assert config.prometheus.query_deadline < run_deadline(config) < cron_interval(config.schedule.cron)
