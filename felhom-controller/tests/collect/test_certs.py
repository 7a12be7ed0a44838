"""Certificates: a real self-signed certificate generated for the test, and a broken file."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from felhom_controller.collect.certs import collect_certificates


def self_signed(path: Path, expires: datetime) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "node-1.example")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(expires - timedelta(days=90))
        .not_valid_after(expires)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def test_expiry_and_days_left(tmp_path: Path) -> None:
    now = datetime(2026, 12, 6, tzinfo=UTC)
    self_signed(tmp_path / "site.pem", now + timedelta(days=10, hours=1))
    (tmp_path / "broken.pem").write_text("-----BEGIN CERTIFICATE-----\nnope\n")
    site, broken = collect_certificates([tmp_path / "site.pem", tmp_path / "broken.pem"], now)
    assert site["days_left"] == 10
    assert site["subject"] == "CN=node-1.example"
    assert "error" in broken and "days_left" not in broken
