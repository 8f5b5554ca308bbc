"""Read a `pulumi stack export` file into a `Capture`, to audit deployed state offline.

Inputs are taken as recorded in the state (the engine's wire form). Secrets there are
`{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": ...}`
objects (or `"plaintext": ...` when exported with --show-secrets); either way they become
"[secret]" and never reach a report. A plain-text value at a secret-shaped key becomes
"[plaintext secret]", exactly as in a program capture.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cli.capture import (
    _SECRET_SIG,
    _SIG_KEY,
    SECRET,
    STACK_TYPE,
    Capture,
    Resource,
    _mask_plaintext,
)
from cli.errors import UsageError


def _unwrap(value: Any, path: str, secrets: list[str]) -> Any:
    if isinstance(value, Mapping):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            secrets.append(path)
            return SECRET
        return {k: _unwrap(v, f"{path}.{k}" if path else k, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v, f"{path}[{i}]", secrets) for i, v in enumerate(value)]
    return value


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _stack_and_project(urn: str) -> tuple[str, str]:
    parts = urn.split("::")
    return parts[0].removeprefix("urn:pulumi:"), parts[1]


def capture_from_export(document: Mapping[str, Any], source: str = "state") -> Capture:
    """A Capture of every live resource in a stack export document (deployment.resources[])."""
    deployment = document.get("deployment") if isinstance(document, Mapping) else None
    if not isinstance(deployment, Mapping) or not isinstance(deployment.get("resources", []), list):
        raise ValueError("has no deployment.resources list; create it with `pulumi stack export --file FILE`")
    raw = [r for r in deployment.get("resources") or [] if isinstance(r, Mapping) and isinstance(r.get("urn"), str)]
    stack = project = "unknown"
    resources: list[Resource] = []
    for r in raw:
        urn, type_ = r["urn"], str(r.get("type", ""))
        if stack == "unknown" and urn.startswith("urn:pulumi:") and urn.count("::") >= 3:
            stack, project = _stack_and_project(urn)
        if type_ == STACK_TYPE or r.get("delete"):
            continue
        secrets: list[str] = []
        inputs = _unwrap(dict(r.get("inputs") or {}), "", secrets)
        plaintext = _mask_plaintext(type_, inputs)
        provider = r.get("provider")
        resources.append(
            Resource(
                urn=urn,
                type=type_,
                name=_name(urn),
                parent=r.get("parent") if r.get("parent") and STACK_TYPE not in str(r.get("parent")) else None,
                dependencies=tuple(sorted(set(r.get("dependencies") or ()))),
                property_dependencies={
                    k: tuple(sorted(set(v or ()))) for k, v in sorted((r.get("propertyDependencies") or {}).items())
                },
                protect=bool(r.get("protect", False)),
                retain_on_delete=bool(r.get("retainOnDelete", False)),
                custom=bool(r.get("custom", False)),
                provider=provider.rsplit("::", 1)[0] if isinstance(provider, str) and provider else None,
                inputs=inputs,
                secret_paths=tuple(secrets),
                plaintext_secret_paths=tuple(plaintext),
            )
        )
    return Capture(environment=stack, project=project, resources=tuple(sorted(resources, key=lambda x: x.urn)),
                   source=source)


_OPTIONAL_TYPES: dict[str, tuple[type, ...]] = {
    "inputs": (dict,), "outputs": (dict,), "dependencies": (list,), "propertyDependencies": (dict,),
    "protect": (bool,), "retainOnDelete": (bool,), "custom": (bool,), "delete": (bool,),
    "parent": (str,), "provider": (str,), "id": (str,),
}
_TYPE_NAMES = {dict: "an object", list: "a list", bool: "true or false", str: "a string"}


def _kind(value: Any) -> str:
    return "null" if value is None else {dict: "an object", list: "a list", bool: "a boolean", str: "a string"}.get(
        type(value), type(value).__name__)


def export_problems(document: Any, limit: int = 10) -> list[str]:
    """Where a `pulumi stack export` document is malformed, as `$.json.path: what`; empty when usable."""
    problems: list[str] = []
    if not isinstance(document, dict):
        return [f"$: must be an object (the output of `pulumi stack export`), got {_kind(document)}"]
    deployment = document.get("deployment")
    if not isinstance(deployment, dict):
        return [f"$.deployment: must be an object, got {_kind(deployment)}"]
    resources = deployment.get("resources")
    if not isinstance(resources, list):
        return [f"$.deployment.resources: must be a list, got {_kind(resources)}"]
    live = 0
    for i, r in enumerate(resources):
        at = f"$.deployment.resources[{i}]"
        if not isinstance(r, dict):
            problems.append(f"{at}: must be an object, got {_kind(r)}")
            continue
        urn, type_ = r.get("urn"), r.get("type")
        if not isinstance(urn, str) or not urn.startswith("urn:pulumi:") or urn.count("::") < 3:
            problems.append(f"{at}.urn: must be a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>), got "
                            + (repr(urn[:60]) if isinstance(urn, str) else _kind(urn)))
        if not isinstance(type_, str) or not type_:
            problems.append(f"{at}.type: must be a type token such as aws:s3/bucket:Bucket, got "
                            + (repr(type_) if isinstance(type_, str) else _kind(type_)))
        for key, types_ in _OPTIONAL_TYPES.items():
            if key in r and r[key] is not None and not isinstance(r[key], types_):
                problems.append(f"{at}.{key}: must be {_TYPE_NAMES[types_[0]]}, got {_kind(r[key])}")
        deps = r.get("dependencies")
        if isinstance(deps, list) and not all(isinstance(d, str) for d in deps):
            problems.append(f"{at}.dependencies: must be a list of URNs")
        if type_ != STACK_TYPE and not r.get("delete"):
            live += 1
        if len(problems) >= limit:
            break
    if not problems and live == 0:
        problems.append("$.deployment.resources: holds no resources to check (a stack that was never deployed?); "
                        "export a deployed stack")
    return problems[:limit]


def read_state(path: Path) -> Capture:
    """The Capture of a `pulumi stack export` file, or a UsageError (exit 2) saying what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"--state {path}: file not found; export it with `pulumi stack export --file {path}`") from None
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"--state {path}: cannot be read ({err.__class__.__name__}); check the file") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise UsageError(f"--state {path}: not JSON (line {err.lineno}: {err.msg}); "
                         "pass the output of `pulumi stack export`") from None
    problems = export_problems(document)
    if problems:
        lines = [f"--state {path}: {p}" for p in problems]
        lines.append("pass the unmodified output of `pulumi stack export --file FILE`")
        raise UsageError(lines[0], lines=lines)
    try:
        return capture_from_export(document, source=f"state:{path.name}")
    except ValueError as err:
        raise UsageError(f"--state {path}: {err}") from None
