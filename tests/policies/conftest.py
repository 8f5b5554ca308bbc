"""Plans of the real environments, made once per session for the policy tests that need them."""

from __future__ import annotations

import pytest

from tests.conftest import REPO, TODAY


@pytest.fixture(scope="session")
def real_plans():
    """name -> (Environment, Capture) for dev, staging and prod, planned lazily and once."""
    from cli.plan import plan_environment
    from cli.project import find_project
    from stacks.loader import load_environment

    project = find_project(REPO)
    cache: dict[str, tuple] = {}

    def get(name: str):
        if name not in cache:
            env = load_environment(project.stacks_dir, name, today=TODAY)
            cache[name] = (env, plan_environment(project, env))
        return cache[name]

    return get
