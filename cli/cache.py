"""The capture cache: run an environment's program once, reuse its capture across offline commands.

`environment_capture(project, env)` is where plan, policy check, graph and compliance get a
`Capture`. On a miss it calls `cli.plan.plan_environment` (however that produces the capture)
and stores the result under `.infra/cache/`; on a hit it returns the stored capture, which is
equal to what the program would give.

The key is a SHA-256 over everything that can change a capture: the project's Python and YAML
files (the program, its components, the stack files), Pulumi.yaml, the installed
distributions and their versions (providers, SDK), the tool's version and capture code, the
Python version, the environment's name and today's date (the program reads it). Any change is
a different key, so a stale entry is never used; entries past the size bound are evicted,
least recently used first.

The cache holds the capture exactly as `infra plan --format json` shows it: secrets are
already "[secret]" / "[plaintext secret]" there, so no secret value is ever written. A cache
file is hostile input: it is read only when it is a regular file owned by this user and not
writable by others, at most `MAX_ENTRY_BYTES`, with a header naming its key and a digest of
its body; anything else is ignored and rebuilt. `--no-cache` (or INFRA_NO_CACHE=1) bypasses it.
A `--program` directory (anyone's code) is never cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from cli.capture import Capture, Resource

FORMAT = 1
MAGIC = b"civic-infra-capture-cache"
MAX_ENTRY_BYTES = 32 * 1024 * 1024
"""A cache file larger than this is not read (a prod capture is well under 2 MiB)."""
MAX_TOTAL_BYTES = 128 * 1024 * 1024
"""The cache directory is trimmed to this size after each write, oldest entries first."""
DISABLE_ENV = "INFRA_NO_CACHE"

_SOURCE_SUFFIXES = (".py", ".yaml", ".yml")
_SKIP_DIRS = {"__pycache__", "node_modules", "out", "build", "dist"}
_TOOL_FILES = ("__init__.py", "capture.py", "plan.py", "cache.py", "state.py")
_STREAM = 1 << 20


def enabled(use_cache: bool = True) -> bool:
    """False when the caller or the environment (INFRA_NO_CACHE=1) turned the cache off."""
    return use_cache and os.environ.get(DISABLE_ENV, "").strip().lower() in ("", "0", "false", "no")


def cache_dir(project: Any) -> Path:
    return Path(project.state_dir) / "cache"


# --- the key -----------------------------------------------------------------------------------


def _source_files(root: Path) -> Iterator[Path]:
    """Python and YAML files under `root`, skipping hidden folders, caches and virtualenvs."""
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(
            d for d in dirs
            if not d.startswith(".") and d not in _SKIP_DIRS and not d.endswith(".egg-info")
            and not (here / d / "pyvenv.cfg").exists()
        )
        for name in sorted(files):
            if name.endswith(_SOURCE_SUFFIXES):
                yield here / name


def _hash_file(digest: Any, path: Path, label: str) -> None:
    digest.update(f"\0file\0{label}\0".encode())
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_STREAM):
                digest.update(chunk)
    except OSError as err:
        digest.update(f"\0unreadable\0{err.__class__.__name__}".encode())


def _installed() -> list[str]:
    """Every installed distribution as `name-version` (the dist-info folder names)."""
    found: set[str] = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        found.update(n for n in names if n.endswith((".dist-info", ".egg-info")))
    return sorted(found)


def environment_key(project: Any, name: str, *, today: date | None = None) -> str:
    """The content hash that names `name`'s capture; any change to its inputs changes it."""
    from cli import __version__

    digest = hashlib.sha256()
    digest.update(json.dumps({
        "format": FORMAT, "tool": __version__, "python": sys.version, "mode": "environment",
        "project": project.name, "environment": name, "today": (today or date.today()).isoformat(),
        "program_dir": str(project.program_dir), "stacks_dir": str(project.stacks_dir),
        "installed": _installed(),
    }, sort_keys=True).encode())
    tool = Path(__file__).parent
    for file in _TOOL_FILES:
        _hash_file(digest, tool / file, f"tool/{file}")
    roots = [Path(project.root)]
    for extra in (Path(project.program_dir), Path(project.stacks_dir)):
        if not extra.resolve().is_relative_to(Path(project.root).resolve()):
            roots.append(extra)
    for root in roots:
        for path in _source_files(root):
            _hash_file(digest, path, f"{root}/{path.relative_to(root).as_posix()}")
    return digest.hexdigest()


# --- the file format ------------------------------------------------------------------------------


def _resource_to_cache(r: Resource) -> dict[str, Any]:
    return {
        **r.to_json(),
        "secret_paths": list(r.secret_paths),
        "plaintext_secret_paths": list(r.plaintext_secret_paths),
    }


def _str_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return tuple(value)


def _opt_str(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError("expected a string or null")
    return value


_FIELDS = frozenset({
    "urn", "type", "name", "parent", "dependencies", "property_dependencies", "protect", "retain_on_delete",
    "custom", "provider", "inputs", "secret_paths", "plaintext_secret_paths",
})


def _resource_from_cache(data: Any) -> Resource:
    """A Resource from its cached form, checking every field's type (the file is untrusted)."""
    if not isinstance(data, dict) or set(data) != _FIELDS:
        raise ValueError("a resource has missing or unexpected fields")
    for key in ("urn", "type", "name"):
        if not isinstance(data[key], str):
            raise ValueError(f"resource {key} is not a string")
    deps = data["property_dependencies"]
    if not isinstance(deps, dict):
        raise ValueError("property_dependencies is not an object")
    if not all(isinstance(data[k], bool) for k in ("protect", "retain_on_delete", "custom")):
        raise ValueError("a resource flag is not a boolean")
    if not isinstance(data["inputs"], dict):
        raise ValueError("inputs is not an object")
    return Resource(
        urn=data["urn"], type=data["type"], name=data["name"], parent=_opt_str(data["parent"]),
        dependencies=_str_list(data["dependencies"]),
        property_dependencies={str(k): _str_list(v) for k, v in deps.items()},
        protect=data["protect"], retain_on_delete=data["retain_on_delete"], custom=data["custom"],
        provider=_opt_str(data["provider"]), inputs=data["inputs"],
        secret_paths=_str_list(data["secret_paths"]), plaintext_secret_paths=_str_list(data["plaintext_secret_paths"]),
    )


def encode(capture: Capture, key: str) -> bytes:
    """Header line (magic, format, key, body digest), then the capture as JSON."""
    body = json.dumps({
        "environment": capture.environment, "project": capture.project, "source": capture.source,
        "resources": [_resource_to_cache(r) for r in capture.resources],
    }, separators=(",", ":"), allow_nan=False).encode()
    header = b" ".join((MAGIC, str(FORMAT).encode(), key.encode(), hashlib.sha256(body).hexdigest().encode()))
    return header + b"\n" + body


def decode(blob: bytes, key: str) -> Capture:
    """The capture in `blob`, or ValueError unless it is intact and stored under `key`."""
    header, sep, body = blob.partition(b"\n")
    parts = header.split(b" ")
    if not sep or len(parts) != 4 or parts[0] != MAGIC or parts[1] != str(FORMAT).encode():
        raise ValueError("not a cache file of this format")
    if parts[2] != key.encode():
        raise ValueError("stored under another key")
    if parts[3] != hashlib.sha256(body).hexdigest().encode():
        raise ValueError("body does not match its digest (truncated or edited)")
    data = json.loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("resources"), list):
        raise ValueError("no resource list")
    for field in ("environment", "project", "source"):
        if not isinstance(data.get(field), str):
            raise ValueError(f"{field} is not a string")
    resources = tuple(_resource_from_cache(r) for r in data["resources"])
    return Capture(environment=data["environment"], project=data["project"], resources=resources,
                   source=data["source"])


# --- the store -------------------------------------------------------------------------------------


def _entry(folder: Path, key: str) -> Path:
    return folder / f"capture-{key}.cache"


def _private_dir(folder: Path, create: bool) -> bool:
    """True when `folder` is a real directory owned by this user, mode 0700 (made so when we own it)."""
    if create:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return False
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        return False
    if stat.S_IMODE(info.st_mode) != 0o700:
        try:
            os.chmod(folder, 0o700)
        except OSError:
            return False
    return True


def load(folder: Path, key: str) -> Capture | None:
    """The cached capture for `key`, or None (absent, unsafe, oversized, damaged: then removed)."""
    path = _entry(folder, key)
    if not _private_dir(folder, create=False):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None  # absent, or a symlink (O_NOFOLLOW)
    try:
        info = os.fstat(fd)
        if (not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid()
                or info.st_mode & 0o077 or info.st_size > MAX_ENTRY_BYTES):
            raise ValueError("not a private regular file within the size bound")
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            blob = handle.read(MAX_ENTRY_BYTES + 1)
        if len(blob) > MAX_ENTRY_BYTES:
            raise ValueError("larger than the bound")
        capture = decode(blob, key)
    except (OSError, ValueError, TypeError, RecursionError, UnicodeDecodeError):
        if fd >= 0:
            os.close(fd)
        _discard(path)
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # most recently used
    return capture


def store(folder: Path, key: str, capture: Capture) -> None:
    """Write the entry atomically (0600 in a 0700 folder), then trim the folder to its bound."""
    if not _private_dir(folder, create=True):
        return
    blob = encode(capture, key)
    if len(blob) > MAX_ENTRY_BYTES:
        return
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".capture-", suffix=".tmp", dir=folder)  # mode 0600
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
        os.replace(tmp, _entry(folder, key))
        tmp = None
    except OSError:
        return
    finally:
        if tmp is not None:
            _discard(Path(tmp))
    trim(folder, keep=_entry(folder, key))


def trim(folder: Path, *, keep: Path | None = None, limit: int = MAX_TOTAL_BYTES) -> None:
    """Delete least recently used entries until the folder's entries total at most `limit` bytes."""
    entries = []
    for path in folder.glob("capture-*.cache"):
        try:
            info = path.lstat()
        except OSError:
            continue
        entries.append((info.st_mtime, info.st_size, path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= limit:
            break
        if path == keep:
            continue
        _discard(path)
        total -= size


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


# --- the entry point ------------------------------------------------------------------------------


def cached(folder: Path, key: str, produce: Callable[[], Capture], *, use_cache: bool = True) -> Capture:
    """The capture stored under `key`, else `produce()` (stored for next time)."""
    if not enabled(use_cache):
        return produce()
    hit = load(folder, key)
    if hit is not None:
        return hit
    capture = produce()
    store(folder, key, capture)
    return capture


def environment_capture(project: Any, env: Any, *, use_cache: bool = True, today: date | None = None) -> Capture:
    """`cli.plan.plan_environment(project, env)`, reused while nothing it depends on has changed."""
    from cli import plan
    from cli.gcpause import paused

    with paused():  # thousands of acyclic records decoded (from the runner or the cache)
        if not enabled(use_cache):
            return plan.plan_environment(project, env)
        key = environment_key(project, env.name, today=today)
        return cached(cache_dir(project), key, lambda: plan.plan_environment(project, env))

