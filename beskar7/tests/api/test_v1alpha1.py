"""The v1alpha1 -> v1beta1 mapping, object by object."""

from beskar7.api.v1alpha1 import ALPHA, BETA, convert

IMAGE = "http://boot.example.com/inspector/"


def test_a_machine_template_is_converted_inside_its_template() -> None:
    done = convert(
        {
            "apiVersion": ALPHA,
            "kind": "Beskar7MachineTemplate",
            "metadata": {"name": "workers"},
            "spec": {
                "template": {
                    "spec": {
                        "inspectionImage": IMAGE,
                        "imageURL": "http://images/target.tar.gz",
                        "configURL": "http://images/talos.yaml",
                        "osFamily": "talos",
                        "provisioningMode": "RemoteConfig",
                    }
                }
            },
        }
    )

    assert done.obj["apiVersion"] == BETA
    assert done.obj["spec"]["template"]["spec"] == {
        "inspectionImage": IMAGE,
        "targetOSImage": "http://images/target.tar.gz",
        "configurationURL": "http://images/talos.yaml",
        "osFamily": "talos",
    }
    assert "spec.template.spec.configURL -> spec.template.spec.configurationURL" in done.notes
    assert done.problems == []
    assert not any("ISO" in note for note in done.notes)  # a tar.gz target carries over


def test_status_is_dropped_and_an_unknown_family_or_mode_is_named() -> None:
    done = convert(
        {
            "apiVersion": ALPHA,
            "kind": "Beskar7Machine",
            "metadata": {"name": "m"},
            "spec": {
                "inspectionImage": IMAGE,
                "imageURL": "http://images/k.tar.gz",
                "osFamily": "ubuntu",
                "provisioningMode": "Magic",
            },
            "status": {"phase": "Provisioned"},
        }
    )

    assert "status" not in done.obj
    assert "status: dropped (the controllers rebuild it)" in done.notes
    assert any(n.startswith("spec.osFamily ubuntu: not one of cloud-init,") for n in done.notes)
    assert any(n.startswith("spec.provisioningMode Magic: unknown mode") for n in done.notes)
    assert done.problems and done.problems[0].startswith("spec.osFamily")


def test_a_cluster_only_changes_its_api_version() -> None:
    spec = {"controlPlaneEndpoint": {"host": "10.0.0.10", "port": 6443}}
    done = convert(
        {"apiVersion": ALPHA, "kind": "Beskar7Cluster", "metadata": {"name": "c"}, "spec": spec}
    )

    assert done.obj == {
        "apiVersion": BETA, "kind": "Beskar7Cluster", "metadata": {"name": "c"}, "spec": spec
    }  # fmt: skip
    assert done.problems == []


def test_the_input_is_never_modified() -> None:
    given = {"apiVersion": ALPHA, "kind": "Beskar7Machine", "metadata": {"name": "m"},
             "spec": {"configURL": "http://c"}}  # fmt: skip
    convert(given)
    assert given["spec"] == {"configURL": "http://c"}
