"""The network half of the data perimeter and the exports' Object Lock (issue 11), through the whole plan."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from cli.capture import Capture
from cli.policycheck import check_capture
from cli.project import find_project
from components.aws.bucket import LISTING_ACTIONS, OBJECT_DATA_ACTIONS
from components.aws.ci_identity import CiIdentityArgs, deploy_statements
from policies.aws.iam_data import covered
from stacks.model import Environment, RestrictedGrant
from tests.components.aws.conftest import ACCOUNT, document, named, statement
from tests.conftest import REPO, TODAY

NETWORK = "aws-restricted-bucket-network-perimeter"
LOCK = "aws-exports-bucket-object-lock"
ENDS = TODAY + timedelta(days=60)
S3_ENDPOINT_ID = "caf-prod-network-s3-endpoint-id"  # the capture's id for the network's S3 gateway endpoint
VENDOR_ROLE = f"arn:aws:iam::{ACCOUNT}:role/caf-prod-vendor-analytics-firm"
CI_ROLES = [f"arn:aws:iam::{ACCOUNT}:role/caf-prod-ci-deploy", f"arn:aws:iam::{ACCOUNT}:role/caf-prod-ci-plan"]


def _policy(plan: Capture, role: str) -> dict:
    return document(named(plan, f"caf-prod-lake-{role}-policy"))


def _findings(plan: Capture, env: Environment) -> dict[str, list]:
    found: dict[str, list] = {}
    for f in check_capture(plan, env, today=TODAY).findings:
        found.setdefault(f.policy, []).append(f)
    return found


def test_restricted_buckets_deny_object_access_outside_the_s3_endpoint(prod_plan):
    endpoint = named(prod_plan, "caf-prod-network-s3-endpoint")
    assert endpoint.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    for role in ("raw", "curated"):
        doc = _policy(prod_plan, role)
        objects = statement(doc, "DenyObjectAccessOutsideTheVpc")
        assert objects["Effect"] == "Deny" and objects["Principal"] == {"AWS": "*"}
        assert objects["Action"] == list(OBJECT_DATA_ACTIONS)
        assert objects["Resource"] == f"arn:aws:s3:::caf-prod-lake-{role}/*"
        assert objects["Condition"] == {
            "StringNotEqualsIfExists": {"aws:SourceVpce": [S3_ENDPOINT_ID]},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
            "ForAllValues:StringNotEquals": {"aws:CalledVia": ["athena.amazonaws.com"]},
        }
        listing = statement(doc, "DenyListingOutsideTheVpc")
        assert listing["Action"] == list(LISTING_ACTIONS) and listing["Resource"] == f"arn:aws:s3:::caf-prod-lake-{role}"
        # HeadBucket (a bucket refresh) is s3:ListBucket: the CI roles are excepted from listing only
        assert listing["Condition"]["ArnNotLikeIfExists"] == {"aws:PrincipalArn": CI_ROLES}
        assert "ArnNotLikeIfExists" not in objects["Condition"]
    exports = json.dumps(_policy(prod_plan, "exports"))
    assert "OutsideTheVpc" not in exports  # shared with partners, never restricted


def test_the_network_deny_leaves_every_bucket_action_the_deploy_role_needs(prod_plan):
    deploy = deploy_statements(CiIdentityArgs(account_id=ACCOUNT, region="us-east-1", name_prefix="caf-prod",
                                              github_repository="example-org/civic-infra", environment="prod"))
    bucket_actions = [a for s in deploy if s["Sid"] in ("BucketConfiguration", "OwnBucketPolicyAndLifecycle")
                      for a in s["Action"]]  # fmt: skip
    assert "s3:PutBucketPolicy" in bucket_actions
    doc = _policy(prod_plan, "curated")
    assert covered(statement(doc, "DenyObjectAccessOutsideTheVpc")["Action"], bucket_actions) == []
    assert covered(statement(doc, "DenyListingOutsideTheVpc")["Action"], bucket_actions) == ["s3:ListBucket"]


def _granted(env: Environment) -> Environment:
    grant = RestrictedGrant(resource="lake-curated", dataset="voter-file", justification="placeholder: model refresh",
                            expires=ENDS)  # fmt: skip
    vendors = [v.model_copy(update={"aws_read_resources": ["lake-curated"], "restricted_grants": [grant]})
               if v.name == "analytics-firm" else v for v in env.vendors]  # fmt: skip
    return env.model_copy(update={"vendors": vendors})


def _plan_of(env: Environment) -> Capture:
    """The platform program run on this (changed) model, with the stack file's engine config."""
    from cli.capture import capture_program, stack_config_for_engine
    from components.platform import define_platform
    from stacks.loader import read_config, stack_file

    project = find_project(REPO)
    path = stack_file(project.stacks_dir, env.name)
    config, secret_keys = stack_config_for_engine(read_config(path, project.display(path)))
    return capture_program(lambda: define_platform(env), project=project.name, stack=env.name, config=config,
                           secret_keys=secret_keys, account_id=ACCOUNT)


@pytest.fixture(scope="module")
def granted(prod_env) -> tuple[Environment, Capture]:
    env = _granted(prod_env)
    return env, _plan_of(env)


def test_a_vendor_grant_passes_the_network_perimeter_of_its_bucket_only_until_it_ends(granted):
    env, plan = granted
    curated = _policy(plan, "curated")
    for sid in ("DenyObjectAccessOutsideTheVpc", "DenyListingOutsideTheVpc"):
        assert VENDOR_ROLE in statement(curated, sid)["Condition"]["ArnNotLikeIfExists"]["aws:PrincipalArn"]
    ends = statement(curated, "DenyAfterExpiryCafProdVendorAnalyticsFirm")
    assert ends["Effect"] == "Deny" and ends["Action"] == [*OBJECT_DATA_ACTIONS, *LISTING_ACTIONS]
    assert ends["Condition"] == {"ArnEquals": {"aws:PrincipalArn": VENDOR_ROLE},
                                 "DateGreaterThanEquals": {"aws:CurrentTime": f"{ENDS.isoformat()}T00:00:00Z"}}
    assert VENDOR_ROLE not in json.dumps(_policy(plan, "raw"))  # no grant there
    assert NETWORK not in _findings(plan, env)


def test_removing_the_network_deny_from_prod_fails_the_policy_check(prod_plan, prod_env):
    assert NETWORK not in _findings(prod_plan, prod_env)

    def strip(r):
        if r.name in ("caf-prod-lake-raw-policy", "caf-prod-lake-curated-policy"):
            doc = json.loads(r.inputs["policy"])
            doc["Statement"] = [s for s in doc["Statement"] if not s["Sid"].endswith("OutsideTheVpc")]
            return replace(r, inputs={**r.inputs, "policy": json.dumps(doc)})
        return r

    failed = _findings(replace(prod_plan, resources=tuple(strip(r) for r in prod_plan.resources)), prod_env)[NETWORK]
    assert sorted(f.name for f in failed) == ["caf-prod-lake-curated-bucket", "caf-prod-lake-raw-bucket"]
    assert "aws:SourceVpce" in failed[0].message


def test_a_network_deny_over_bucket_configuration_fails_as_a_lockout(prod_plan, prod_env):
    def widen(r):
        if r.name == "caf-prod-lake-raw-policy":
            doc = json.loads(r.inputs["policy"])
            for s in doc["Statement"]:
                if s["Sid"] == "DenyObjectAccessOutsideTheVpc":
                    s["Action"] = "s3:*"
            return replace(r, inputs={**r.inputs, "policy": json.dumps(doc)})
        return r

    failed = _findings(replace(prod_plan, resources=tuple(widen(r) for r in prod_plan.resources)), prod_env)[NETWORK]
    assert [f.name for f in failed] == ["caf-prod-lake-raw-bucket"]
    assert "locks the CI deploy role" in failed[0].message


def test_exports_are_locked_compliance_in_prod_and_governance_in_dev(prod_plan, dev_plan):
    prod = named(prod_plan, "caf-prod-lake-exports-object-lock")
    assert prod.inputs["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 30.0}}
    assert prod.inputs["objectLockEnabled"] == "Enabled"
    assert named(prod_plan, "caf-prod-lake-exports-bucket").urn in prod.property_dependencies["bucket"]
    dev = named(dev_plan, "caf-dev-lake-exports-object-lock")
    assert dev.inputs["rule"]["defaultRetention"]["mode"] == "GOVERNANCE"
    assert not [r for r in prod_plan.of_type(prod.type) if "lake-raw" in r.name or "lake-curated" in r.name]


def test_removing_the_exports_lock_from_prod_fails_the_policy_check(prod_plan, prod_env):
    assert LOCK not in _findings(prod_plan, prod_env)
    stripped = replace(prod_plan, resources=tuple(r for r in prod_plan.resources
                                                   if r.name != "caf-prod-lake-exports-object-lock"))  # fmt: skip
    (failed,) = _findings(stripped, prod_env)[LOCK]
    assert failed.name == "caf-prod-lake-exports-bucket"
    assert "data_stores.data_lake.exports_object_lock_mode" in failed.message


def test_the_switches_turn_each_control_off_where_the_model_allows(dev_env):
    lake = dev_env.data_stores.data_lake.model_copy(update={"network_perimeter_enabled": False,
                                                            "exports_object_lock_mode": None})
    env = dev_env.model_copy(update={"data_stores": dev_env.data_stores.model_copy(update={"data_lake": lake})})
    plan = _plan_of(env)
    assert not [r for r in plan.resources if r.name.endswith("lake-exports-object-lock")]
    for r in plan.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        assert "OutsideTheVpc" not in r.inputs["policy"]
    # below production a switched-off control is reported as such, not as a violation
    found = _findings(plan, env)
    assert NETWORK not in found and LOCK not in found
