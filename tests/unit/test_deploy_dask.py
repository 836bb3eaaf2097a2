"""deploy/dask/ hangs together: a scheduler the Service reaches, workers and the CronJob pointing at
that Service's port, every pod from the slowburn image, the patched CronJob a valid `slowburn run`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from detector.cli import build_parser
from detector.configuration.dask_address import parse_dask_address

ROOT = Path(__file__).resolve().parents[2]
DASK = ROOT / "deploy" / "dask"
K8S_VERSION = "1.30.0"


def documents(name: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all((DASK / name).read_text()) if doc is not None]


def one(name: str, kind: str) -> dict:
    (doc,) = [d for d in documents(name) if d["kind"] == kind]
    return doc


def container(name: str) -> dict:
    (main,) = one(name, "Deployment")["spec"]["template"]["spec"]["containers"]
    return main


def cronjob_args() -> list[str]:
    (patched,) = one("cronjob-executor.yaml", "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    return patched["args"]


def base_cronjob_container() -> dict:
    doc = yaml.safe_load((ROOT / "deploy" / "cronjob.yaml").read_text())
    (main,) = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    return main


def scheduler_port() -> int:
    (port,) = one("scheduler.yaml", "Service")["spec"]["ports"]
    return int(port["port"])


def test_the_scheduler_and_workers_validate_against_the_kubernetes_schema():
    validator = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate (offline k8s JSON schemas) is not installed")
    for name in ("scheduler.yaml", "workers.yaml"):
        for doc in documents(name):
            validator.validate(doc, K8S_VERSION, strict=True)


def test_the_component_lists_existing_files_and_deploy_names_it_to_enable():
    component = yaml.safe_load((DASK / "kustomization.yaml").read_text())
    assert component["kind"] == "Component"
    assert all((DASK / name).is_file() for name in component["resources"])
    assert all((DASK / patch["path"]).is_file() for patch in component["patches"])
    assert "# components: [dask]" in (ROOT / "deploy" / "kustomization.yaml").read_text()


def kustomized(tmp_path: Path, components: str) -> list[dict]:
    """``deploy/`` built by the real ``kubectl kustomize`` with ``components: [COMPONENTS]`` switched on (skip without kubectl)."""
    import shutil
    import subprocess

    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (kustomize) is not installed")
    copy = shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    kustomization = copy / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("# components: [dask]", f"components: [{components}]"))
    built = subprocess.run([kubectl, "kustomize", str(copy)], capture_output=True, text=True, timeout=120, check=True).stdout
    return [doc for doc in yaml.safe_load_all(built) if doc]


def test_with_the_component_enabled_kustomize_gives_the_cronjob_the_executor(tmp_path):
    docs = kustomized(tmp_path, "dask")
    (cronjob,) = [doc for doc in docs if doc["kind"] == "CronJob"]
    (main,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert main["args"] == cronjob_args() and main["volumeMounts"] == base_cronjob_container()["volumeMounts"]
    names = {(doc["kind"], doc["metadata"]["name"]) for doc in docs}
    assert {
        ("Deployment", "slowburn-dask-scheduler"),
        ("Service", "slowburn-dask-scheduler"),
        ("Deployment", "slowburn-dask-worker"),
    } <= names


def test_the_patched_cronjob_is_the_base_run_with_an_executor_at_the_scheduler_service():
    args = build_parser().parse_args(cronjob_args())
    base = build_parser().parse_args(base_cronjob_container()["args"])
    assert args.command == base.command == "run" and args.config == base.config
    address = parse_dask_address(args.executor, "dask")
    assert address.host == one("scheduler.yaml", "Service")["metadata"]["name"]
    assert address.port == scheduler_port()
    (patched,) = one("cronjob-executor.yaml", "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert patched["name"] == base_cronjob_container()["name"]  # the strategic merge replaces that container's args


def test_the_workers_connect_to_the_scheduler_service_single_threaded():
    command = container("workers.yaml")["command"]
    assert command[:2] == ["dask", "worker"]
    address = parse_dask_address(command[2], "tcp")
    assert (address.host, address.port) == (one("scheduler.yaml", "Service")["metadata"]["name"], scheduler_port())
    assert command[command.index("--nthreads") + 1] == "1"


def test_the_scheduler_listens_on_the_port_the_service_targets():
    command = container("scheduler.yaml")["command"]
    assert command[:2] == ["dask", "scheduler"]
    (declared,) = container("scheduler.yaml")["ports"]
    assert int(command[command.index("--port") + 1]) == declared["containerPort"]
    (port,) = one("scheduler.yaml", "Service")["spec"]["ports"]
    assert port["targetPort"] in (declared["name"], declared["containerPort"])
    service, deployment = one("scheduler.yaml", "Service"), one("scheduler.yaml", "Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in service["spec"]["selector"].items())


@pytest.mark.parametrize("name", ["scheduler.yaml", "workers.yaml"])
def test_dask_pods_run_the_slowburn_image_as_non_root_on_a_read_only_root_with_limits(name):
    main = container(name)
    assert main["image"] == base_cronjob_container()["image"]  # client, scheduler and workers: the same versions
    assert main["securityContext"]["readOnlyRootFilesystem"] is True and main["securityContext"]["allowPrivilegeEscalation"] is False
    spec = one(name, "Deployment")["spec"]["template"]["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True and spec["automountServiceAccountToken"] is False
    assert main["resources"]["limits"]["memory"] and main["resources"]["requests"]["cpu"]
    assert any(mount["mountPath"] == "/tmp" for mount in main["volumeMounts"])


def test_the_image_installs_the_dask_extra_the_scheduler_and_workers_need():
    import tomllib

    assert "'.[dask]'" in (ROOT / "deploy" / "Dockerfile").read_text()
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(requirement.startswith("distributed") for requirement in extras["dask"])
