"""The ingress v2 requirer: databags written and the provider URL used."""

from __future__ import annotations

import dataclasses
import json

from ops import testing

import beszel
from charm import BeszelCharm
from tests.unit.conftest import local_app_data, local_unit_data, state
from tests.unit.fake_hub import FakeHub

Ctx = testing.Context[BeszelCharm]
URL = "http://ingress.example.com/lab-beszel-k8s"


def _ingress(url: str | None = None) -> testing.Relation:
    remote = {"ingress": json.dumps({"url": url})} if url else {}
    return testing.Relation("ingress", remote_app_name="traefik", remote_app_data=remote)


def test_joined_publishes_requirer_app_data(ctx: Ctx, known_admin: FakeHub) -> None:
    relation = _ingress()
    start = state(relations=(relation,), config={"port": 9000})
    out = ctx.run(ctx.on.relation_joined(relation, remote_unit=0), start)
    data = local_app_data(out, relation)
    assert json.loads(data["port"]) == 9000
    assert json.loads(data["name"]) == "beszel-k8s"
    assert json.loads(data["model"]) == out.model.name
    assert json.loads(data["strip-prefix"]) is True
    assert json.loads(data["is_port_open"]) is True


def test_joined_publishes_unit_address(ctx: Ctx, known_admin: FakeHub) -> None:
    relation = _ingress()
    out = ctx.run(ctx.on.relation_joined(relation, remote_unit=0), state(relations=(relation,)))
    unit_data = local_unit_data(out, relation)
    assert json.loads(unit_data["host"])
    assert json.loads(unit_data["ip"]) == "192.0.2.0"


def test_standby_unit_publishes_no_address(ctx: Ctx, hub: FakeHub) -> None:
    relation = dataclasses.replace(
        _ingress(), local_unit_data={"host": '"old"', "ip": '"10.1.1.1"'}
    )
    start = state(relations=(relation,), leader=False, with_secret=False)
    out = ctx.run(ctx.on.relation_joined(relation, remote_unit=0), start)
    assert local_app_data(out, relation) == {}
    assert "host" not in local_unit_data(out, relation)
    assert "ip" not in local_unit_data(out, relation)


def test_changed_url_becomes_app_url(ctx: Ctx, known_admin: FakeHub) -> None:
    relation = _ingress(URL)
    out = ctx.run(ctx.on.relation_changed(relation), state(relations=(relation,)))
    env = out.get_container(beszel.CONTAINER).plan.services[beszel.SERVICE].environment
    assert env == {"APP_URL": URL}


def test_ingress_url_wins_over_external_hostname(ctx: Ctx, known_admin: FakeHub) -> None:
    relation = _ingress(URL)
    start = state(relations=(relation,), config={"external-hostname": "b.example.com"})
    out = ctx.run(ctx.on.relation_changed(relation), start)
    env = out.get_container(beszel.CONTAINER).plan.services[beszel.SERVICE].environment
    assert env["APP_URL"] == URL


def test_broken_drops_app_url(ctx: Ctx, known_admin: FakeHub) -> None:
    relation = _ingress(URL)
    start = state(relations=(relation,), env={"APP_URL": URL})
    out = ctx.run(ctx.on.relation_broken(relation), start)
    env = out.get_container(beszel.CONTAINER).plan.services[beszel.SERVICE].environment
    assert env == {}


def test_malformed_provider_data_is_ignored(ctx: Ctx, known_admin: FakeHub) -> None:
    relation = testing.Relation("ingress", remote_app_data={"ingress": "not json"})
    out = ctx.run(ctx.on.relation_changed(relation), state(relations=(relation,)))
    env = out.get_container(beszel.CONTAINER).plan.services[beszel.SERVICE].environment
    assert env == {}
    assert out.unit_status == testing.ActiveStatus("Beszel Hub is ready")
