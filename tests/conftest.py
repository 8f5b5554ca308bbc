"""Shared fixtures: the real project, and a minimal valid environment to mutate."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 22)


def minimal_values() -> dict[str, Any]:
    """The smallest valid `infra:` namespace (no clouds)."""
    return {
        "tier": "development",
        "organization": {
            "name": "Example Org",
            "short_name": "ex",
            "owners": [{"name": "Owner", "email": "owner@example.org"}],
            "security_contact": "security@example.org",
        },
        "cost_centers": [{"name": "operations"}],
        "default_cost_center": "operations",
        "network": {"azure_hub_cidr": "10.1.0.0/20", "aws_vpc_cidr": "10.2.0.0/16"},
        "identity": {"github_repository": "example-org/civic-infra"},
    }


def write_stack(stacks_dir: Path, name: str, values: dict[str, Any], extra: dict[str, Any] | None = None) -> Path:
    stacks_dir.mkdir(parents=True, exist_ok=True)
    config = {f"infra:{k}": v for k, v in values.items()}
    config.update(extra or {})
    path = stacks_dir / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def values() -> dict[str, Any]:
    return copy.deepcopy(minimal_values())


@pytest.fixture
def tmp_project(tmp_path: Path) -> Path:
    """A throwaway project with a Pulumi.yaml and an empty stacks/ folder."""
    (tmp_path / "Pulumi.yaml").write_text(
        "name: tmp-project\nruntime: python\nstackConfigDir: stacks\nmain: program\n", encoding="utf-8"
    )
    (tmp_path / "stacks").mkdir()
    return tmp_path


@pytest.fixture(autouse=True)
def _no_capture_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run each program afresh (and may stub it); tests/cli/test_cache.py turns the cache on."""
    monkeypatch.setenv("INFRA_NO_CACHE", "1")
