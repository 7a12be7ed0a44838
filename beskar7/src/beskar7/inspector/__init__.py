"""The inspector that runs inside the inspection image: collect hardware, report, kexec.

Standard library only: it runs on Debian's python3 in a small initramfs and imports nothing
else from beskar7. The programmatic API (used by the end-to-end harness):

- `collect(root) -> dict`: the hardware report of the machine under `root`;
- `parse_cmdline(text) -> Settings`: settings from a kernel command line;
- `run(settings, root, *, skip_kexec, dry_run) -> int`: the whole flow, returns the exit code.
"""

from beskar7.inspector.flow import run
from beskar7.inspector.hardware import collect
from beskar7.inspector.settings import Settings, SettingsError, parse_cmdline

__all__ = ["Settings", "SettingsError", "collect", "parse_cmdline", "run"]
