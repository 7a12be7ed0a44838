"""At start: seal what was stored in plaintext before (infra backups) and re-seal with the
first key whatever another key sealed — after which an old key can leave hub.yaml.

Batched, each batch one short write; a value changed meanwhile is left to the next start.
Values no configured key opens are counted, left as they are, and reported (never shown).
"""

import logging
from dataclasses import dataclass

from felhom_hub.configs.vault import SealedError, Vault, is_sealed
from felhom_hub.store import Database, configs, infra_backups
from felhom_hub.store.faults import StorageFault

log = logging.getLogger(__name__)
BATCH = 200


@dataclass(frozen=True, slots=True)
class Resealed:
    configs: int = 0
    backups: int = 0
    unreadable: int = 0


def _new_body(vault: Vault, body: str) -> str | None:
    if not is_sealed(body):
        return vault.seal_text(body)
    try:
        return vault.rotate(body)
    except SealedError:
        return None


def _configs(db: Database, vault: Vault) -> tuple[int, int]:
    done = unreadable = 0
    after = ""
    while True:
        with db.write() as conn:
            found = configs.stale_seals(conn, key_id=vault.key_id, after=after, limit=BATCH)
            for customer_id, sealed in found:
                new = _new_body(vault, sealed)
                if new is None:
                    unreadable += 1
                elif configs.reseal(
                    conn, customer_id=customer_id, old=sealed, new=new, key_id=vault.key_id
                ):
                    done += 1
        if len(found) < BATCH:
            return done, unreadable
        after = found[-1][0]


def _backups(db: Database, vault: Vault) -> tuple[int, int]:
    done = unreadable = 0
    after = 0
    while True:
        with db.write() as conn:
            found = infra_backups.stale_seals(conn, key_id=vault.key_id, after=after, limit=BATCH)
            for backup_id, body in found:
                new = _new_body(vault, body)
                if new is None:
                    unreadable += 1
                elif infra_backups.reseal(
                    conn, backup_id=backup_id, old=body, new=new, key_id=vault.key_id
                ):
                    done += 1
        if len(found) < BATCH:
            return done, unreadable
        after = found[-1][0]


def reseal_all(db: Database, vault: Vault) -> Resealed:
    configs_done, configs_lost = _configs(db, vault)
    backups_done, backups_lost = _backups(db, vault)
    result = Resealed(configs_done, backups_done, configs_lost + backups_lost)
    if result.unreadable:
        log.warning(
            "%d sealed value(s) open with none of configs.secret_keys; they stay as they are",
            result.unreadable,
        )
    if result.configs or result.backups:
        log.info(
            "sealed with the current key: %d config(s), %d backup(s)",
            result.configs,
            result.backups,
        )
    return result


def reseal_at_start(db: Database, vault: Vault) -> Resealed | None:
    """``reseal_all`` as the hub's start-up task: a database fault meanwhile stops it with a
    warning (each batch is committed on its own; the next start does the rest) rather than
    surfacing when the hub shuts down."""
    try:
        return reseal_all(db, vault)
    except StorageFault as fault:
        log.warning("sealing with the current key stopped: %s; the next start goes on", fault)
        return None
