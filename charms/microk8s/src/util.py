"""Subprocess and file helpers shared by the workload modules (no charm concerns)."""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

logger = logging.getLogger(__name__)

MARKER = "managed by microk8s charm"
BEGIN = f"# begin {MARKER}"
END = f"# end {MARKER}"


def run(argv: Sequence[str], *, attempts: int = 1, delay: float = 2.0, secret: str = "") -> str:
    """Run ``argv`` without a shell, raising on failure; return its stdout.

    The command is tried up to ``attempts`` times, ``delay`` seconds apart. ``secret`` (a
    join token, say) is masked in the log and in the raised error, whose message Juju logs.
    """
    if not argv or not argv[0].startswith("/"):
        raise ValueError(f"command must start with an absolute path: {argv!r}")
    masked = [redact(arg, secret) for arg in argv]
    for attempt in range(1, attempts + 1):
        try:
            done = subprocess.run(list(argv), check=True, capture_output=True, text=True)
            return done.stdout
        except subprocess.CalledProcessError as e:
            stderr = redact(e.stderr or "", secret)
            logger.warning("%s failed (attempt %d/%d): %s", masked[:2], attempt, attempts, stderr)
            if attempt == attempts:
                stdout = redact(e.stdout or "", secret)
                raise subprocess.CalledProcessError(e.returncode, masked, stdout, stderr) from None
            time.sleep(delay)
    raise AssertionError("unreachable")


def redact(text: str, secret: str) -> str:
    """Return ``text`` with every occurrence of ``secret`` masked."""
    return text.replace(secret, "***") if secret else text


def ensure_file(path: Path, content: str, mode: int = 0o644) -> bool:
    """Write ``content`` to ``path`` unless it is already there; return True if changed."""
    if path.exists() and path.read_text() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    path.chmod(mode)
    return True


def remove_file(path: Path) -> bool:
    """Remove ``path`` if it exists; return True if it did."""
    if not path.exists():
        return False
    path.unlink()
    return True


def ensure_block(path: Path, lines: Sequence[str], *, anchor: str | None = None) -> bool:
    """Keep ``lines`` inside the charm's marker block in ``path``; return True if changed.

    A new block goes right after the first line equal to ``anchor`` (else at the end of the
    file). An empty ``lines`` removes the block. Text outside the block is left alone.
    """
    text = path.read_text() if path.exists() else ""
    outside = _strip_block(text.splitlines())
    block = [BEGIN, *lines, END] if lines else []
    current = text.splitlines()
    if current and BEGIN in current and lines:
        start = current.index(BEGIN)
        wanted = outside[:start] + block + outside[start:]
    elif anchor is not None and anchor in outside:
        at = outside.index(anchor) + 1
        wanted = outside[:at] + block + outside[at:]
    else:
        wanted = outside + block
    new_text = "\n".join(wanted) + "\n" if wanted else ""
    if new_text == text:
        return False
    return ensure_file(
        path, new_text, mode=path.stat().st_mode & 0o777 if path.exists() else 0o644
    )


def _strip_block(lines: list[str]) -> list[str]:
    """Return ``lines`` without the charm's marker block."""
    if BEGIN not in lines or END not in lines:
        return lines
    start, end = lines.index(BEGIN), lines.index(END)
    return lines[:start] + lines[end + 1 :]
