"""Tests for cluster: join URLs, departed nodes, the removal queue and the refresh lock."""

from __future__ import annotations

import subprocess

import cluster


def test_join_url_has_address_port_and_token() -> None:
    assert cluster.join_url("10.0.0.1", "abc") == "10.0.0.1:25000/abc"
    assert cluster.join_url("fd00::1", "abc") == "[fd00::1]:25000/abc"


def test_url_address_reads_back_the_address() -> None:
    assert cluster.url_address("10.0.0.1:25000/abc") == "10.0.0.1"
    assert cluster.url_address("[fd00::1]:25000/abc") == "fd00::1"


def test_new_token_is_random_hex() -> None:
    first, second = cluster.new_token(), cluster.new_token()

    assert first != second
    assert len(first) == 32
    int(first, 16)


def test_departed_lists_recorded_units_that_are_gone() -> None:
    hostnames = {"mk/1": "node-1", "mk/2": "node-2", "worker/0": "w-0"}

    assert cluster.departed(hostnames, ["mk/1", "worker/0"]) == {"mk/2": "node-2"}


def test_enqueue_keeps_order_and_skips_duplicates() -> None:
    assert cluster.enqueue(["a"], ["b", "a", "", "c"]) == ["a", "b", "c"]


def test_drain_queue_keeps_own_node_and_failures() -> None:
    removed: list[str] = []

    def remove(host: str) -> None:
        removed.append(host)
        if host == "bad":
            raise subprocess.CalledProcessError(1, ["remove-node"])

    left = cluster.drain_queue(["me", "bad", "gone", "ok"], "me", {"bad", "ok"}, remove)

    assert left == ["me", "bad"]
    assert removed == ["bad", "ok"]


def test_drain_queue_tries_all_when_the_node_list_is_unknown() -> None:
    removed: list[str] = []

    assert cluster.drain_queue(["a", "b"], "me", None, removed.append) == []
    assert removed == ["a", "b"]


def test_next_holder_keeps_the_lock_while_the_holder_asks() -> None:
    requests = {"mk/0": "requested", "mk/1": "requested"}

    assert cluster.next_holder("mk/1", requests) == "mk/1"


def test_next_holder_picks_the_lowest_numbered_unit_that_asks() -> None:
    requests = {"mk/10": "requested", "mk/2": "requested", "mk/1": ""}

    assert cluster.next_holder("mk/1", requests) == "mk/2"
    assert cluster.next_holder("", {"mk/0": ""}) == ""


def test_next_holder_frees_the_lock_of_a_unit_that_left() -> None:
    assert cluster.next_holder("mk/0", {"mk/1": ""}) == ""
