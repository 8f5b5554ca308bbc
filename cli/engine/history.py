"""Deployment history: one JSON record per deploy attempt, appended to `.infra/history/<env>.jsonl`.

A record says who (git user.email, else $USER), when (UTC, ISO 8601), the git revision (and
whether the tree was dirty), the environment, the summary (counts and changed URNs, never
values) and the result: succeeded, failed, refused, cancelled or no-changes. It is written
whatever the result, so a failed deploy is never missing from the log.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cli.engine.events import EngineSummary

RESULTS = ("succeeded", "failed", "refused", "cancelled", "no-changes")


def _git(args: Sequence[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@dataclass(frozen=True)
class Who:
    """How the record finds out who and what; tests pass fakes."""

    git: Callable[[Sequence[str], Path], str | None] = _git
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    now: Callable[[], datetime] = lambda: datetime.now(UTC)


def identity(project_root: Path, who: Who) -> str:
    """git config user.email, else $USER / $USERNAME, else "unknown"."""
    email = who.git(["config", "user.email"], project_root)
    if email:
        return email
    return who.env.get("USER") or who.env.get("USERNAME") or "unknown"


def revision(project_root: Path, who: Who) -> dict[str, Any]:
    """The commit and whether tracked files differ from it."""
    commit = who.git(["rev-parse", "HEAD"], project_root)
    status = who.git(["status", "--porcelain", "--untracked-files=no"], project_root)
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def summarize(summary: EngineSummary | None) -> dict[str, Any]:
    """The part of a run worth keeping: counts, changed URNs, policy and failures (no values)."""
    if summary is None:
        return {"counts": {}, "changes": [], "policy_violations": 0, "failures": []}
    return {
        "counts": summary.group_counts(),
        "changes": [{"op": c.group, "urn": c.urn} for c in summary.changes],
        "policy_violations": len(summary.policy),
        "mandatory_policy_violations": len(summary.mandatory_violations),
        "failures": [{"op": f.op, "urn": f.urn, "message": f.message} for f in summary.failures],
    }


def make_record(
    *,
    project_root: Path,
    environment: str,
    action: str,
    result: str,
    summary: EngineSummary | None,
    backend: str,
    who: Who,
    plan_file: str | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """One history record (pure apart from the injected `who`)."""
    if result not in RESULTS:
        raise ValueError(f"result must be one of {', '.join(RESULTS)}, got {result!r}")
    return {
        "who": identity(project_root, who),
        "when": who.now().astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "git": revision(project_root, who),
        "environment": environment,
        "action": action,
        "backend": backend,
        "plan_file": plan_file,
        "result": result,
        "error": error,
        "summary": summarize(summary),
    }


def history_file(state_dir: Path, environment: str) -> Path:
    return state_dir / "history" / f"{environment}.jsonl"


def append(state_dir: Path, record: Mapping[str, Any]) -> Path:
    """Append `record` as one JSON line; create the folder on first use."""
    path = history_file(state_dir, str(record["environment"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, sort_keys=True, default=str) + "\n")
    return path


def read(state_dir: Path, environment: str) -> list[dict[str, Any]]:
    """Every record of an environment, oldest first."""
    path = history_file(state_dir, environment)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
