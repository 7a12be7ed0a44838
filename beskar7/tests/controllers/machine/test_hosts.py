"""Host choice (hosts.find): providerID, held host, then hostSelector, failure domain and the
kept inventory, in the documented order."""

from typing import Any

from beskar7.api.capi import ZONE_LABEL
from beskar7.api.machine import Beskar7Machine
from beskar7.api.physicalhost import PhysicalHost
from beskar7.controllers.machine.hosts import Found, Skip, find
from tests.fixtures.machines import GOLDEN_REPORT

SMALL_REPORT: dict[str, Any] = {**GOLDEN_REPORT, "memory": [{"id": "D0", "capacity": "8GiB"}]}


def machine(
    *, selector: dict[str, Any] | None = None, min_memory: int | None = None
) -> Beskar7Machine:
    spec: dict[str, Any] = {"inspectionImage": "http://b/i", "targetOSImage": "http://b/os"}
    if selector is not None:
        spec["hostSelector"] = selector
    if min_memory is not None:
        spec["hardwareRequirements"] = {"minMemoryGB": min_memory}
    meta = {"name": "m", "namespace": "lab", "uid": "u-m"}
    return Beskar7Machine.model_validate({"metadata": meta, "spec": spec})


def host(
    name: str,
    *,
    labels: dict[str, str] | None = None,
    report: dict[str, Any] | None = None,
    state: str = "Available",
    consumer: str | None = None,
) -> PhysicalHost:
    spec: dict[str, Any] = {
        "redfishConnection": {"address": "https://bmc", "credentialsSecretRef": "c"}
    }
    if consumer:
        spec["consumerRef"] = {"kind": "Beskar7Machine", "name": consumer, "namespace": "lab"}
    status: dict[str, Any] = {"state": state}
    if report is not None:
        status["inspectionReport"] = report
    meta = {"name": name, "namespace": "lab", "labels": labels or {}}
    return PhysicalHost.model_validate({"metadata": meta, "spec": spec, "status": status})


def chosen(found: Found) -> str | None:
    return found.candidate.metadata.name if found.candidate else None


def test_host_selector_match_labels_and_match_expressions_both_must_hold() -> None:
    hosts = [
        host("a", labels={"tier": "gold", "gpu": "yes"}),
        host("b", labels={"tier": "gold"}),
        host("c", labels={"tier": "silver"}),
    ]
    selector = {
        "matchLabels": {"tier": "gold"},
        "matchExpressions": [{"key": "gpu", "operator": "DoesNotExist"}],
    }
    assert chosen(find(machine(selector=selector), hosts)) == "b"
    picky = {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["bronze"]}]}
    found = find(machine(selector=picky), hosts)
    assert found.candidate is None and found.skipped == ((Skip.SELECTOR, 3),)


def test_inframachine_rule_failure_domain_only_hosts_in_the_machines_zone() -> None:
    hosts = [host("a", labels={ZONE_LABEL: "rack-a"}), host("b", labels={ZONE_LABEL: "rack-b"})]
    assert chosen(find(machine(), hosts, "rack-b")) == "b"
    assert chosen(find(machine(), hosts, None)) == "a"
    nowhere = find(machine(), hosts, "rack-c")
    assert nowhere.candidate is None and nowhere.skipped == ((Skip.ZONE, 2),)


def test_host_selection_inventory_that_fails_is_skipped_before_the_claim() -> None:
    hosts = [host("a", report=SMALL_REPORT), host("b")]
    assert chosen(find(machine(min_memory=64), hosts)) == "b"
    only_small = find(machine(min_memory=64), hosts[:1])
    assert only_small.candidate is None and only_small.skipped == ((Skip.INVENTORY, 1),)
    assert chosen(find(machine(), hosts[:1])) == "a", "no requirements: any inventory fits"


def test_host_selection_order_known_good_inventory_first_then_uninspected_by_name() -> None:
    hosts = [host("a"), host("b", report=GOLDEN_REPORT), host("c", report=GOLDEN_REPORT)]
    assert chosen(find(machine(min_memory=64), hosts)) == "b"
    assert chosen(find(machine(min_memory=64), [host("z"), host("y")])) == "y"


def test_taken_hosts_are_counted_and_the_held_host_wins() -> None:
    hosts = [host("a", consumer="other", state="InUse"), host("b", state="Releasing")]
    assert find(machine(), hosts).skipped == ((Skip.TAKEN, 2),)
    mine = host("c", consumer="m", state="InUse")
    assert find(machine(), [*hosts, mine]).ours is mine


def test_clusterctl_move_rule_the_named_host_claimed_under_the_old_uid_is_taken_back() -> None:
    mine = machine()
    mine.spec.provider_id = "b7://lab/a"
    stale = host("a", consumer="m", state="InUse")
    assert stale.spec.consumer_ref is not None
    stale.spec.consumer_ref.uid = "old-uid"
    found = find(mine, [stale])
    assert found.moved and found.candidate is stale and found.ours is None
    other = host("a", consumer="someone", state="InUse")
    assert find(mine, [other]) == Found(), "taken by another machine: not ours"
