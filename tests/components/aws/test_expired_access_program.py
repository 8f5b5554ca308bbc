"""The program leaves expired vendors and partners out, so the next deploy removes their access."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.components.aws.conftest import ACCOUNT
from tests.conftest import REPO, TODAY

GRANTEES = ("mailhouse", "analytics-firm", "allied-coalition", "000000000901", "000000000902")
"""prod's vendors and partner, by name and by AWS account."""


def _run(env, today):
    from cli.capture import capture_program, stack_config_for_engine
    from cli.project import find_project
    from components.platform import define_platform
    from stacks.loader import read_config, stack_file

    project = find_project(REPO)
    path = stack_file(project.stacks_dir, "prod")
    config, secret_keys = stack_config_for_engine(read_config(path, project.display(path)))
    return capture_program(lambda: define_platform(env, today=today), project=project.name, stack="prod",
                           config=config, secret_keys=secret_keys, account_id=ACCOUNT)


def _mentions(capture) -> set[str]:
    text = json.dumps([(r.name, r.inputs) for r in capture.resources], default=str)
    return {g for g in GRANTEES if g in text}


@pytest.fixture(scope="module")
def expired(prod_env):
    env = prod_env.model_copy(update={
        "vendors": [v.model_copy(update={"expires": TODAY - timedelta(days=1)}) for v in prod_env.vendors],
        "partners": [p.model_copy(update={"expires": TODAY}) for p in prod_env.partners],
    })
    return env, _run(env, TODAY)


def test_expired_vendors_and_partners_get_no_resources(expired, prod_env):
    _, capture = expired
    assert _mentions(capture) == set()
    # The same program grants them while current; mailhouse has Azure access only, which the tenant
    # stack declares (tests/components/test_tenant_stack.py leaves it out there once expired).
    assert _mentions(_run(prod_env, TODAY)) == set(GRANTEES) - {"mailhouse"}


def test_the_access_expiry_policy_passes_on_that_plan(expired):
    from cli.policycheck import check_capture

    env, capture = expired
    report = check_capture(capture, env, today=TODAY)
    assert [f for f in report.findings if f.policy == "access-expiry"] == []
