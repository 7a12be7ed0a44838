"""The `beskar7` command in-process: apply, get, delete, crds, and their errors."""

import json
from pathlib import Path

import pytest

from beskar7.api import crds, kinds
from beskar7.cli.main import FlagError, main, manager_options

EXAMPLES = Path(__file__).parents[2] / "examples"
CRD_DIR = Path(__file__).parents[2] / "config" / "crd" / "bases"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def store(tmp_path: Path) -> str:
    return str(tmp_path / "b7.db")


def test_apply_creates_then_reports_unchanged_then_configured(
    capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
) -> None:
    manifest = EXAMPLES / "physicalhost.yaml"
    code, out, _ = run(capsys, "apply", "-f", str(manifest), "--store", store)
    assert code == 0
    assert out.splitlines() == [
        "secrets.core/server-01-bmc created",
        "physicalhosts.infrastructure.cluster.x-k8s.io/server-01 created",
    ]
    assert run(capsys, "apply", "-f", str(manifest), "--store", store)[1].count("unchanged") == 2

    changed = tmp_path / "changed.yaml"
    changed.write_text(
        manifest.read_text().replace("insecureSkipVerify: false", "insecureSkipVerify: true")
    )
    out = run(capsys, "apply", "-f", str(changed), "--store", store)[1]
    assert "physicalhosts.infrastructure.cluster.x-k8s.io/server-01 configured" in out
    host = json.loads(run(capsys, "get", "ph", "server-01", "-o", "json", "--store", store)[1])
    assert host["spec"]["redfishConnection"]["insecureSkipVerify"] is True
    assert host["metadata"]["generation"] == 2


def test_apply_of_an_invalid_document_writes_nothing(
    capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    good = (EXAMPLES / "physicalhost.yaml").read_text()
    bad.write_text(
        good
        + "---\n"
        + good.replace("server-01\n", "server-02\n").replace("http://127.0.0.1:8000", "ftp://bmc")
    )

    code, _, err = run(capsys, "apply", "-f", str(bad), "--store", store)

    assert code == 1
    assert "spec.redfishConnection.address" in err and "nothing applied" in err
    assert "No physicalhosts found" in run(capsys, "get", "ph", "--store", store)[1]
    assert "No secrets found" in run(capsys, "get", "secrets", "--store", store)[1]


def test_apply_reports_broken_yaml_with_its_line(
    capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: x\n")
    code, _, err = run(capsys, "apply", "-f", str(broken), "--store", store)
    assert code == 1 and "broken.yaml line" in err


def test_apply_of_an_unknown_kind_names_it(
    capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
) -> None:
    odd = tmp_path / "odd.yaml"
    odd.write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
    code, _, err = run(capsys, "apply", "-f", str(odd), "--store", store)
    assert code == 1 and "Widget" in err


def test_get_prints_the_printer_columns_and_accepts_every_kind_name(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    run(capsys, "apply", "-f", str(EXAMPLES / "physicalhost.yaml"), "--store", store)
    for name in ("ph", "physicalhost", "physicalhosts", "PhysicalHost"):
        code, out, _ = run(capsys, "get", name, "--store", store)
        assert code == 0
        header, row = out.splitlines()
        assert header.split() == ["NAME", "STATE", "READY", "AGE"]
        assert row.split()[0] == "server-01"
    out = run(capsys, "get", "ph", "-A", "--store", store)[1]
    assert out.split()[:2] == ["NAMESPACE", "NAME"]
    listed = json.loads(run(capsys, "get", "secrets", "-o", "json", "--store", store)[1])
    assert listed["kind"] == "List" and listed["items"][0]["metadata"]["name"] == "server-01-bmc"
    assert (
        run(capsys, "get", "ph", "-o", "name", "--store", store)[1] == "physicalhosts/server-01\n"
    )


def test_get_selects_by_label(capsys: pytest.CaptureFixture[str], store: str) -> None:
    run(capsys, "apply", "-f", str(EXAMPLES / "physicalhost.yaml"), "--store", store)
    zone = "topology.kubernetes.io/zone"
    assert "server-01" in run(capsys, "get", "ph", "-l", f"{zone}=rack-a", "--store", store)[1]
    assert (
        "No physicalhosts" in run(capsys, "get", "ph", "-l", f"{zone}=rack-b", "--store", store)[1]
    )


def test_get_of_an_unknown_kind_or_missing_object_fails(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    code, _, err = run(capsys, "get", "gizmos", "--store", store)
    assert code == 1 and "unknown kind 'gizmos'" in err
    code, _, err = run(capsys, "get", "ph", "nope", "--store", store)
    assert code == 1 and "nope" in err


def test_delete_waits_for_finalizers_and_removes_plain_objects(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    run(capsys, "apply", "-f", str(EXAMPLES / "physicalhost.yaml"), "--store", store)
    code, out, _ = run(capsys, "delete", "secret", "server-01-bmc", "--store", store)
    assert code == 0 and out == "secrets.core/server-01-bmc deleted\n"
    assert run(capsys, "delete", "secret", "server-01-bmc", "--store", store)[0] == 1


def test_crds_prints_every_definition_and_writes_the_committed_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "crds")
    assert code == 0
    assert out.count("kind: CustomResourceDefinition") == len(kinds.OWN_KINDS)
    run(capsys, "crds", "--output-dir", str(tmp_path))
    for name in crds.generate():
        assert (tmp_path / name).read_text() == (CRD_DIR / name).read_text()


def test_components_prints_the_committed_release_file(capsys: pytest.CaptureFixture[str]) -> None:
    release = Path(__file__).parents[2] / "config" / "release" / "infrastructure-components.yaml"
    code, out, _ = run(capsys, "components")
    assert code == 0 and out == release.read_text()


def test_clusterctl_rule_manager_namespace_and_watch_filter_flags() -> None:
    """clusterctl runs providers with `--namespace` (one namespace to watch); CAPI's
    `--watch-filter` limits reconciliation to objects with the watch-filter label."""
    options = manager_options(["--namespace", "team-a", "--watch-filter", "blue"])
    assert (options.watch_namespaces, options.watch_filter) == (["team-a"], "blue")
    assert manager_options([]).watch_namespaces == [] and manager_options([]).watch_filter == ""
    with pytest.raises(FlagError):
        manager_options(["--namespace", "a", "--watch-namespaces", "b,c"])
