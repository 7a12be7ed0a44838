"""Requirer side of the ``s3`` v0 interface, from its databag schema.

Hand-written: no maintained package on PyPI provides this interface (its library is a
charmhub lib fetched by charmcraft, not a Python package).
"""

from __future__ import annotations

import dataclasses

import ops

from config import BeszelConfig
from endpoint import Endpoint
from hub_admin import S3Target


@dataclasses.dataclass(frozen=True)
class S3Credentials:
    """What the s3 provider published (plain strings per the v0 schema)."""

    access_key: str
    secret_key: str
    bucket: str = ""
    endpoint: str = ""
    region: str = ""
    uri_style: str = ""

    def target(self, config: BeszelConfig) -> S3Target:
        """Merge with the charm config: relation values win, config fills the gaps."""
        return S3Target(
            endpoint=self.endpoint or config.s3_endpoint,
            bucket=self.bucket or config.s3_bucket,
            region=self.region or config.s3_region,
            access_key=self.access_key,
            secret_key=self.secret_key,
            force_path_style=self.uri_style == "path",
        )


class S3Requirer(Endpoint):
    """Requests a bucket and reads the credentials an s3 provider shares."""

    def __init__(self, charm: ops.CharmBase, relation_name: str = "s3-credentials") -> None:
        super().__init__(charm, relation_name)

    def request_bucket(self, bucket: str) -> None:
        """Leader only: ask for ``bucket`` (or a per-relation default name)."""
        relation = self.relation
        if relation is None or not self._charm.unit.is_leader():
            return
        relation.data[self._charm.app]["bucket"] = bucket or f"relation-{relation.id}"

    def credentials(self) -> S3Credentials | None:
        """The provider's credentials, once both keys are present."""
        relation = self.relation
        if relation is None or relation.app is None:
            return None
        data = relation.data[relation.app]
        if not data.get("access-key") or not data.get("secret-key"):
            return None
        return S3Credentials(
            access_key=data["access-key"],
            secret_key=data["secret-key"],
            bucket=data.get("bucket", ""),
            endpoint=data.get("endpoint", ""),
            region=data.get("region", ""),
            uri_style=data.get("s3-uri-style", ""),
        )


def plan_backups(
    credentials: S3Credentials | None, config: BeszelConfig
) -> tuple[S3Target | None, str | None]:
    """The S3 target to apply and, when S3 is wanted but unusable, the reason why."""
    if not config.s3_backup_enabled:
        return None, None
    if credentials is None:
        return None, "s3-backup-enabled needs s3-credentials relation"
    target = credentials.target(config)
    for option, value in (("s3-endpoint", target.endpoint), ("s3-bucket", target.bucket)):
        if not value:
            return None, f"{option} is not set and the s3 relation provides none"
    return target, None
