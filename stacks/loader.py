"""Read `stacks/Pulumi.<env>.yaml`, validate its `infra:` namespace once, report every problem.

`load_environment` is the only way the toolkit turns a stack file into an `Environment`.
Problems render as `stacks/Pulumi.<env>.yaml: infra:<key.path>: <what>, got <value>; <fix>`.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from stacks.model import SECRET_FIELDS, Environment
from stacks.rules import NOTHING, Problem, RuleContext, _printable, check, check_partial

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


MAX_FILE_BYTES = 1024 * 1024
"""A stack file is small text; anything bigger is a mistake or an attack."""
MAX_NODES = 100_000
"""YAML nodes after anchors/aliases are expanded (a shipped file has about 300)."""
MAX_DEPTH = 64
"""Nesting depth of mappings and lists."""
MAX_PROBLEMS = 100
"""Problems listed for one file; a file with more is mostly noise after the first ones."""
NAME_RULE = re.compile(r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$")
NAME_HELP = "environment names are 2-24 lower-case letters, digits and dashes, starting with a letter"


def check_environment_name(name: str) -> None:
    """A ConfigError stating the rule, for a name that could not be a stack file of ours."""
    if not isinstance(name, str) or not NAME_RULE.match(name):
        shown = repr(name) if len(repr(name)) <= 40 else repr(name)[:37] + "..."
        raise ConfigError([f"--env {shown}: {NAME_HELP} (e.g. dev, staging, prod)"])


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """yaml.safe_load semantics, plus: a repeated key in one mapping is an error."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # an unhashable key fails in the base constructor with its own message
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None, None,
                    f"duplicate key {str(key)!r} (first at line {first.start_mark.line + 1}); "
                    "keep one: with two, one block would be silently dropped",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def _expanded_size(root: yaml.Node) -> int:
    """Nodes in the document with every alias expanded; stops early beyond MAX_NODES."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise _Bounded(f"nests deeper than {MAX_DEPTH} levels; flatten it")
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _Bounded("an alias refers to the node that contains it; remove the recursive anchor")
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        for child in children:
            total += size(child, depth + 1)
            if total > MAX_NODES:
                raise _Bounded(
                    f"expands to more than {MAX_NODES} values through anchors and aliases; "
                    "write the values out or remove the aliases"
                )
        active.discard(key)
        sizes[key] = total
        return total

    return size(root, 0)


class _Bounded(Exception):
    pass


def _read_bounded(path: Path, display: str) -> str:
    """The file's text: a regular file of at most MAX_FILE_BYTES, never blocking on a device or pipe."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ConfigError([f"{display}: file not found; create it, or run `infra envs` to list environments"]) from None
    except OSError as err:
        raise ConfigError([f"{display}: cannot be opened ({err.strerror or err.__class__.__name__}); check the file"]) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError([f"{display}: is not a regular file (a device, pipe or folder); replace it with a YAML file"])
        if info.st_size > MAX_FILE_BYTES:
            raise ConfigError([f"{display}: is {info.st_size} bytes, more than the {MAX_FILE_BYTES} allowed; a stack file is a few KiB"])
        data = os.read(fd, MAX_FILE_BYTES + 1)
        # the size may change between fstat and read: trust only what was read
        if len(data) > MAX_FILE_BYTES:
            raise ConfigError([f"{display}: is more than the {MAX_FILE_BYTES} bytes allowed; a stack file is a few KiB"])
        while len(data) < info.st_size:
            more = os.read(fd, MAX_FILE_BYTES + 1 - len(data))
            if not more:
                break
            data += more
    except OSError as err:
        raise ConfigError([f"{display}: cannot be read ({err.strerror or err.__class__.__name__}); check the file"]) from None
    finally:
        os.close(fd)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError([f"{display}: is not UTF-8 text; save it as UTF-8"]) from None


def parse_yaml(text: str, display: str) -> Any:
    """One YAML document, strictly: no duplicate keys, bounded alias expansion and depth."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node)
        return loader.construct_document(node)
    except _Bounded as err:
        raise ConfigError([f"{display}: {err}"]) from None
    except RecursionError:
        raise ConfigError([f"{display}: nests too deeply; flatten it"]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        what = getattr(err, "problem", None) or "invalid YAML"
        fix = "" if "duplicate key" in what else "; fix the YAML syntax"
        raise ConfigError([_printable(f"{display}: {where}: {what}{fix}")]) from None
    finally:
        loader.dispose()


def read_config(path: Path, display: str) -> dict[str, Any]:
    """The `config:` mapping of a stack file, or a ConfigError naming the line at fault."""
    doc = parse_yaml(_read_bounded(path, display), display)
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


REDACTED = "[redacted]"
_SECRET_WORDS = ("key", "secret", "password", "passwd", "token", "credential")


def looks_secret(loc: tuple[Any, ...]) -> bool:
    """True when any key on the path is, or looks like, a secret: its value is never shown.

    A secret field itself, anything under one, a misspelling of one (`vpn_shared_kee`) and any
    key whose name holds a secret-like word (`api_token`, `db_password`, `signing_key`).
    """
    import difflib

    for part in loc:
        if not isinstance(part, str):
            continue
        name = part.lower()
        if name in SECRET_FIELDS or any(word in name for word in _SECRET_WORDS):
            return True
        if difflib.get_close_matches(name, SECRET_FIELDS, n=1, cutoff=0.75):
            return True
    return False


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
    if looks_secret(tuple(err["loc"])):
        value = REDACTED
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
    notes: list[str] | None = None,
) -> Environment:
    """Read, validate and rule-check one environment; ConfigError lists every problem.

    Only this environment's file is read, plus (for production only) its staging peers; a
    peer that cannot be read adds one line to `notes` and never stops this environment.
    """
    today = today or date.today()
    check_environment_name(name)
    path = stack_file(stacks_dir, name)
    display = _display(path, display_root)
    if not os.path.lexists(path):
        known = ", ".join(environment_names(stacks_dir)) or "none"
        raise ConfigError([f"{display}: environment {name!r} has no stack file; known environments: {known}"])
    values = infra_namespace(read_config(path, display))
    env, problems = validate_values(name, values)
    peers = _peers(stacks_dir, name, display_root, notes) if _needs_peers(values) else {}
    ctx = RuleContext(today=today, peers=peers)
    problems = problems + (check(env, ctx) if env is not None else check_partial(name, values, ctx))
    if problems:
        lines = [p.render(display) for p in problems[:MAX_PROBLEMS]]
        if len(problems) > MAX_PROBLEMS:
            lines.append(f"{display}: ... and {len(problems) - MAX_PROBLEMS} more problem(s); fix these first")
        raise ConfigError(lines)
    assert env is not None
    if notes is not None:
        from stacks.rules import access_warnings

        notes += [w.render(display) for w in access_warnings(env, today)]
    return env


def _needs_peers(values: Mapping[str, Any]) -> bool:
    """Only production is compared with other environments (production_is_strictest)."""
    return values.get("tier") == "production"


def _peers(stacks_dir: Path, name: str, display_root: Path | None = None, notes: list[str] | None = None) -> dict[str, Environment]:
    """Other environments that validate on their own fields, for cross-environment rules."""
    peers: dict[str, Environment] = {}
    for other in environment_names(stacks_dir):
        if other == name or not NAME_RULE.match(other):
            continue
        path = stack_file(stacks_dir, other)
        shown = _display(path, display_root)
        try:
            values = infra_namespace(read_config(path, shown))
        except ConfigError as err:
            if notes is not None:
                notes.append(f"note: {err.lines[0]} (not compared with {name})")
            continue
        env, _ = validate_values(other, values)
        if env is not None:
            peers[other] = env
        elif notes is not None and values.get("tier") == "staging":
            notes.append(f"note: {shown}: does not validate; {name} is not compared with it (run `infra validate --env {other}`)")
    return peers


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return f"{path.parent.name}/{path.name}"
