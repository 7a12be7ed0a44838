"""A Kubernetes label selector (`matchLabels`, `matchExpressions`) as a spec field, and how it
matches a label map. Every requirement must hold; an empty selector matches everything."""

from collections.abc import Mapping
from enum import StrEnum

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from beskar7.api.meta import SpecModel


class SelectorOperator(StrEnum):
    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


class SelectorRequirement(SpecModel):
    key: str = Field(min_length=1, max_length=317)
    operator: SelectorOperator
    values: list[str] = Field(default_factory=list)
    """Required (non-empty) for In and NotIn; must be empty for Exists and DoesNotExist."""

    @model_validator(mode="after")
    def _values_fit_operator(self) -> "SelectorRequirement":
        wants = self.operator in (SelectorOperator.IN, SelectorOperator.NOT_IN)
        if wants and not self.values:
            raise PydanticCustomError("values", f"operator {self.operator} needs values")
        if not wants and self.values:
            raise PydanticCustomError("values", f"operator {self.operator} takes no values")
        return self

    def matches(self, labels: Mapping[str, str]) -> bool:
        present, value = self.key in labels, labels.get(self.key)
        match self.operator:
            case SelectorOperator.IN:
                return present and value in self.values
            case SelectorOperator.NOT_IN:
                return not present or value not in self.values
            case SelectorOperator.EXISTS:
                return present
            case _:
                return not present


class LabelSelector(SpecModel):
    match_labels: dict[str, str] = Field(default_factory=dict)
    match_expressions: list[SelectorRequirement] = Field(default_factory=list)

    def matches(self, labels: Mapping[str, str]) -> bool:
        pairs = all(labels.get(k) == v for k, v in self.match_labels.items())
        return pairs and all(r.matches(labels) for r in self.match_expressions)

    def describe(self) -> str:
        """kubectl's string form, for messages: `a=b,c in (x,y),!d`."""
        parts = [f"{k}={v}" for k, v in sorted(self.match_labels.items())]
        for r in self.match_expressions:
            match r.operator:
                case SelectorOperator.EXISTS:
                    parts.append(r.key)
                case SelectorOperator.DOES_NOT_EXIST:
                    parts.append(f"!{r.key}")
                case _:
                    op = "in" if r.operator == SelectorOperator.IN else "notin"
                    parts.append(f"{r.key} {op} ({','.join(r.values)})")
        return ",".join(parts)
