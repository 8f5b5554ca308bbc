"""A vendor reads restricted lake data only under a grant the cloud ends (issue 11), through the whole prod plan."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from cli.capture import Capture
from cli.policycheck import check_capture
from cli.project import find_project
from stacks.model import Environment, RestrictedGrant
from tests.components.aws.conftest import ACCOUNT, named
from tests.conftest import REPO, TODAY

POLICY = "aws-vendor-restricted-read-expiry"
ENDS = TODAY + timedelta(days=60)


def _granted(env: Environment) -> Environment:
    """prod, with analytics-firm reading the curated bucket (restricted) under a grant."""
    grant = RestrictedGrant(resource="lake-curated", dataset="voter-file", justification="placeholder: model refresh",
                            expires=ENDS)  # fmt: skip
    vendors = [v.model_copy(update={"aws_read_resources": ["lake-curated"], "restricted_grants": [grant]})
               if v.name == "analytics-firm" else v for v in env.vendors]  # fmt: skip
    return env.model_copy(update={"vendors": vendors})


@pytest.fixture(scope="module")
def granted(prod_env) -> tuple[Environment, Capture]:
    from cli.capture import capture_program, stack_config_for_engine
    from components.platform import define_platform
    from stacks.loader import read_config, stack_file

    env = _granted(prod_env)
    project = find_project(REPO)
    path = stack_file(project.stacks_dir, "prod")
    config, secret_keys = stack_config_for_engine(read_config(path, project.display(path)))
    plan = capture_program(lambda: define_platform(env), project=project.name, stack="prod", config=config,
                           secret_keys=secret_keys, account_id=ACCOUNT)
    return env, plan


def test_prod_vendor_reads_no_restricted_data(prod_plan):
    doc = json.loads(named(prod_plan, "caf-prod-identity-vendor-analytics-firm-read").inputs["policy"])
    text = json.dumps(doc)
    assert "lake-exports" in text and "lake-curated" not in text and "lake-raw" not in text


def test_granted_read_ends_in_the_cloud_and_passes_the_policy(granted):
    env, plan = granted
    policy = named(plan, "caf-prod-identity-vendor-analytics-firm-read")
    for s in json.loads(policy.inputs["policy"])["Statement"]:
        assert s["Condition"]["DateLessThan"] == {"aws:CurrentTime": f"{ENDS.isoformat()}T00:00:00Z"}
    role = named(plan, "caf-prod-identity-vendor-analytics-firm")
    assert role.inputs["tags"]["restricted-access-expires"] == ENDS.isoformat()
    assert not [f for f in check_capture(plan, env, today=TODAY).findings if f.policy == POLICY]


def test_removing_the_end_from_a_restricted_read_fails_the_policy_check(granted):
    env, plan = granted

    def strip(r):
        if r.name == "caf-prod-identity-vendor-analytics-firm-read":
            doc = json.loads(r.inputs["policy"])
            for s in doc["Statement"]:
                s["Condition"].pop("DateLessThan")
            return replace(r, inputs={**r.inputs, "policy": json.dumps(doc)})
        return r

    stripped = replace(plan, resources=tuple(strip(r) for r in plan.resources))
    failed = [f for f in check_capture(stripped, env, today=TODAY).findings if f.policy == POLICY]
    assert failed and "caf-prod-lake-curated" in failed[0].message and "DateLessThan" in failed[0].message
