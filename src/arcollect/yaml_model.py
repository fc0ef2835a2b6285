"""YAML documents validated by a pydantic model, every problem reported as ``source:line: field: message``
(the playbook, the escalation policy). Pure."""

from __future__ import annotations

from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from arcollect.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def _node_at(node: yaml.Node, loc: tuple[Any, ...]) -> yaml.Node:
    """The deepest YAML node along a pydantic error location (the field's value, else its parent)."""
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if match is None:
                key = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
                return key or node
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
    return node


def parse(text: str, model: type[M], *, source: str, what: str, shape: str) -> M:
    """Validate a YAML document against ``model``; InvalidInput lists every problem with its line.
    ``what`` names the document ("playbook"), ``shape`` says what its top level must be."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput(f"{source}{line}: not valid YAML: {problem}") from None
    if not isinstance(data, dict) or root is None:
        raise InvalidInput(f"{source}:1: a{'n' if what[0] in 'aeiou' else ''} {what} is {shape}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            node = _node_at(root, loc)
            field = ".".join(str(p) for p in loc) or "(document)"
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"{source}:{node.start_mark.line + 1}: {field}: {message}")
        raise InvalidInput(f"{source}: the {what} is not valid ({len(problems)} problem"
                           f"{'s' if len(problems) != 1 else ''})", problems) from None
