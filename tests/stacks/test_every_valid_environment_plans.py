"""Every environment that validates can be planned: a property over generated environments.

Each example is validated by the real loader, planned offline (the whole program under the
mock runtime), and checked: it plans, every URN is unique (the engine refuses duplicates), and
the offline policy check is not blocking: a finding is acceptable only when the config itself
allows it (an advisory or disabled level, or an exemption).

A plan takes seconds, so CI runs a few examples; set CIVIC_PLAN_EXAMPLES for more
(`make plan-property` runs 100).
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import date
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings

from cli.plan import plan_environment
from cli.project import find_project
from stacks.loader import ConfigError, load_environment
from tests.conftest import REPO
from tests.stacks.strategies import environments

EXAMPLES = int(os.environ.get("CIVIC_PLAN_EXAMPLES", "3"))


def make_project(root: Path, name: str, values: dict) -> Path:
    (root / "stacks").mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(
        f"name: civic-infra\nruntime: python\nmain: {REPO / 'components' / 'platform'}\nstackConfigDir: stacks\n",
        encoding="utf-8",
    )
    for old in (root / "stacks").glob("Pulumi.*.yaml"):
        old.unlink()
    config = {f"infra:{k}": v for k, v in values.items()}
    (root / "stacks" / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")
    return root


def plan_and_check(root: Path, name: str, values: dict) -> None:
    from cli.policycheck import check_capture

    project = find_project(make_project(root, name, values))
    try:
        env = load_environment(project.stacks_dir, name, today=date.today())
    except ConfigError as err:  # the strategy must only make valid environments
        raise AssertionError("generated environment does not validate:\n" + "\n".join(err.lines)) from None
    capture = plan_environment(project, env)
    urns = Counter(r.urn for r in capture.resources)
    assert not [u for u, n in urns.items() if n > 1], f"duplicate URNs: {[u for u, n in urns.items() if n > 1]}"
    report = check_capture(capture, env)
    blocking = [f"{f.policy}: {f.urn}: {f.message}" for f in report.findings if f.blocking]
    assert not blocking, "blocking findings the config did not allow:\n" + "\n".join(blocking)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 10,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(environments())
def test_every_valid_environment_plans_with_unique_urns_and_passes_policy(tmp_path_factory, example):
    name, values = example
    plan_and_check(tmp_path_factory.mktemp("env"), name, values)
