"""Read `stacks/Pulumi.<env>.yaml`, validate its `infra:` namespace once, report every problem.

`load_environment` is the only way the toolkit turns a stack file into an `Environment`.
Problems render as `stacks/Pulumi.<env>.yaml: infra:<key.path>: <what>, got <value>; <fix>`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from stacks.model import SECRET_FIELDS, Environment
from stacks.rules import NOTHING, Problem, RuleContext, check

NAMESPACE = "infra"
STACK_FILE = re.compile(r"^Pulumi\.([a-z][a-z0-9-]*)\.yaml$")
_MISSING = object()


class ConfigError(Exception):
    """An environment file that cannot be used; `lines` says what, where and how to fix it."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def environment_names(stacks_dir: Path) -> list[str]:
    """Environments with a stack file, in a stable order."""
    if not stacks_dir.is_dir():
        return []
    found = (STACK_FILE.match(p.name) for p in stacks_dir.iterdir())
    return sorted(m.group(1) for m in found if m)


def stack_file(stacks_dir: Path, name: str) -> Path:
    return stacks_dir / f"Pulumi.{name}.yaml"


def read_config(path: Path, display: str) -> dict[str, Any]:
    """The `config:` mapping of a stack file, or a ConfigError naming the line at fault."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{display}: file not found; create it, or run `infra envs` to list environments"]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError([f"{display}: cannot be read ({err.__class__.__name__}); check the file"]) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        what = getattr(err, "problem", None) or "invalid YAML"
        raise ConfigError([f"{display}: {where}: {what}; fix the YAML syntax"]) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, Mapping):
        raise ConfigError([f"{display}: the file must be a mapping with a `config:` key, got {type(doc).__name__}"])
    config = doc.get("config", {})
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        raise ConfigError([f"{display}: config: must be a mapping of `namespace:key: value`, got {type(config).__name__}"])
    return {str(k): v for k, v in config.items()}


def infra_namespace(config: Mapping[str, Any]) -> dict[str, Any]:
    """The `infra:` keys of a stack config, without the prefix."""
    prefix = NAMESPACE + ":"
    return {k[len(prefix):]: v for k, v in config.items() if k.startswith(prefix)}


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_FIXES = {
    "missing": ("is required", "add it (run `infra schema` to see every key)"),
    "extra_forbidden": ("is not a known setting", "remove it or correct the spelling (see `infra schema`)"),
}


def _problem_from_pydantic(err: Mapping[str, Any]) -> Problem:
    path = _path(tuple(err["loc"]))
    kind = err["type"]
    value = err.get("input", _MISSING) if kind != "missing" else _MISSING
    if kind in _FIXES:
        what, fix = _FIXES[kind]
    else:
        msg = str(err["msg"]).removeprefix("Value error, ")
        what, _, fix = msg.partition("; ")
        what = what[0].lower() + what[1:] if what else what
        if "email address" in what:
            what, fix = "is not a valid email address", "write a full address such as it@example.org"
        fix = fix or "see `infra schema` for what this key accepts"
    if path.split(".")[-1] in SECRET_FIELDS:
        value = "[secret]"
    return Problem(path, what, NOTHING if value is _MISSING else value, fix)


def _secret_problems(values: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for key in SECRET_FIELDS:
        if key in values and not (isinstance(values[key], Mapping) and "secure" in values[key]):
            problems.append(
                Problem(key, "is stored in plain text", "[redacted]",
                        f"delete the line and run `pulumi config set --secret {NAMESPACE}:{key}`")
            )

    def walk(value: Any, path: str) -> None:
        if isinstance(value, Mapping):
            if "secure" in value and path.split(".")[0] not in SECRET_FIELDS:
                problems.append(
                    Problem(path, "is a secret where a plain setting is expected", "[secret]",
                            f"only {', '.join(SECRET_FIELDS)} may be secret; set this key in plain text")
                )
                return
            for k, v in value.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")

    walk({k: v for k, v in values.items() if k not in SECRET_FIELDS}, "")
    return problems


def validate_values(name: str, values: Mapping[str, Any]) -> tuple[Environment | None, list[Problem]]:
    """Field-level validation of one environment's `infra:` values."""
    problems = _secret_problems(values)
    if "name" in values:
        problems.append(Problem("name", "is set from the file name", values["name"], "remove this key"))
    data = {k: v for k, v in values.items() if k != "name" and not any(p.key_path == k for p in problems)}
    try:
        env = Environment.model_validate({"name": name, **data})
    except ValidationError as err:
        problems += [_problem_from_pydantic(e) for e in err.errors(include_url=False)]
        return None, problems
    return (env if not problems else None), problems


def load_environment(
    stacks_dir: Path,
    name: str,
    *,
    today: date | None = None,
    display_root: Path | None = None,
) -> Environment:
    """Read, validate and rule-check one environment; ConfigError lists every problem."""
    today = today or date.today()
    path = stack_file(stacks_dir, name)
    display = _display(path, display_root)
    if not STACK_FILE.match(path.name):
        raise ConfigError([f"{display}: environment names are lower-case letters, digits and dashes, got {name!r}"])
    if not path.exists():
        known = ", ".join(environment_names(stacks_dir)) or "none"
        raise ConfigError([f"{display}: environment {name!r} has no stack file; known environments: {known}"])
    env, problems = validate_values(name, infra_namespace(read_config(path, display)))
    if env is not None:
        problems = check(env, RuleContext(today=today, peers=_peers(stacks_dir, name)))
    if problems:
        raise ConfigError([p.render(display) for p in problems])
    assert env is not None
    return env


def _peers(stacks_dir: Path, name: str) -> dict[str, Environment]:
    """Other environments that validate on their own fields, for cross-environment rules."""
    peers: dict[str, Environment] = {}
    for other in environment_names(stacks_dir):
        if other == name:
            continue
        try:
            values = infra_namespace(read_config(stack_file(stacks_dir, other), other))
        except ConfigError:
            continue
        env, _ = validate_values(other, values)
        if env is not None:
            peers[other] = env
    return peers


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return f"{path.parent.name}/{path.name}"
