"""iPXE rendering, without HTTP: script shape, kernel parameters, BOOTIF, the 4096-byte cap and
values that try to smuggle in parameters or commands."""

import dataclasses

import pytest

from beskar7.callback.boot import (
    MAX_CMDLINE_BYTES,
    BootParams,
    RenderError,
    bootif,
    dhcp_script,
    kernel_parameters,
    normalize_mac,
    path_url,
    render_boot_script,
    waiting_script,
)

RETRY = "http://10.0.2.2:8082/api/v1/boot/lab/h1"
TOKEN = "A" * 43


def params(**overrides: object) -> BootParams:
    values: dict[str, object] = {
        "api": "http://10.0.2.2:8082",
        "token": TOKEN,
        "namespace": "lab",
        "host": "h1",
        "inspection_image": "http://images.lab/inspector/",
        "target": "http://images.lab/kairos.tar.gz",
        "timeout": 600,
        "console": "console=tty0 console=ttyS0,115200",
        "config": "http://images.lab/config.yaml",
        "os_family": "kairos",
        "mac": "52:54:00:aa:bb:01",
    }
    values.update(overrides)
    return BootParams(**values)  # type: ignore[arg-type]


def kernel_line(script: str) -> list[str]:
    line = next(x for x in script.splitlines() if x.startswith("kernel "))
    return line.split()


def parameter_map(script: str) -> dict[str, list[str]]:
    """Kernel parameters by key (a key may repeat, e.g. console)."""
    words = kernel_line(script)[2:-3]  # drop `kernel <url>` and `|| goto retry`
    found: dict[str, list[str]] = {}
    for word in words:
        key, _, value = word.partition("=")
        found.setdefault(key, []).append(value)
    return found


def test_the_script_boots_kernel_and_initrd_with_a_retry_on_every_step() -> None:
    lines = render_boot_script(params(), RETRY).splitlines()

    assert lines[0] == "#!ipxe"
    kernel = next(x for x in lines if x.startswith("kernel "))
    assert kernel.startswith("kernel http://images.lab/inspector/vmlinuz ")
    assert kernel.endswith(" || goto retry")
    assert "initrd http://images.lab/inspector/initrd.img || goto retry" in lines
    assert "boot || goto retry" in lines
    retry = lines[lines.index(":retry") :]
    assert any(x.startswith("sleep ") for x in retry)
    assert f"chain --replace {RETRY} || goto retry" in retry
    order = [lines.index(x) for x in (kernel, "boot || goto retry", ":retry")]
    assert order == sorted(order)


def test_kernel_parameters_carry_the_protocol_values() -> None:
    found = parameter_map(render_boot_script(params(), RETRY))

    assert found["beskar7.api"] == ["http://10.0.2.2:8082"]
    assert found["beskar7.token"] == [TOKEN]
    assert found["beskar7.namespace"] == ["lab"]
    assert found["beskar7.host"] == ["h1"]
    assert found["beskar7.target"] == ["http://images.lab/kairos.tar.gz"]
    assert found["beskar7.config"] == ["http://images.lab/config.yaml"]
    assert found["beskar7.os"] == ["kairos"]
    assert found["beskar7.timeout"] == ["600"]
    assert found["BOOTIF"] == ["01-52-54-00-aa-bb-01"]
    assert found["console"] == ["tty0", "ttyS0,115200"]
    assert found["initrd"] == ["initrd.img"]


def test_optional_parameters_are_omitted_when_unset() -> None:
    found = parameter_map(render_boot_script(params(config=None, os_family=None, mac=None), RETRY))

    assert "beskar7.config" not in found
    assert "beskar7.os" not in found
    assert "BOOTIF" not in found
    assert "beskar7.target" in found


@pytest.mark.parametrize(
    "image", ["http://images.lab/inspector", "http://images.lab/inspector/", "http://i/x//"]
)
def test_the_inspection_image_is_a_base_url_without_trailing_slash(image: str) -> None:
    words = kernel_line(render_boot_script(params(inspection_image=image), RETRY))

    assert words[1] == image.rstrip("/") + "/vmlinuz"


@pytest.mark.parametrize(
    "raw",
    [
        "52:54:00:aa:bb:01",
        "52:54:00:AA:BB:01",
        "52-54-00-aa-bb-01",
        "52%3A54%3A00%3Aaa%3Abb%3A01",
        "52%3a54%3a00%3aaa%3abb%3a01",
    ],
)
def test_well_formed_macs_are_accepted_in_every_usual_spelling(raw: str) -> None:
    assert normalize_mac(raw) == "52:54:00:aa:bb:01"
    assert bootif("52:54:00:aa:bb:01") == "01-52-54-00-aa-bb-01"


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "52:54:00:aa:bb",
        "52:54:00:aa:bb:01:02",
        "525400aabb01",
        "5254.00aa.bb01",
        "52:54-00:aa:bb:01",
        "zz:54:00:aa:bb:01",
        "52:54:00:aa:bb:01 console=ttyS9",
        "52:54:00:aa:bb:01%20beskar7.api=http://evil",
        "${net0/mac}",
    ],
)
def test_malformed_macs_are_dropped(raw: str | None) -> None:
    assert normalize_mac(raw) is None


def _at_length(size: int) -> BootParams:
    """Params whose kernel command line is exactly `size` bytes (padding the target URL)."""
    base = params(target="http://t/")
    current = len(" ".join(kernel_parameters(base)).encode())
    return dataclasses.replace(base, target="http://t/" + "a" * (size - current))


def test_a_command_line_of_exactly_the_cap_renders() -> None:
    p = _at_length(MAX_CMDLINE_BYTES)
    assert len(" ".join(kernel_parameters(p)).encode()) == MAX_CMDLINE_BYTES

    assert "beskar7.target=http://t/aaa" in render_boot_script(p, RETRY)


def test_a_command_line_over_the_cap_is_refused_not_truncated() -> None:
    with pytest.raises(RenderError, match="4096"):
        render_boot_script(_at_length(MAX_CMDLINE_BYTES + 1), RETRY)


INJECTIONS = [
    "http://x/a b",
    "http://x/a\tinit=/bin/sh",
    "http://x/a\nshell",
    "http://x/a\rshell",
    'http://x/"a b"',
    "http://x/'a'",
    "http://x/${net0/mac}",
    "http://x/a||shell",
    "http://x/a\\ b",
    "http://x/{a}",
    "http://x/\u00e9",
    "http://x/\x00",
]


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize(
    "field", ["target", "config", "inspection_image", "api", "namespace", "host"]
)
def test_values_that_could_inject_parameters_or_commands_are_refused(
    field: str, value: str
) -> None:
    with pytest.raises(RenderError) as caught:
        render_boot_script(params(**{field: value}), RETRY)

    assert value not in str(caught.value)


def test_the_console_setting_is_split_into_parameters_each_checked() -> None:
    script = render_boot_script(params(console="console=tty0\nconsole=ttyS1,9600\r"), RETRY)

    assert parameter_map(script)["console"] == ["tty0", "ttyS1,9600"]
    assert len(script.splitlines()) == len(render_boot_script(params(), RETRY).splitlines())
    for value in ("console=$x", "console='a'", 'quiet "x', "console=\u00e9"):
        with pytest.raises(RenderError):
            render_boot_script(params(console=value), RETRY)


@pytest.mark.parametrize("value", INJECTIONS)
def test_an_unsafe_retry_url_is_refused(value: str) -> None:
    with pytest.raises(RenderError):
        render_boot_script(params(), value)
    with pytest.raises(RenderError):
        waiting_script(value)


def test_path_segments_from_the_client_are_percent_encoded() -> None:
    url = path_url("http://b:1", "api", "v1", "boot", "lab ns", "h1\nchain http://evil", mac=None)

    assert url == "http://b:1/api/v1/boot/lab%20ns/h1%0Achain%20http%3A%2F%2Fevil"
    script = waiting_script(url)
    assert script.splitlines()[0] == "#!ipxe"
    assert "http://evil" not in script


def test_the_waiting_script_sleeps_and_chains_the_same_url() -> None:
    lines = waiting_script(RETRY + "?mac=52:54:00:aa:bb:01").splitlines()

    assert lines[0] == "#!ipxe"
    assert any(x.startswith("echo ") for x in lines)
    assert any(x.startswith("sleep ") for x in lines)
    assert f"chain --replace {RETRY}?mac=52:54:00:aa:bb:01 || goto retry" in lines


def test_the_dhcp_entry_script_tolerates_configured_networks_and_chains_by_mac() -> None:
    lines = dhcp_script("http://10.0.2.2:8082").splitlines()

    assert lines[0] == "#!ipxe"
    assert "dhcp || isset ${net0/ip} || goto net_retry" in lines
    chain = "chain --replace http://10.0.2.2:8082/api/v1/boot/by-mac?mac=${net0/mac}"
    assert f"{chain} || goto chain_retry" in lines
    assert "goto chain" in lines
    with pytest.raises(RenderError):
        dhcp_script("http://x/ shell")
