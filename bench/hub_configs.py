"""felhom-hub customer configs benchmark: generating a controller.yaml (round-trip template,
merge, render), the value diff of two files, and re-sealing infra backups with a new key (what
a hub does at start after a key rotation).

    uv run python bench/hub_configs.py [--generate 200] [--backups 5000] [--backup-kib 16]
"""

import argparse
import base64
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet

from felhom_hub.configs.diff import diff_yaml
from felhom_hub.configs.generate import generate
from felhom_hub.configs.model import Credentials, ManagedConfig, StoredConfig
from felhom_hub.configs.reseal import reseal_all
from felhom_hub.configs.template import package_example
from felhom_hub.configs.vault import Vault
from felhom_hub.store import Database, infra_backups

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def stored(number: int) -> StoredConfig:
    config = ManagedConfig(
        customer_id=f"customer-{number}",
        display_name=f"Customer {number} Kft.",
        hostname=f"node-{number}",
        tokens={"cloudflare": "t" * 40, "backblaze": "b" * 40},
        overrides={"report": {"interval_seconds": 300}, "storage": {"mounts": ["/", "/srv"]}},
    )
    return StoredConfig(config, Credentials("k" * 43, "s" * 43))


def bench_generate(count: int) -> None:
    template = package_example()
    assert template is not None
    times, texts = [], []
    for number in range(count):
        started = time.perf_counter()
        texts.append(generate(template, stored(number), hub_url="https://hub.example"))
        times.append(time.perf_counter() - started)
    print(
        f"generate controller.yaml ({len(texts[0])} bytes): "
        f"median {statistics.median(times) * 1000:.2f} ms, max {max(times) * 1000:.2f} ms"
    )
    started = time.perf_counter()
    for number in range(1, count):
        diff_yaml(texts[number], texts[number - 1])
    each = (time.perf_counter() - started) / max(1, count - 1)
    print(f"diff of two files: {each * 1000:.2f} ms each")


def bench_reseal(count: int, kib: int, folder: Path) -> None:
    db = Database(folder / "hub.db")
    db.migrate()
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    old = Vault([old_key])
    body = '{"controller_yaml": "' + base64.b64encode(os.urandom(kib * 768)).decode() + '"}'
    with db.write() as conn:
        for number in range(count):
            infra_backups.add(
                conn,
                customer_id=f"c{number}",
                received_at=NOW,
                body=old.seal_text(body),
                sealed_with=old.key_id,
            )
    size = (folder / "hub.db").stat().st_size
    rotated = Vault([new_key, old_key])
    started = time.perf_counter()
    result = reseal_all(db, rotated)
    elapsed = time.perf_counter() - started
    print(
        f"re-seal {result.backups} infra backups of {len(body) // 1024} KiB "
        f"(database {size / 2**20:.0f} MiB): {elapsed:.2f} s, {result.backups / elapsed:,.0f}/s"
    )
    started = time.perf_counter()
    again = reseal_all(db, rotated)
    elapsed = time.perf_counter() - started
    print(f"start-up pass with nothing to re-seal: {elapsed * 1000:.1f} ms ({again.backups} done)")
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--generate", type=int, default=200)
    parser.add_argument("--backups", type=int, default=5000)
    parser.add_argument("--backup-kib", type=int, default=16)
    args = parser.parse_args()
    bench_generate(args.generate)
    with tempfile.TemporaryDirectory() as folder:
        bench_reseal(args.backups, args.backup_kib, Path(folder))


if __name__ == "__main__":
    main()
