"""Certificates from configured PEM files: subject, expiry and days left.

``cryptography`` is imported on first use: it adds about 10 MiB to the agent's memory, which a
node without configured certificates should not pay.
"""

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def certificate_entry(path: Path, now: datetime) -> dict[str, Any]:
    from cryptography import x509

    entry: dict[str, Any] = {"file": str(path)}
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as exc:
        log.warning("certificate %s unreadable: %s", path, exc)
        return {**entry, "error": "unreadable or not a PEM certificate"}
    expires = cert.not_valid_after_utc
    return {
        **entry,
        "subject": cert.subject.rfc4514_string()[:255],
        "not_after": expires.isoformat(),
        "days_left": (expires - now).days,
    }


def collect_certificates(files: list[Path], now: datetime) -> list[dict[str, Any]]:
    return [certificate_entry(path, now) for path in files]
