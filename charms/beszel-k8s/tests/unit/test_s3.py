"""The s3 v0 requirer: bucket request, merged settings, disable on removal."""

from __future__ import annotations

from typing import Any

from ops import testing

from charm import BeszelCharm
from config import BeszelConfig
from s3 import S3Credentials, plan_backups
from tests.unit.conftest import local_app_data, local_unit_data, state
from tests.unit.fake_hub import FakeHub

Ctx = testing.Context[BeszelCharm]
CREDENTIALS = {
    "access-key": "AKIAEXAMPLE",
    "secret-key": "s3-secret-value",
    "bucket": "hub-backups",
    "endpoint": "https://minio.example.com",
    "s3-uri-style": "path",
}
ENABLED = {"s3-backup-enabled": True}


def _s3(remote: dict[str, str] | None = None) -> testing.Relation:
    return testing.Relation("s3-credentials", remote_app_name="s3", remote_app_data=remote or {})


def _changed(ctx: Ctx, relation: testing.Relation, config: dict[str, Any]) -> testing.State:
    return ctx.run(ctx.on.relation_changed(relation), state(relations=(relation,), config=config))


def test_joined_requests_configured_bucket(ctx: Ctx, known_admin: FakeHub) -> None:
    relation = _s3()
    start = state(relations=(relation,), config={"s3-bucket": "my-bucket"})
    out = ctx.run(ctx.on.relation_joined(relation, remote_unit=0), start)
    assert local_app_data(out, relation) == {"bucket": "my-bucket"}


def test_joined_requests_default_bucket(ctx: Ctx, known_admin: FakeHub) -> None:
    relation = _s3()
    out = ctx.run(ctx.on.relation_joined(relation, remote_unit=0), state(relations=(relation,)))
    expected = {"bucket": f"relation-{relation.id}"}
    assert local_app_data(out, relation) == expected


def test_changed_enables_s3_backups(ctx: Ctx, known_admin: FakeHub) -> None:
    out = _changed(ctx, _s3(CREDENTIALS), ENABLED)
    assert known_admin.settings["backups"]["s3"] == {
        "enabled": True,
        "endpoint": "https://minio.example.com",
        "bucket": "hub-backups",
        "region": "us-east-1",
        "accessKey": "AKIAEXAMPLE",
        "secret": "s3-secret-value",
        "forcePathStyle": True,
    }
    assert out.unit_status == testing.ActiveStatus("Beszel Hub is ready")


def test_relation_values_win_over_config(ctx: Ctx, known_admin: FakeHub) -> None:
    config = {
        **ENABLED,
        "s3-endpoint": "https://config.example.com",
        "s3-bucket": "config-bucket",
        "s3-region": "eu-central-1",
    }
    _changed(ctx, _s3({**CREDENTIALS, "region": "ap-south-1"}), config)
    s3 = known_admin.settings["backups"]["s3"]
    assert (s3["endpoint"], s3["bucket"], s3["region"]) == (
        "https://minio.example.com",
        "hub-backups",
        "ap-south-1",
    )


def test_config_fills_missing_relation_values(ctx: Ctx, known_admin: FakeHub) -> None:
    remote = {"access-key": "AK", "secret-key": "SK"}
    config = {**ENABLED, "s3-endpoint": "https://c.example.com", "s3-bucket": "cb"}
    _changed(ctx, _s3(remote), config)
    s3 = known_admin.settings["backups"]["s3"]
    assert (s3["endpoint"], s3["bucket"], s3["region"]) == (
        "https://c.example.com",
        "cb",
        "us-east-1",
    )
    assert s3["forcePathStyle"] is False


def test_enabled_without_credentials_blocks(ctx: Ctx, known_admin: FakeHub) -> None:
    out = ctx.run(ctx.on.config_changed(), state(config=ENABLED))
    assert out.unit_status == testing.BlockedStatus(
        "s3-backup-enabled needs s3-credentials relation"
    )
    assert known_admin.settings["backups"]["s3"]["enabled"] is False


def test_incomplete_credentials_block(ctx: Ctx, known_admin: FakeHub) -> None:
    out = _changed(ctx, _s3({"bucket": "b", "access-key": "AK"}), ENABLED)
    assert out.unit_status.name == "blocked"


def test_credentials_unused_while_disabled(ctx: Ctx, known_admin: FakeHub) -> None:
    known_admin.settings["backups"]["s3"] = {"enabled": True, "bucket": "old"}
    out = _changed(ctx, _s3(CREDENTIALS), {})
    assert known_admin.settings["backups"]["s3"]["enabled"] is False
    assert out.unit_status == testing.ActiveStatus("Beszel Hub is ready")


def test_broken_disables_s3_backups(ctx: Ctx, known_admin: FakeHub) -> None:
    _changed(ctx, _s3(CREDENTIALS), ENABLED)
    relation = _s3(CREDENTIALS)
    out = ctx.run(ctx.on.relation_broken(relation), state(relations=(relation,), config=ENABLED))
    assert known_admin.settings["backups"]["s3"]["enabled"] is False
    assert out.unit_status.name == "blocked"


def test_secret_key_stays_out_of_status_and_local_data(ctx: Ctx, known_admin: FakeHub) -> None:
    relation = _s3(CREDENTIALS)
    out = _changed(ctx, relation, ENABLED)
    local = str(local_app_data(out, relation)) + str(local_unit_data(out, relation))
    assert "s3-secret-value" not in local
    assert "s3-secret-value" not in out.unit_status.message
    assert "s3-secret-value" not in " ".join(line.message for line in ctx.juju_log)


def test_missing_endpoint_blocks_naming_option(ctx: Ctx, known_admin: FakeHub) -> None:
    out = _changed(ctx, _s3({"access-key": "AK", "secret-key": "SK", "bucket": "b"}), ENABLED)
    assert out.unit_status == testing.BlockedStatus(
        "s3-endpoint is not set and the s3 relation provides none"
    )
    assert known_admin.settings["backups"]["s3"]["enabled"] is False


def test_plan_backups_is_empty_when_disabled() -> None:
    credentials = S3Credentials("AK", "SK", "b", "https://e")
    assert plan_backups(credentials, BeszelConfig()) == (None, None)


def test_plan_backups_merges_when_enabled() -> None:
    credentials = S3Credentials("AK", "SK", endpoint="https://e", uri_style="path")
    target, problem = plan_backups(
        credentials, BeszelConfig(s3_backup_enabled=True, s3_bucket="cb")
    )
    assert problem is None
    assert target is not None
    assert (target.bucket, target.region, target.force_path_style) == ("cb", "us-east-1", True)
