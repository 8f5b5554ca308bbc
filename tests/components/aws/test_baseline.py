"""The account baseline in wire form: public access block, Access Analyzer, Security Hub, EBS, GuardDuty per region."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from components.aws.baseline import STANDARDS, AccountBaseline, AccountBaselineArgs
from tests.components.aws.conftest import ACCOUNT, capture, one

ACCOUNT_PAB = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"
HUB = "aws:securityhub/account:Account"
STANDARD = "aws:securityhub/standardsSubscription:StandardsSubscription"
EBS = "aws:ebs/encryptionByDefault:EncryptionByDefault"
DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"


def _capture(**overrides):
    args = AccountBaselineArgs(**{"name_prefix": "caf-prod", "account_id": ACCOUNT, "region": "us-east-1", **overrides})
    return capture(lambda: AccountBaseline("baseline", args))


@pytest.fixture(scope="module")
def cap():
    return _capture()


def test_account_public_access_block_sets_all_four(cap):
    block = one(cap, ACCOUNT_PAB)
    assert block.inputs["accountId"] == ACCOUNT
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block.inputs[flag] is True


def test_access_analyzer_watches_the_account(cap):
    analyzer = one(cap, ANALYZER)
    assert analyzer.inputs["analyzerName"] == "caf-prod-account"
    assert analyzer.inputs["type"] == "ACCOUNT"


def test_security_hub_runs_cis_and_foundational_standards_explicitly(cap):
    hub = one(cap, HUB)
    assert hub.inputs["enableDefaultStandards"] is False
    arns = sorted(s.inputs["standardsArn"] for s in cap.of_type(STANDARD))
    assert arns == [
        "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0",
        "arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/3.0.0",
    ]
    for subscription in cap.of_type(STANDARD):
        assert hub.urn in subscription.dependencies


def test_ebs_encryption_by_default(cap):
    assert one(cap, EBS).inputs["enabled"] is True


def test_one_detector_with_s3_protection_per_other_us_region_through_pinned_providers(cap):
    providers = {p.urn: p for p in cap.of_type("pulumi:providers:aws")}
    detectors = cap.of_type(DETECTOR)
    regions = sorted(providers[d.provider].inputs["region"] for d in detectors)
    # us-east-1 is the home region: its detector belongs to the audit component.
    assert regions == ["us-east-2", "us-west-1", "us-west-2"]
    for p in providers.values():
        # Explicit providers carry non-string inputs as JSON.
        assert json.loads(p.inputs["allowedAccountIds"]) == [ACCOUNT]
    for detector in detectors:
        assert detector.inputs["enable"] is True
        (feature,) = [f for f in cap.of_type(FEATURE) if detector.urn in f.property_dependencies["detectorId"]]
        assert feature.inputs["name"] == "S3_DATA_EVENTS" and feature.inputs["status"] == "ENABLED"
        assert feature.provider == detector.provider


def test_each_control_is_switched_off_only_by_its_own_setting():
    off = _capture(s3_account_public_access_block_enabled=False, access_analyzer_enabled=False,
                   security_hub_enabled=False, ebs_encryption_by_default_enabled=False,
                   guardduty_regions=["us-east-1"])  # fmt: skip
    for type_ in (ACCOUNT_PAB, ANALYZER, HUB, STANDARD, EBS, DETECTOR):
        assert off.of_type(type_) == [], type_
    only_cis = _capture(security_hub_standards=["cis-aws-foundations"])
    assert [s.inputs["standardsArn"] for s in only_cis.of_type(STANDARD)] == [
        "arn:aws:securityhub:us-east-1::" + STANDARDS["cis-aws-foundations"]
    ]


def test_guardduty_regions_must_be_us_and_standards_known():
    with pytest.raises(ValidationError, match="guardduty_regions must be US regions, got 'eu-west-1'"):
        AccountBaselineArgs(name_prefix="x", account_id=ACCOUNT, region="us-east-1", guardduty_regions=["eu-west-1"])
    with pytest.raises(ValidationError, match="unknown Security Hub standard 'pci'"):
        AccountBaselineArgs(name_prefix="x", account_id=ACCOUNT, region="us-east-1", security_hub_standards=["pci"])


def test_prod_plan_has_the_whole_baseline_and_dev_the_chosen_subset(prod_plan, dev_plan):
    for type_ in (ACCOUNT_PAB, ANALYZER, HUB, EBS):
        assert len(prod_plan.of_type(type_)) == 1, type_
    assert len(prod_plan.of_type(STANDARD)) == 2
    assert len(prod_plan.of_type(DETECTOR)) == 4  # home (audit) + three regional
    assert dev_plan.of_type(HUB) == [] and len(dev_plan.of_type(DETECTOR)) == 1
    assert len(dev_plan.of_type(ACCOUNT_PAB)) == 1 and len(dev_plan.of_type(EBS)) == 1


def test_removing_each_control_from_prod_fails_the_policy_check(prod_env):
    """Prod rebuilt with every baseline switch off (bypassing validate) fails `infra policy check` per control."""
    from cli.capture import capture_program, stack_config_for_engine
    from cli.policycheck import check_capture
    from cli.project import find_project
    from components.platform import define_platform
    from stacks.loader import read_config, stack_file
    from tests.conftest import REPO, TODAY

    stripped = prod_env.model_copy(update={"audit": prod_env.audit.model_copy(update={
        "aws_account_public_access_block_enabled": False, "aws_access_analyzer_enabled": False,
        "aws_security_hub_enabled": False, "aws_ebs_encryption_by_default_enabled": False,
        "aws_guardduty_regions": ["us-east-1"], "aws_trail_object_lock_mode": "GOVERNANCE",
        "aws_trail_data_events_enabled": False, "aws_cis_alarms_enabled": False,
    })})  # fmt: skip
    project = find_project(REPO)
    path = stack_file(project.stacks_dir, "prod")
    config, secret_keys = stack_config_for_engine(read_config(path, project.display(path)))
    capture = capture_program(lambda: define_platform(stripped), project=project.name, stack="prod", config=config,
                              secret_keys=secret_keys, account_id=ACCOUNT)
    report = check_capture(capture, prod_env, today=TODAY)
    failed = {f.policy: f for f in report.findings}
    for policy in ("aws-account-public-access-block", "aws-access-analyzer-enabled", "aws-security-hub-standards",
                   "aws-ebs-encryption-by-default", "aws-guardduty-every-us-region",
                   "aws-cloudtrail-bucket-object-lock", "aws-cloudtrail-restricted-data-events",
                   "aws-cis-monitoring-alarms"):
        assert policy in failed, policy
    assert "caf-prod-lake-raw" in failed["aws-cloudtrail-restricted-data-events"].message
    assert "us-east-2" in failed["aws-guardduty-every-us-region"].message
    assert "COMPLIANCE" in failed["aws-cloudtrail-bucket-object-lock"].message


def test_removing_the_perimeter_from_prod_fails_the_policy_check(prod_plan, prod_env):
    from dataclasses import replace

    from cli.policycheck import check_capture
    from tests.conftest import TODAY

    def strip(r):
        if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint":
            return replace(r, inputs={k: v for k, v in r.inputs.items() if k != "policy"})
        if r.type == "aws:s3/bucketPolicy:BucketPolicy" and "DenyPrincipalsOutsideTheAccount" in r.inputs["policy"]:
            doc = json.loads(r.inputs["policy"])
            doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != "DenyPrincipalsOutsideTheAccount"]
            return replace(r, inputs={**r.inputs, "policy": json.dumps(doc)})
        if r.type == "aws:redshiftserverless/workgroup:Workgroup":
            return replace(r, inputs={**r.inputs, "enhancedVpcRouting": False})
        return r

    perimeter = ("aws-vpc-endpoint-own-principals", "aws-restricted-bucket-perimeter", "aws-redshift-enhanced-vpc-routing")
    assert not [f for f in check_capture(prod_plan, prod_env, today=TODAY).findings if f.policy in perimeter]
    stripped = replace(prod_plan, resources=tuple(strip(r) for r in prod_plan.resources))
    failed = {}
    for f in check_capture(stripped, prod_env, today=TODAY).findings:
        failed.setdefault(f.policy, []).append(f.name)
    assert len(failed["aws-vpc-endpoint-own-principals"]) == 4  # s3 gateway + kms, secretsmanager, sts
    assert sorted(failed["aws-restricted-bucket-perimeter"]) == ["caf-prod-lake-curated-bucket", "caf-prod-lake-raw-bucket"]
    assert failed["aws-redshift-enhanced-vpc-routing"]


def test_other_regions_forward_findings_to_the_home_bus_through_a_scoped_role(cap):
    providers = {p.urn: p.inputs["region"] for p in cap.of_type("pulumi:providers:aws")}
    role = one(cap, "aws:iam/role:Role")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    put = json.loads(one(cap, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])["Statement"]
    assert put == [{"Sid": "PutFindingsOnTheHomeBus", "Effect": "Allow", "Action": "events:PutEvents",
                    "Resource": f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"}]
    rules = cap.of_type("aws:cloudwatch/eventRule:EventRule")
    targets = cap.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert sorted(providers[r.provider] for r in rules) == ["us-east-2", "us-west-1", "us-west-2"]
    for rule in rules:
        pattern = json.loads(rule.inputs["eventPattern"])
        assert pattern["source"] == ["aws.guardduty"]
        assert pattern["detail"]["severity"] == [{"numeric": [">=", 4.0]}]
        (target,) = [t for t in targets if rule.urn in t.property_dependencies["rule"]]
        assert target.provider == rule.provider
        assert target.inputs["arn"] == f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
        assert role.urn in target.property_dependencies["roleArn"]
    home_only = _capture(guardduty_regions=["us-east-1"])
    assert home_only.of_type("aws:iam/role:Role") == [] and home_only.of_type("aws:cloudwatch/eventRule:EventRule") == []
