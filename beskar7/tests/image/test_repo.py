"""Downloads from a loopback archive: checksums, the cache, Release files, the lock."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from beskar7.image import manifest, repo
from beskar7.image.index import Package

FILES = {"/pool/main/t/tiny/tiny_1.0_amd64.deb": b"!<arch>\ntiny"}


class _Archive:
    def __init__(self) -> None:
        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits.append(self.path)
                data = FILES.get(self.path)
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def archive() -> Iterator[_Archive]:
    served = _Archive()
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()


def _package(base_url: str, sha256: str | None = None) -> Package:
    data = FILES["/pool/main/t/tiny/tiny_1.0_amd64.deb"]
    digest = sha256 or hashlib.sha256(data).hexdigest()
    return Package("tiny", "1.0", "amd64", "pool/main/t/tiny/tiny_1.0_amd64.deb", digest,
                   len(data), base_url=base_url, suite="bookworm")  # fmt: skip


def test_fetch_verifies_and_reuses_the_cache(archive: _Archive, tmp_path: Path) -> None:
    package = _package(archive.url)
    paths = repo.fetch_debs([package], tmp_path)
    assert paths["tiny"].read_bytes() == FILES["/pool/main/t/tiny/tiny_1.0_amd64.deb"]
    assert paths["tiny"] == tmp_path / "debs" / "tiny_1.0_amd64.deb"
    repo.fetch_debs([package], tmp_path)
    assert len(archive.hits) == 1


def test_checksum_mismatch_and_missing_file(
    archive: _Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("beskar7.image.repo.time.sleep", lambda seconds: None)
    with pytest.raises(repo.DownloadError, match="sha256 mismatch"):
        repo.fetch_debs([_package(archive.url, "0" * 64)], tmp_path)
    assert not (tmp_path / "debs" / "tiny_1.0_amd64.deb").exists()
    with pytest.raises(repo.DownloadError, match="HTTPError"):
        repo.fetch(f"{archive.url}/nothing", tmp_path / "nothing")
    assert not list((tmp_path).glob("tmp*"))


def test_release_hashes() -> None:
    text = (
        "Origin: Debian\nMD5Sum:\n 0123 10 main/binary-amd64/Packages.xz\nSHA256:\n"
        " abcd 1234 main/binary-amd64/Packages.xz\n abce 99 main/binary-amd64/Release\n"
    )
    assert repo.release_hashes(text) == {
        "main/binary-amd64/Packages.xz": ("abcd", 1234),
        "main/binary-amd64/Release": ("abce", 99),
    }


def test_bad_signature_is_refused(tmp_path: Path) -> None:
    forged = tmp_path / "InRelease"
    forged.write_text("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nSuite: x\n")
    try:
        verified = repo.verify_signature(forged)
    except repo.DownloadError as exc:
        assert "bad signature" in str(exc)
    else:
        assert verified is False  # gpgv or the keyring is missing: reported, not trusted


def test_manifest_lock_round_trip(tmp_path: Path) -> None:
    package = _package("http://deb.debian.org/debian")
    path = tmp_path / "manifest.json"
    manifest.write(path, {"packages": [manifest.package_record(package, "(requested)")]})
    packages, required_by = manifest.locked_packages(path)
    assert packages == [package]
    assert required_by == {"tiny": "(requested)"}
    path.write_text('{"format": 99}')
    with pytest.raises(manifest.LockError, match="not a beskar7 image manifest"):
        manifest.locked_packages(path)
