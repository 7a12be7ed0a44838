"""Label selector parsing, matching and the canonical string form."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from beskar7.store.selectors import Requirement, Selector, matches, parse, to_string

LABELS = {"zone": "a", "role": "worker", "example.com/rack": "r1", "empty": ""}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("zone=a", True),
        ("zone==a", True),
        ("zone=b", False),
        ("zone!=b", True),
        ("zone!=a", False),
        ("missing!=a", True),
        ("zone", True),
        ("missing", False),
        ("!missing", True),
        ("!zone", False),
        ("zone in (a, b)", True),
        ("zone in (b,c)", False),
        ("missing in (a)", False),
        ("zone notin (b)", True),
        ("zone notin (a,b)", False),
        ("missing notin (a)", True),
        ("example.com/rack=r1", True),
        ("empty=", True),
        ("empty", True),
        ("zone=a,role=worker", True),
        (" zone = a , role in (worker) , !gpu ", True),
        ("zone=a,role=control-plane", False),
        ("", True),
        (None, True),
        ({}, True),
        ({"zone": "a", "role": "worker"}, True),
        ({"zone": "a", "role": "x"}, False),
    ],
)
def test_matches(selector: str | dict[str, str] | None, expected: bool) -> None:
    assert matches(selector, LABELS) is expected


@pytest.mark.parametrize(
    "bad",
    [
        "=a",
        "zone=a=b",
        "zone a",
        "zone in a",
        "zone in ()",
        "zone in (a b)",
        "zone in (a",
        "zone,",
        ",zone",
        "a,,b",
        "!",
        "!zone=a",
        "zone=(a)",
        "bad key=a",
        "-leading=a",
        "zone=bad value",
        "zone=" + "v" * 64,
        "k" * 64,
        "UPPER.example/x=y",
        "zone > 1",
    ],
)
def test_bad_syntax_is_a_value_error(bad: str) -> None:
    with pytest.raises(ValueError, match=r"selector|label"):
        parse(bad)


def test_bad_mapping_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="label value"):
        parse({"zone": "not ok"})


def test_to_string_is_canonical() -> None:
    assert to_string("zone == a, role in (b, a), !gpu, rack, x notin (z)") == (
        "zone=a,role in (a,b),!gpu,rack,x notin (z)"
    )
    assert to_string({"b": "2", "a": "1"}) == "a=1,b=2"
    assert to_string(None) == "" and to_string("") == ""


def test_parse_gives_requirements() -> None:
    assert parse("a!=b, c in (d)") == Selector(
        (Requirement("a", "!=", ("b",)), Requirement("c", "in", ("d",)))
    )
    selector = parse("a")
    assert parse(selector) is selector


names = st.from_regex(r"[a-z0-9]([a-z0-9._-]{0,10}[a-z0-9])?", fullmatch=True)
label_maps = st.dictionaries(names, names | st.just(""), max_size=4)
requirements = st.one_of(
    st.builds(lambda k, v: Requirement(k, "=", (v,)), names, names),
    st.builds(lambda k, v: Requirement(k, "!=", (v,)), names, names),
    st.builds(lambda k: Requirement(k, "exists"), names),
    st.builds(lambda k: Requirement(k, "!"), names),
    st.builds(
        lambda k, vs: Requirement(k, "in", tuple(sorted(vs))), names, st.sets(names, min_size=1)
    ),
    st.builds(
        lambda k, vs: Requirement(k, "notin", tuple(sorted(vs))), names, st.sets(names, min_size=1)
    ),
)
selectors = st.lists(requirements, max_size=4).map(lambda rs: Selector(tuple(rs)))


@given(selectors)
def test_string_form_round_trips(selector: Selector) -> None:
    assert parse(to_string(selector)) == selector


@given(selectors, label_maps)
def test_string_form_selects_the_same(selector: Selector, labels: dict[str, str]) -> None:
    assert matches(to_string(selector), labels) == selector.matches(labels)


@given(label_maps, label_maps)
def test_mapping_selects_its_superset_labels(wanted: dict[str, str], extra: dict[str, str]) -> None:
    labels = {**extra, **wanted}
    assert matches(wanted, labels)
    assert matches(to_string(wanted), labels)


@given(st.dictionaries(names, names, min_size=1), label_maps)
def test_equality_and_negation_are_opposites(pairs: dict[str, str], labels: dict[str, str]) -> None:
    for key, value in pairs.items():
        assert matches(f"{key}={value}", labels) != matches(f"{key}!={value}", labels)
        assert matches(key, labels) != matches(f"!{key}", labels)
        assert matches(f"{key} in ({value})", labels) != matches(f"{key} notin ({value})", labels)
