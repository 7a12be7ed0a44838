from ruamel.yaml.comments import CommentedMap

from felhom_hub.configs.merge import TemplateError, deep_merge, load, plain, render

TEMPLATE = """\
# top comment
zeta: 1        # zeta's comment
alpha:
  list: [a, b]   # a list
  nested:
    x: 1
    y: 2
empty: {}
"""


def merged(top: dict[str, object]) -> CommentedMap:
    document = load(TEMPLATE)
    deep_merge(document, top)
    return document


def test_maps_recurse_and_keep_the_other_keys() -> None:
    result = plain(merged({"alpha": {"nested": {"y": 3, "z": 4}}}))
    assert result["alpha"]["nested"] == {"x": 1, "y": 3, "z": 4}
    assert result["alpha"]["list"] == ["a", "b"]
    assert result["zeta"] == 1


def test_lists_and_scalars_replace() -> None:
    result = plain(merged({"alpha": {"list": ["c"]}, "zeta": "now text"}))
    assert result["alpha"]["list"] == ["c"]
    assert result["zeta"] == "now text"


def test_an_empty_mapping_replaces() -> None:
    result = plain(merged({"alpha": {"nested": {}}}))
    assert result["alpha"]["nested"] == {}


def test_comments_and_key_order_survive() -> None:
    text = render(merged({"alpha": {"list": ["c"]}, "zeta": 5, "new": {"k": "v"}}))
    assert text.startswith("# top comment\nzeta: 5")
    assert "# zeta's comment" in text and "# a list" in text
    assert list(plain(load(text))) == ["zeta", "alpha", "empty", "new"]


def test_filling_an_empty_flow_map_gives_block_style() -> None:
    text = render(merged({"empty": {"one": "1", "two": "2"}}))
    assert "empty:\n  one: '1'\n  two: '2'\n" in text or 'empty:\n  one: "1"' in text


def test_not_a_mapping_is_a_clear_error() -> None:
    for bad in ("- a\n- b\n", "a: [unclosed\n", "just text"):
        try:
            load(bad)
        except TemplateError as exc:
            assert "template" in str(exc)
        else:
            raise AssertionError(f"{bad!r} was accepted")
