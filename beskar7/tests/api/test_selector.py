"""hostSelector: the Kubernetes LabelSelector shape, validated, and how it matches."""

import pytest
from pydantic import ValidationError

from beskar7.api.selector import LabelSelector


@pytest.mark.parametrize(
    ("expression", "labels", "matches"),
    [
        ({"key": "t", "operator": "In", "values": ["a", "b"]}, {"t": "b"}, True),
        ({"key": "t", "operator": "In", "values": ["a"]}, {}, False),
        ({"key": "t", "operator": "NotIn", "values": ["a"]}, {}, True),
        ({"key": "t", "operator": "NotIn", "values": ["a"]}, {"t": "a"}, False),
        ({"key": "t", "operator": "Exists"}, {"t": ""}, True),
        ({"key": "t", "operator": "DoesNotExist"}, {"t": ""}, False),
    ],
)
def test_match_expressions(
    expression: dict[str, object], labels: dict[str, str], matches: bool
) -> None:
    selector = LabelSelector.model_validate({"matchExpressions": [expression]})
    assert selector.matches(labels) is matches


@pytest.mark.parametrize(
    "expression",
    [
        {"key": "t", "operator": "In"},
        {"key": "t", "operator": "Exists", "values": ["x"]},
        {"key": "t", "operator": "Near", "values": ["x"]},
        {"key": "", "operator": "Exists"},
    ],
)
def test_bad_expressions_are_refused(expression: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        LabelSelector.model_validate({"matchExpressions": [expression]})


def test_describe_reads_like_kubectl() -> None:
    selector = LabelSelector.model_validate(
        {
            "matchLabels": {"tier": "gold"},
            "matchExpressions": [
                {"key": "zone", "operator": "In", "values": ["a", "b"]},
                {"key": "gpu", "operator": "DoesNotExist"},
            ],
        }
    )
    assert selector.describe() == "tier=gold,zone in (a,b),!gpu"
