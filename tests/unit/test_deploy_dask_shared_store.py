"""deploy/dask/shared-store/ hangs together: the workers mount the CronJob's history claim at the
CronJob's path (a page names the store by the path the config gives), the claim is asked for as
ReadWriteMany, and the config the component's notes tell a user to add is a valid one."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from detector.configuration.schema import Config
from tests.unit.test_deploy_dask import base_cronjob_container, kustomized

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "deploy" / "dask" / "shared-store"


def _cronjob_history() -> tuple[str, str]:
    """The CronJob's history mount path and the claim behind it."""
    doc = yaml.safe_load((ROOT / "deploy" / "cronjob.yaml").read_text())
    volumes = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["volumes"]
    (mount,) = [m for m in base_cronjob_container()["volumeMounts"] if m["name"] == "history"]
    (volume,) = [v for v in volumes if v["name"] == "history"]
    return mount["mountPath"], volume["persistentVolumeClaim"]["claimName"]


def _configured_store_path() -> str:
    configmap = yaml.safe_load((ROOT / "deploy" / "configmap.yaml").read_text())
    return yaml.safe_load(configmap["data"]["config.yaml"])["store"]["path"]


def test_the_workers_mount_the_cronjobs_history_claim_where_the_cronjob_has_it():
    path, claim = _cronjob_history()
    worker = yaml.safe_load((SHARED / "workers-store.yaml").read_text())["spec"]["template"]["spec"]
    (container,) = worker["containers"]
    (mount,) = container["volumeMounts"]
    (volume,) = [v for v in worker["volumes"] if v["name"] == mount["name"]]
    assert mount["mountPath"] == path and volume["persistentVolumeClaim"]["claimName"] == claim
    assert _configured_store_path().startswith(path + "/")  # the path the pages carry is inside the mount
    assert not mount.get("readOnly", False)  # SQLite creates its -shm index beside a WAL database, even to read it


def test_the_shared_claim_is_read_write_many_and_is_the_cronjobs():
    pvc = yaml.safe_load((SHARED / "pvc-shared.yaml").read_text())
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    assert pvc["metadata"]["name"] == _cronjob_history()[1]


def test_the_config_the_component_asks_for_is_valid_and_shares_the_store():
    notes = (SHARED / "kustomization.yaml").read_text()
    block = "\n".join(line.removeprefix("#     ") for line in re.findall(r"^#     .*$", notes, flags=re.M) if "components:" not in line)
    config = Config.model_validate({"signals": [{"name": "x", "query": "x"}], **yaml.safe_load(block)})
    assert config.executor.dask is not None and config.executor.dask.shares_store is True


def test_with_both_components_kustomize_gives_the_workers_the_store_and_the_cronjob_its_executor(tmp_path):
    docs = kustomized(tmp_path, "dask, dask/shared-store")
    (workers,) = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "slowburn-dask-worker"]
    (worker,) = workers["spec"]["template"]["spec"]["containers"]
    assert {m["mountPath"] for m in worker["volumeMounts"]} == {"/tmp", _cronjob_history()[0]}
    assert workers["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True  # merged, not replaced
    (pvc,) = [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"] and pvc["spec"]["resources"]["requests"]["storage"]
