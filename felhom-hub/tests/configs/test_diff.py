from felhom_hub.configs.diff import MASK, Change, DiffRow, diff_trees, diff_yaml, flatten, masked


def test_key_order_comments_and_style_do_not_count() -> None:
    hub = "a: 1\nb:\n  c: [1, 2]\n  d: x\n"
    controller = "# a comment\nb: {d: 'x', c: [1, 2]}\na: 1\n"
    assert diff_yaml(hub, controller) == []


def test_added_removed_changed_per_dotted_key() -> None:
    hub = {"a": {"x": 1, "y": 2}, "new": True}
    controller = {"a": {"x": 9}, "gone": "v"}
    assert diff_trees(hub, controller) == [
        DiffRow("a.x", Change.CHANGED, 9, 1),
        DiffRow("a.y", Change.ADDED, None, 2),
        DiffRow("gone", Change.REMOVED, "v", None),
        DiffRow("new", Change.ADDED, None, True),
    ]


def test_lists_are_one_value_in_order() -> None:
    rows = diff_trees({"l": [1, 2]}, {"l": [2, 1]})
    assert rows == [DiffRow("l", Change.CHANGED, [2, 1], [1, 2])]


def test_secrets_are_masked_at_any_depth() -> None:
    hub = {"hub": {"api_key": "new-key"}, "backup": {"repos": [{"name": "r", "password": "p1"}]}}
    controller = {
        "hub": {"api_key": "old-key"},
        "backup": {"repos": [{"name": "r", "password": "p2"}]},
    }
    rows = diff_trees(hub, controller)
    assert [r.key for r in rows] == ["backup.repos", "hub.api_key"]
    assert rows[1].old == rows[1].new == MASK
    assert rows[0].new == [{"name": "r", "password": MASK}]
    assert "new-key" not in repr(rows) and "p1" not in repr(rows)


def test_an_empty_secret_shows_as_empty() -> None:
    assert masked("infrastructure.session_secret", "") == ""
    assert masked("infrastructure.tokens", {"cf": "t"}) == MASK


def test_volatile_keys_are_left_out() -> None:
    rows = diff_trees({"a": {"b": 1}, "c": 1}, {"a": {"b": 2}, "c": 2}, volatile=("a",))
    assert [r.key for r in rows] == ["c"]


def test_flatten_keeps_empty_maps_as_values() -> None:
    assert flatten({"a": {}, "b": {"c": {}}}) == {"a": {}, "b.c": {}}
