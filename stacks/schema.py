"""JSON Schema of the `infra:` namespace as it is written in a stack file."""

from __future__ import annotations

from typing import Any

from stacks.model import Environment


def environment_schema() -> dict[str, Any]:
    schema = Environment.model_json_schema(mode="validation")
    schema["properties"].pop("name", None)
    schema["required"] = [k for k in schema.get("required", []) if k != "name"]
    schema["title"] = "civic-infra environment (infra: namespace of stacks/Pulumi.<env>.yaml)"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
