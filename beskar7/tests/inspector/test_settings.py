"""Settings from the kernel command line: required parameters, BOOTIF, quoting, bad values."""

from __future__ import annotations

import pytest

from beskar7.inspector.settings import (
    Settings,
    SettingsError,
    boot_mac,
    parse_cmdline,
    split_cmdline,
)

BASE = (
    "beskar7.api=http://10.0.2.2:8082/ beskar7.token=s3cret beskar7.namespace=default "
    "beskar7.host=r650-01 beskar7.target=http://10.0.2.2/images/kairos.tar.gz"
)


def test_a_full_ipxe_command_line() -> None:
    settings = parse_cmdline(
        "BOOT_IMAGE=/vmlinuz initrd=initrd.img console=tty0 console=ttyS0,115200n8 "
        f"{BASE} beskar7.os=leap-micro beskar7.config=http://10.0.2.2/c/combustion "
        "beskar7.target-digest=sha256:" + "ab" * 32 + " beskar7.timeout=900 "
        "beskar7.debug=true BOOTIF=01-52-54-00-AB-CD-EF quiet\n"
    )
    assert settings == Settings(
        api="http://10.0.2.2:8082",
        token="s3cret",
        namespace="default",
        host="r650-01",
        target="http://10.0.2.2/images/kairos.tar.gz",
        target_digest="sha256:" + "ab" * 32,
        config="http://10.0.2.2/c/combustion",
        os_family="leap-micro",
        timeout=900.0,
        debug=True,
        boot_mac="52:54:00:ab:cd:ef",
        consoles=("console=tty0", "console=ttyS0,115200n8"),
    )


def test_defaults() -> None:
    settings = parse_cmdline(BASE)
    assert (settings.timeout, settings.debug, settings.os_family, settings.config) == (
        600.0,
        False,
        None,
        None,
    )
    assert settings.consoles == () and settings.boot_mac is None


def test_the_token_is_not_in_repr_and_is_redacted() -> None:
    settings = parse_cmdline(BASE)
    assert "s3cret" not in repr(settings)
    assert settings.redact("Bearer s3cret and s3cret") == "Bearer <redacted> and <redacted>"


def test_missing_parameters_are_all_named() -> None:
    with pytest.raises(SettingsError) as caught:
        parse_cmdline("console=ttyS0 beskar7.api=http://x beskar7.token=")
    assert str(caught.value) == (
        "missing kernel parameter(s): beskar7.token, beskar7.namespace, beskar7.host, "
        "beskar7.target"
    )


def test_kernel_quoting() -> None:
    assert split_cmdline('a "b c=d e" f="g h" "i" \t j=\n') == ["a", "b c=d e", "f=g h", "i", "j="]
    settings = parse_cmdline(BASE + ' beskar7.host="rack 7 host"')
    assert settings.host == "rack 7 host"


def test_the_last_occurrence_wins() -> None:
    assert parse_cmdline(BASE + " beskar7.host=second").host == "second"


def test_bare_debug_flag_means_true() -> None:
    assert parse_cmdline(BASE + " beskar7.debug").debug is True
    assert parse_cmdline(BASE + " beskar7.debug=0").debug is False


@pytest.mark.parametrize(
    ("bootif", "mac"),
    [
        ("01-aa-bb-cc-dd-ee-ff", "aa:bb:cc:dd:ee:ff"),
        ("01-AA-BB-CC-DD-EE-0F", "aa:bb:cc:dd:ee:0f"),
        ("aa-bb-cc-dd-ee-ff", None),  # no ARP hardware type
        ("06-aa-bb-cc-dd-ee-ff", None),  # not Ethernet
        ("01-aa-bb-cc-dd-ee", None),
        ("01-aa:bb:cc:dd:ee:ff", None),
        (None, None),
    ],
)
def test_bootif(bootif: str | None, mac: str | None) -> None:
    assert boot_mac(bootif) == mac


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("beskar7.os=windows", "unknown OS family 'windows'"),
        ("beskar7.config=http://x/c.yaml", "needs an OS family"),
        ("beskar7.timeout=soon", "not a number"),
        ("beskar7.timeout=-5", "positive"),
        ("beskar7.timeout=inf", "positive"),
        ("beskar7.target-digest=md5:abc", "sha256:"),
        ("beskar7.target-digest=sha256:" + "AB" * 32, "sha256:"),
        ("beskar7.api=ftp://x", "beskar7.api must be an http"),
        ("beskar7.target=/local/file", "beskar7.target must be an http"),
        ("beskar7.target-initrd=file:///initrd", "beskar7.target-initrd must be an http"),
    ],
)
def test_unusable_values(extra: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_cmdline(f"{BASE} {extra}")


def test_timeout_accepts_a_seconds_suffix() -> None:
    assert parse_cmdline(BASE + " beskar7.timeout=90s").timeout == 90.0
