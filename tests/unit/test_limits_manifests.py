"""Reading manifest trees: multi-document YAML, Lists, Helm output, JSON; a bad file is one located problem."""

from pathlib import Path

import pytest

from detector.errors import ConfigError
from detector.limits.manifests import manifest_files, read_manifests

TREE = Path(__file__).parent / "manifests"


@pytest.fixture(scope="module")
def batch():
    return read_manifests(TREE)


def origins(batch):
    return {obj.ref: obj.origin for obj in batch.objects}


def test_every_yaml_yml_and_json_file_is_read_in_sorted_order_and_hidden_ones_are_not(batch):
    names = [path.relative_to(TREE).as_posix() for path in manifest_files(TREE)]
    assert names == ["broken.yaml", "helm/rendered.yaml", "list.yaml", "multi.yaml", "pvcs.json", "unknown.yaml"]
    assert not any(".hidden" in problem for problem in batch.problems)


def test_a_multi_document_file_yields_each_object_with_its_document_number(batch):
    found = origins(batch)
    assert found["Deployment/kube-system/vpa-recommender"] == f"{TREE}/multi.yaml#1"
    assert found["Service/kube-system/vpa-webhook"] == f"{TREE}/multi.yaml#3"  # document 2 is empty
    assert found["Deployment/kube-system/vpa-updater"] == f"{TREE}/multi.yaml#4"


def test_a_kubectl_list_is_expanded_into_its_items(batch):
    found = origins(batch)
    assert found["MutatingWebhookConfiguration/vpa-webhook-config"] == f"{TREE}/list.yaml#1.items[0]"
    assert found["ValidatingWebhookConfiguration/legacy-policy"] == f"{TREE}/list.yaml#1.items[1]"
    assert not any(obj.kind == "List" for obj in batch.objects)


def test_items_of_a_typed_json_list_get_the_kind_and_api_version_of_the_list(batch):
    pvcs = [obj for obj in batch.objects if obj.kind == "PersistentVolumeClaim"]
    assert [pvc.name for pvc in pvcs] == ["data-redis-0", "data-redis-1"]
    assert {pvc.body["apiVersion"] for pvc in pvcs} == {"v1"}


def test_helm_output_with_source_comments_and_empty_documents_is_read(batch):
    found = origins(batch)
    assert found["ConfigMap/cache/redis-config"] == f"{TREE}/helm/rendered.yaml#2"
    assert found["StatefulSet/cache/redis"] == f"{TREE}/helm/rendered.yaml#3"


def test_documents_without_a_kind_are_skipped_silently_and_unknown_kinds_are_kept_for_extraction(batch):
    from_unknown = [obj for obj in batch.objects if "unknown.yaml" in obj.origin]
    assert [obj.kind for obj in from_unknown] == ["VerticalPodAutoscaler"]


def test_a_malformed_file_is_one_problem_with_its_line_and_the_other_files_still_count(batch):
    assert batch.problems == (batch.problems[0],)
    assert batch.problems[0].startswith(f"{TREE}/broken.yaml:12: malformed YAML")
    assert not any("broken.yaml" in obj.origin for obj in batch.objects)
    assert len(batch.objects) == 10


def test_bodies_are_read_only(batch):
    deployment = next(obj for obj in batch.objects if obj.kind == "Deployment")
    with pytest.raises(TypeError):
        deployment.body["kind"] = "Pod"  # type: ignore[index]
    assert isinstance(deployment.body["spec"]["template"]["spec"]["containers"], tuple)


def test_malformed_json_names_its_line(tmp_path):
    (tmp_path / "bad.json").write_text('{\n  "kind": "Pod",\n  "metadata": {"name": "x",}\n}\n')
    (tmp_path / "good.yaml").write_text("kind: Pod\nmetadata: {name: y}\n")
    batch = read_manifests(tmp_path)
    assert batch.problems == (f"{tmp_path}/bad.json:3: malformed JSON: Expecting property name enclosed in double quotes (column 28)",)
    assert [obj.name for obj in batch.objects] == ["y"]


def test_an_unrendered_helm_template_is_reported_with_a_hint(tmp_path):
    (tmp_path / "deployment.yaml").write_text(
        'kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  labels: {{- include "x" . | nindent 4 }}\n'
    )
    (problem,) = read_manifests(tmp_path).problems
    assert "helm template" in problem and problem.startswith(f"{tmp_path}/deployment.yaml:")


def test_a_single_file_may_be_given_instead_of_a_directory():
    batch = read_manifests(TREE / "multi.yaml")
    assert [obj.name for obj in batch.objects] == ["vpa-recommender", "vpa-webhook", "vpa-updater"]


def test_a_missing_directory_is_a_config_error_naming_it(tmp_path):
    with pytest.raises(ConfigError, match="not found") as caught:
        read_manifests(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(caught.value)
