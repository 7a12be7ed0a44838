"""kubectl from the npm package: where it is kept, and kustomize's errors."""

from pathlib import Path

import pytest

from deploy import kubectl


def test_it_is_found_only_once_fetched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METALFLEET_CACHE", str(tmp_path))
    assert kubectl.find() is None
    kubectl.target().parent.mkdir(parents=True)
    kubectl.target().write_bytes(b"")
    assert kubectl.find() == tmp_path / "kubectl-v35" / "kubectl"


def test_a_broken_kustomization_is_an_error_with_kustomizes_message(tmp_path: Path) -> None:
    binary = kubectl.find()
    if binary is None:
        pytest.skip("kubectl not fetched: make kubectl")
    (tmp_path / "kustomization.yaml").write_text("resources:\n- missing.yaml\n")
    with pytest.raises(ValueError, match=r"missing\.yaml"):
        kubectl.kustomize(tmp_path, binary)
