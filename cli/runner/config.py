"""A program's stack config as the engine hands it over: Pulumi.yaml declarations, then the stack file.

- `config:` in Pulumi.yaml declares keys with `type` (string, integer, boolean, array),
  `default`, `secret` and `description`, or gives a project-wide `value` (also as a bare
  scalar). Bare keys belong to the project's namespace (`bucketName` -> `shop:bucketName`).
- Pulumi.<stack>.yaml values override; `secure:` values are secrets that cannot be decrypted
  offline (an opaque placeholder, marked secret).
- A value of the wrong declared type, or a declared key with neither default nor value, is a
  config error (exit 2) naming the file, the key and the `pulumi config set` command.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cli.capture import stack_config_for_engine
from cli.errors import UsageError

_SCHEMA_KEYS = {"type", "default", "value", "secret", "description", "items"}
_TYPES = {"string": str, "integer": int, "boolean": bool, "array": list}


def _full(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _is_declaration(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value) and set(value) <= _SCHEMA_KEYS and (
        "type" in value or "default" in value or "value" in value or "secret" in value)


def _type_ok(value: Any, kind: str) -> bool:
    if isinstance(value, Mapping) and set(value) == {"secure"}:
        return True  # encrypted: its type is checked by the engine after decryption
    expected = _TYPES.get(kind)
    if expected is None:
        return True
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool) or (isinstance(value, str) and value.lstrip("-").isdigit())
    if expected is bool:
        return isinstance(value, bool) or value in ("true", "false")
    return isinstance(value, expected)


def program_config(manifest: Mapping[str, Any], project: str, stack: str, stack_values: Mapping[str, Any],
                   stack_display: str, manifest_display: str = "Pulumi.yaml") -> tuple[dict[str, str], list[str]]:
    """(string values by full key, secret keys) for one stack, or a UsageError."""
    declared = manifest.get("config") or {}
    if not isinstance(declared, Mapping):
        raise UsageError(f"{manifest_display}: config: must be a mapping of keys, got {type(declared).__name__}")
    merged: dict[str, Any] = {}
    types: dict[str, str] = {}
    secret: set[str] = set()
    required: list[str] = []
    for raw_key, spec in declared.items():
        key = _full(str(raw_key), project)
        if _is_declaration(spec):
            if "type" in spec:
                types[key] = str(spec["type"])
                if types[key] not in _TYPES:
                    raise UsageError(f"{manifest_display}: config.{raw_key}.type: unknown type {types[key]!r}; "
                                     f"use one of {', '.join(_TYPES)}")
            if spec.get("secret"):
                secret.add(key)
            if "value" in spec:
                merged[key] = spec["value"]
            elif "default" in spec:
                merged[key] = spec["default"]
            else:
                required.append(key)
        else:
            merged[key] = spec
    lines: list[str] = []
    for raw_key, value in stack_values.items():
        key = _full(str(raw_key), project)
        if key in types and not _type_ok(value, types[key]):
            lines.append(f"{stack_display}: config.{raw_key}: must be of type {types[key]} (declared in "
                         f"{manifest_display}), got {value!r}; fix the value")
        merged[key] = value
    for key in required:
        if key not in merged:
            flag = " --secret" if key in secret else ""
            lines.append(f"{stack_display}: config.{key} is required (declared in {manifest_display}) and missing; "
                         f"set it with `pulumi config set {key} <value>{flag} --stack {stack}`")
    if lines:
        raise UsageError(lines[0], lines=lines)
    values, secret_keys = stack_config_for_engine(merged)
    return values, sorted(set(secret_keys) | (secret & set(values)))


def read_manifest(root: Path) -> dict[str, Any]:
    import yaml

    try:
        doc = yaml.safe_load((root / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise UsageError(f"{root / 'Pulumi.yaml'}: cannot be read ({err.__class__.__name__}); fix the project file") from None
    if not isinstance(doc, Mapping):
        raise UsageError(f"{root / 'Pulumi.yaml'}: must be a mapping; fix the project file")
    return dict(doc)
