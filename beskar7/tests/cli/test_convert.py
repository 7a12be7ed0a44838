"""`beskar7 convert` on the README seed's v1alpha1 manifests, and `apply` pointing to it."""

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from beskar7.cli.main import main

DATA = Path(__file__).parent / "data"
ALPHA = DATA / "readme-v1alpha1.yaml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_readme_manifests_convert_to_the_golden_v1beta1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "convert", "-f", str(ALPHA))

    assert out == (DATA / "readme-v1beta1.yaml").read_text()
    assert code == 1  # inspectionImage has no v1alpha1 counterpart
    assert "2 of 4 object(s) need a hand edit before apply" in err


def test_each_object_says_what_could_not_carry_over(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(capsys, "convert", "-f", str(ALPHA))
    prebaked = err[err.index("Beskar7Machine/node-01:") : err.index("Beskar7Machine/node-02:")]
    remote = err[err.index("Beskar7Machine/node-02:") :]

    assert "Secret/my-bmc-credentials:\n  - not v1alpha1: unchanged" in err
    assert (
        "PhysicalHost/server-01:\n  - apiVersion: infrastructure.cluster.x-k8s.io/v1alpha1" in err
    )
    assert (
        "provisioningMode PreBakedISO: cannot carry over: virtual-media ISO boot was " in prebaked
    )
    assert "removed upstream in v0.4" in prebaked
    assert "provisioningMode RemoteConfig: dropped" in remote
    assert "spec.configURL -> spec.configurationURL" in remote
    for block in (prebaked, remote):
        assert "spec.imageURL -> spec.targetOSImage" in block
        assert "spec.osFamily kairos: kept" in block
        assert "! before apply: spec.inspectionImage: required" in block


def test_converted_manifests_apply_once_the_inspection_image_is_set(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    yaml = YAML(typ="safe")
    converted = list(yaml.load_all((DATA / "readme-v1beta1.yaml").read_text()))
    for obj in converted:
        if obj["kind"] == "Beskar7Machine":
            obj["spec"]["inspectionImage"] = "http://boot.example.com/inspector/"
    edited = tmp_path / "edited.yaml"
    with edited.open("w") as stream:
        yaml.dump_all(converted, stream)

    code, out, err = run(capsys, "apply", "-f", str(edited), "--store", str(tmp_path / "db"))

    assert code == 0, err
    assert out.count("created") == 4
    assert run(capsys, "convert", "-f", str(edited))[0] == 0  # nothing left to convert


def test_apply_refuses_v1alpha1_and_points_to_convert(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "apply", "-f", str(ALPHA), "--store", str(tmp_path / "db"))

    assert code == 1 and out == ""
    assert "nothing applied" in err
    assert "`beskar7 convert -f FILE` rewrites them to v1beta1" in err
    assert not (tmp_path / "db").exists() or "created" not in out


def test_convert_of_a_missing_file_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "convert", "-f", str(tmp_path / "nope.yaml"))

    assert (code, out) == (1, "")
    assert err == f"error: {tmp_path / 'nope.yaml'}: no such file\n"
