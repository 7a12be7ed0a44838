"""System identity (SMBIOS via /sys/class/dmi/id, else dmidecode) and the firmware boot mode."""

from __future__ import annotations

from beskar7.inspector.hardware.sources import Sources, meaningful

_IDENTITY = {
    # report field: (file under /sys/class/dmi/id, dmidecode -s keyword)
    "manufacturer": ("sys_vendor", "system-manufacturer"),
    "model": ("product_name", "system-product-name"),
    "serialNumber": ("product_serial", "system-serial-number"),
    "firmwareVersion": ("bios_version", "bios-version"),
}


def identity(sources: Sources) -> dict[str, str]:
    """manufacturer, model, serialNumber and firmwareVersion, each only when known."""
    found: dict[str, str] = {}
    for field, (dmi_file, keyword) in _IDENTITY.items():
        value = meaningful(sources.read(f"sys/class/dmi/id/{dmi_file}"))
        if value is None:
            value = meaningful(_first_line(sources.run("dmidecode", "-s", keyword)))
        if value is not None:
            found[field] = value
    return found


def boot_mode(sources: Sources) -> str:
    """UEFI when the kernel was started by EFI firmware, else Legacy."""
    return "UEFI" if sources.exists("sys/firmware/efi") else "Legacy"


def _first_line(output: str | None) -> str | None:
    if output is None:
        return None
    lines = [line for line in output.splitlines() if line.strip() and not line.startswith("#")]
    return lines[0] if lines else None
