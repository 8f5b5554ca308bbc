"""The environment model, described for machines (JSON Schema) and people (a Markdown table)."""

from __future__ import annotations

import types
import typing
from enum import Enum
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from stacks.model import Environment


def environment_schema() -> dict[str, Any]:
    """JSON Schema of the `infra:` namespace as it is written in a stack file."""
    schema = Environment.model_json_schema(mode="validation")
    schema["properties"].pop("name", None)
    schema["required"] = [k for k in schema.get("required", []) if k != "name"]
    schema["title"] = "civic-infra environment (infra: namespace of stacks/Pulumi.<env>.yaml)"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


STACK_FILE_KEYS = ("secretsprovider", "encryptedkey", "encryptionsalt", "environment")
"""Top-level keys the Pulumi CLI writes into a stack file besides `config`."""


def stack_file_schema() -> dict[str, Any]:
    """JSON Schema of a whole `stacks/Pulumi.<env>.yaml`: `config:` with every `infra:` key.

    Keys of other namespaces (`aws:region`, `azure-native:location`) pass through unchecked:
    they belong to the providers. An unknown `infra:` key is an error, as in `infra validate`.
    """
    env = environment_schema()
    defs = env.pop("$defs", {})
    infra = {f"infra:{key}": value for key, value in env["properties"].items()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://civic-infra.example.org/schemas/stack-file.json",
        "title": "civic-infra stack file (stacks/Pulumi.<env>.yaml)",
        "description": "Validate with `infra validate --env <env>`; this schema is for editors (yaml-language-server).",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "description": "namespace:key settings; the infra: namespace is the environment model",
                "properties": infra,
                "required": [f"infra:{key}" for key in env.get("required", [])],
                "patternProperties": {"^(?!infra:)": {}},
                "additionalProperties": False,
            },
            **{key: {} for key in STACK_FILE_KEYS},
        },
        "required": ["config"],
        "additionalProperties": False,
        "$defs": defs,
    }


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None and typing.get_origin(annotation) not in (list, dict):
            return found
    return None


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args if a is not type(None)) + (
            " (optional)" if type(None) in args else ""
        )
    if origin is typing.Literal:
        return " \\| ".join(str(a.value if isinstance(a, Enum) else a) for a in args)
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"map {_type_name(args[0])} → {_type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " \\| ".join(m.value for m in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "section" if annotation.__name__ != "Secret" else "secret (`secure:`)"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: Any) -> str:
    if field.is_required():
        return "**required**"
    value = field.default_factory() if field.default_factory is not None else field.default
    if value is PydanticUndefined or value is None:
        return "none"
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if isinstance(value, dict):
        value = {(k.value if isinstance(k, Enum) else k): v for k, v in value.items()}
    return f"`{value}`".replace("|", "\\|")


def environment_reference() -> str:
    """Every key of the `infra:` namespace with its type, default and meaning, as Markdown."""
    rows = ["| key | type | default | what it does |", "|---|---|---|---|"]

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            if model is Environment and name == "name":
                continue
            path = f"{prefix}{name}"
            nested = _model_of(field.annotation)
            doc = field.description or (nested.__doc__ or "").strip().splitlines()[0] if nested else field.description
            rows.append(f"| `{path}` | {_type_name(field.annotation)} | {_default(field)} | {doc or ''} |")
            if nested is not None and nested.__name__ != "Secret":
                walk(nested, f"{path}.")
            elif typing.get_origin(field.annotation) is list:
                item = _model_of(typing.get_args(field.annotation)[0])
                if item is not None:
                    walk(item, f"{path}[].")

    walk(Environment, "")
    return "\n".join(rows) + "\n"
