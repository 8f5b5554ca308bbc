"""pass_* and fail_* cases for the account baseline, tamper-proof audit and detection policies (issue 11)."""

from __future__ import annotations

import json

from tests.policies.fixtures import R, Scenario, U

ACCOUNT_PAB = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"
HUB = "aws:securityhub/account:Account"
STANDARD = "aws:securityhub/standardsSubscription:StandardsSubscription"
EBS = "aws:ebs/encryptionByDefault:EncryptionByDefault"
GD = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
TRAIL = "aws:cloudtrail/trail:Trail"
BUCKET = "aws:s3/bucket:Bucket"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
AWS_PROVIDER = "pulumi:providers:aws"

ONBOARDING = "azure-native:securityinsights:SentinelOnboardingState"
SENTINEL_RULE = "azure-native:securityinsights:ScheduledAlertRule"

WEB = "azure-native:web:WebApp"
AUTH = "azure-native:web:WebAppAuthSettingsV2"
AI = "azure-native:cognitiveservices:Account"
PRICING = "azure-native:security:Pricing"
CONTACT = "azure-native:security:SecurityContact"
SIGN_IN = {"requireAuthentication": True, "unauthenticatedClientAction": "RedirectToLoginPage"}

VPCE = "aws:ec2/vpcEndpoint:VpcEndpoint"
BPOL = "aws:s3/bucketPolicy:BucketPolicy"
RS_WG = "aws:redshiftserverless/workgroup:Workgroup"
PERIMETER = {"Sid": "DenyPrincipalsOutsideTheAccount", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
             "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalAccount": "000000000001"}}}
TLS_ONLY = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
            "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}

CONTAINER = "azure-native:storage:BlobContainer"
IMMUTABILITY = "azure-native:storage:BlobContainerImmutabilityPolicy"

AWS = {"clouds": ("aws",)}
PROD_AWS = {"clouds": ("aws",), "tier": "production"}
FLAGS = {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True}
RESTRICTED = {"data-classification": "restricted"}
CIS = "arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/3.0.0"
FSBP = "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0"


def _detector(region: str, *, s3: bool = True, label: str | None = None) -> list[R]:
    name = label or f"pass_detector_{region.replace('-', '_')}"
    out = [R(f"provider-{region}", AWS_PROVIDER, {"region": region}),
           R(name, GD, {"enable": True}, provider=f"provider-{region}")]
    if s3:
        out.append(R(f"s3-{region}", FEATURE, {"detectorId": "d", "name": "S3_DATA_EVENTS", "status": "ENABLED"},
                     deps={"detectorId": [name]}, provider=f"provider-{region}"))
    return out


def _cis(skip: str = "") -> list[R]:
    from components.aws.audit import CIS_CHECKS

    out: list[R] = []
    for check, (_, pattern) in CIS_CHECKS.items():
        if check == skip:
            continue
        out.append(R(f"filter-{check}", FILTER, {"logGroupName": "/trail", "pattern": pattern,
                                                 "metricTransformation": {"name": check, "namespace": "cis", "value": "1"}}))
        out.append(R(f"alarm-{check}", ALARM, {"namespace": "cis", "metricName": check, "alarmActions": ["arn:topic"]}))
    return out


def _detection_rules(skip: str = "", disable: str = "") -> list[R]:
    from components.azure.detections import DetectionsArgs

    args = DetectionsArgs(short_name="caf", environment="prod", break_glass_object_ids=["00000000-0000-0000-0000-00000000b001"],
                          internal_mail_domains=["example.org"])
    return [R(f"fail_{d.key}" if d.key == disable else f"pass_{d.key}", SENTINEL_RULE,
              {"query": d.query, "enabled": d.key != disable, "kind": "Scheduled"})
            for d in args.detections() if d.key != skip]


SELECTORS = [
    {"name": "m", "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]},
    {"name": "d", "fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]},
                                     {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                                     {"field": "resources.ARN", "startsWiths": ["arn:aws:s3:::voter/"]}]},
]

SCENARIOS = [
    Scenario("aws-account-public-access-block", [R("pass_block", ACCOUNT_PAB, dict(FLAGS))], ctx=AWS),
    Scenario("aws-account-public-access-block", [
        R("fail_three_flags", ACCOUNT_PAB, {**FLAGS, "restrictPublicBuckets": False}),
        R("unk_block", ACCOUNT_PAB, {**FLAGS, "blockPublicAcls": U}),
    ], ctx=AWS),
    Scenario("aws-account-public-access-block", [R("b", BUCKET, {"bucket": "b"})], label="fail_none", ctx=AWS),
    # A foreign program or a state file without --env: the account baseline may be another program's.
    Scenario("aws-account-public-access-block", [R("b", BUCKET, {"bucket": "b"})], label="no_model_not_judged"),
    Scenario("aws-access-analyzer-enabled", [R("pass_analyzer", ANALYZER, {"analyzerName": "a", "type": "ACCOUNT"})],
             ctx=AWS),
    Scenario("aws-access-analyzer-enabled", [R("b", BUCKET, {"bucket": "b"})], label="fail_none", ctx=AWS),
    Scenario("aws-security-hub-standards", [
        R("pass_hub", HUB, {"enableDefaultStandards": False}),
        R("cis", STANDARD, {"standardsArn": CIS}), R("fsbp", STANDARD, {"standardsArn": FSBP}),
    ], ctx=PROD_AWS),
    Scenario("aws-security-hub-standards", [
        R("fail_hub_without_cis", HUB, {}), R("fsbp", STANDARD, {"standardsArn": FSBP}),
    ], ctx=PROD_AWS),
    Scenario("aws-security-hub-standards", [R("b", BUCKET, {"bucket": "b"})], label="fail_none_in_prod", ctx=PROD_AWS),
    # Below production the model may switch Security Hub off: absence is not a violation there.
    Scenario("aws-security-hub-standards", [R("b", BUCKET, {"bucket": "b"})], label="dev_switched_off", ctx=AWS),
    Scenario("aws-ebs-encryption-by-default", [
        R("pass_on", EBS, {"enabled": True}), R("pass_default_true", EBS, {}), R("fail_off", EBS, {"enabled": False}),
    ], ctx=AWS),
    Scenario("aws-ebs-encryption-by-default", [R("b", BUCKET, {"bucket": "b"})], label="fail_none", ctx=AWS),
    Scenario("aws-guardduty-every-us-region", [
        *_detector("us-east-1"), *_detector("us-east-2"), *_detector("us-west-1"), *_detector("us-west-2"),
    ], ctx=PROD_AWS),
    Scenario("aws-guardduty-every-us-region", [
        *_detector("us-east-1"), *_detector("us-east-2"), *_detector("us-west-1"),
        *_detector("us-west-2", s3=False, label="fail_no_s3_protection"),
    ], label="fail_us_west_2_unprotected", ctx=PROD_AWS),
    Scenario("aws-guardduty-every-us-region", [*_detector("us-east-1")], label="fail_one_region_in_prod", ctx=PROD_AWS),
    Scenario("aws-guardduty-every-us-region", [*_detector("us-east-1")], label="dev_home_region_only", ctx=AWS),
    Scenario("aws-cloudtrail-bucket-object-lock", [
        R("pass_trail_bucket", BUCKET, {"bucket": "trail"}),
        R("lock", LOCK, {"bucket": "trail", "objectLockEnabled": "Enabled",
                         "rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 365.0}}}, deps={"bucket": ["pass_trail_bucket"]}),
        R("trail", TRAIL, {"s3BucketName": "trail"}, deps={"s3BucketName": ["pass_trail_bucket"]}),
        R("fail_unlocked_bucket", BUCKET, {"bucket": "trail2"}),
        R("trail2", TRAIL, {"s3BucketName": "trail2"}, deps={"s3BucketName": ["fail_unlocked_bucket"]}),
        R("fail_governance_in_prod", BUCKET, {"bucket": "trail3"}),
        R("lock3", LOCK, {"bucket": "trail3", "rule": {"defaultRetention": {"mode": "GOVERNANCE", "days": 30.0}}},
          deps={"bucket": ["fail_governance_in_prod"]}),
        R("trail3", TRAIL, {"s3BucketName": "trail3"}, deps={"s3BucketName": ["fail_governance_in_prod"]}),
        R("unk_bucket", BUCKET, {"bucket": "trail4"}),
        R("lock4", LOCK, {"bucket": U, "rule": {"defaultRetention": {"mode": U, "days": 30.0}}}, deps={"bucket": ["unk_bucket"]}),
        R("trail4", TRAIL, {"s3BucketName": U}, deps={"s3BucketName": ["unk_bucket"]}),
    ], ctx=PROD_AWS),
    Scenario("aws-cloudtrail-bucket-object-lock", [
        R("pass_governance_in_dev", BUCKET, {"bucket": "trail"}),
        R("lock", LOCK, {"bucket": "trail", "rule": {"defaultRetention": {"mode": "GOVERNANCE", "days": 30.0}}},
          deps={"bucket": ["pass_governance_in_dev"]}),
        R("trail", TRAIL, {"s3BucketName": "trail"}, deps={"s3BucketName": ["pass_governance_in_dev"]}),
    ], ctx=AWS),
    Scenario("aws-cloudtrail-restricted-data-events", [
        R("pass_voter", BUCKET, {"bucket": "voter", "tags": RESTRICTED}),
        R("fail_donor", BUCKET, {"bucket": "donor", "tags": RESTRICTED}),
        R("internal", BUCKET, {"bucket": "internal", "tags": {"data-classification": "internal"}}),
        R("trail", TRAIL, {"s3BucketName": "t", "advancedEventSelectors": SELECTORS}),
    ], ctx=AWS),
    Scenario("aws-cloudtrail-restricted-data-events", [
        R("pass_every_bucket", BUCKET, {"bucket": "voter", "tags": RESTRICTED}),
        R("trail", TRAIL, {"s3BucketName": "t", "eventSelectors": [
            {"readWriteType": "All", "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::"]}]}]}),
    ], ctx=AWS),
    Scenario("aws-cis-monitoring-alarms", _cis(), ctx=PROD_AWS),
    Scenario("aws-cis-monitoring-alarms", _cis(skip="root-account-usage"), label="fail_no_root_alarm", ctx=PROD_AWS),
    Scenario("aws-cis-monitoring-alarms", [
        R(f.name, f.type, dict(f.props)) for f in _cis() if f.type == FILTER
    ], label="fail_filters_without_alarms", ctx=PROD_AWS),
    Scenario("aws-cis-monitoring-alarms", [R("b", BUCKET, {"bucket": "b"})], label="fail_none_in_prod", ctx=PROD_AWS),
    Scenario("sentinel-threat-detections", [R("sentinel", ONBOARDING, {"workspaceName": "ws"}),
                                            *_detection_rules()], ctx={"tier": "production"}),
    Scenario("sentinel-threat-detections", [R("sentinel", ONBOARDING, {"workspaceName": "ws"}),
                                            *_detection_rules(skip="break-glass-sign-in")],
             label="fail_no_break_glass_rule", ctx={"tier": "production"}),
    Scenario("sentinel-threat-detections", [R("sentinel", ONBOARDING, {"workspaceName": "ws"}),
                                            *_detection_rules(disable="privileged-role-granted")],
             label="fail_role_grant_rule_disabled", ctx={"tier": "production"}),
    Scenario("sentinel-threat-detections", [R("sentinel", ONBOARDING, {"workspaceName": "ws"})],
             label="fail_none_in_prod", ctx={"tier": "production"}),
    Scenario("sentinel-threat-detections", [R("sentinel", ONBOARDING, {"workspaceName": "ws"})],
             label="dev_without_tenant_logs"),
    # the tenant stack routes the tenant's logs, so it must declare the rules; environment stacks never do
    Scenario("sentinel-threat-detections", [R("entra-logs", "azure-native:aadiam:DiagnosticSetting", {"name": "e"}),
                                            *_detection_rules()], label="tenant_with_rules",
             ctx={"tier": "production", "tenant_owner": True}),
    Scenario("sentinel-threat-detections", [R("entra-logs", "azure-native:aadiam:DiagnosticSetting", {"name": "e"})],
             label="fail_tenant_logs_without_rules", ctx={"tier": "production", "tenant_owner": True}),
    Scenario("sentinel-threat-detections", [R("sentinel", ONBOARDING, {"workspaceName": "ws"})],
             label="environment_stack_not_applicable", ctx={"tier": "production", "tenant_owner": False}),
    Scenario("azure-web-app-entra-sign-in", [
        R("pass_signed_in", WEB, {"kind": "app,linux"}),
        R("auth", AUTH, {"name": "a", "platform": {"enabled": True}, "globalValidation": SIGN_IN,
                         "identityProviders": {"azureActiveDirectory": {"enabled": True}}}, deps={"name": ["pass_signed_in"]}),
        R("fail_no_auth", WEB, {"kind": "app,linux"}),
        R("fail_anonymous", WEB, {"kind": "app,linux"}),
        R("auth2", AUTH, {"name": "b", "platform": {"enabled": True},
                          "globalValidation": {"requireAuthentication": True, "unauthenticatedClientAction": "AllowAnonymous"},
                          "identityProviders": {"azureActiveDirectory": {"enabled": True}}}, deps={"name": ["fail_anonymous"]}),
        R("fail_auth_off", WEB, {"kind": "app,linux"}),
        R("auth3", AUTH, {"name": "c", "platform": {"enabled": False}, "globalValidation": SIGN_IN},
          deps={"name": ["fail_auth_off"]}),
        R("unk_site", WEB, {"kind": "app,linux"}),
        R("auth4", AUTH, {"name": U, "platform": U, "globalValidation": SIGN_IN}, deps={"name": ["unk_site"]}),
    ]),
    Scenario("azure-defender-cspm-and-ai", [
        R("ai", AI, {"kind": "OpenAI"}), R("cspm", PRICING, {"pricingName": "CloudPosture", "pricingTier": "Standard"}),
        R("ai-plan", PRICING, {"pricingName": "AI", "pricingTier": "Standard"}),
        R("pass_contact", CONTACT, {"emails": "security@example.org"}),
    ], ctx={"tier": "production", "clouds": ("azure",)}),
    Scenario("azure-defender-cspm-and-ai", [
        R("ai", AI, {"kind": "OpenAI"}), R("cspm", PRICING, {"pricingName": "CloudPosture", "pricingTier": "Standard"}),
        R("contact", CONTACT, {"emails": "security@example.org"}),
    ], label="fail_openai_without_defender_for_ai", ctx={"tier": "production", "clouds": ("azure",)}),
    Scenario("azure-defender-cspm-and-ai", [
        R("kv", PRICING, {"pricingName": "KeyVaults", "pricingTier": "Standard"}),
        R("contact", CONTACT, {"emails": "security@example.org"}),
    ], label="fail_no_cspm", ctx={"tier": "production", "clouds": ("azure",)}),
    Scenario("azure-defender-cspm-and-ai", [
        R("kv", PRICING, {"pricingName": "KeyVaults", "pricingTier": "Standard"}),
    ], label="dev_without_cspm", ctx={"clouds": ("azure",)}),
    Scenario("aws-vpc-endpoint-own-principals", [
        R("pass_own", VPCE, {"serviceName": "com.amazonaws.us-east-1.s3", "policy": json.dumps(
            {"Statement": [{"Sid": "Own", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*",
                            "Condition": {"StringEquals": {"aws:PrincipalAccount": "000000000001"}}}]})}),
        R("fail_default_policy", VPCE, {"serviceName": "com.amazonaws.us-east-1.kms"}),
        R("fail_any_account", VPCE, {"serviceName": "com.amazonaws.us-east-1.sts", "policy": json.dumps(
            {"Statement": [{"Sid": "All", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})}),
        R("unk_policy", VPCE, {"serviceName": "com.amazonaws.us-east-1.sts", "policy": U}),
    ]),
    Scenario("aws-restricted-bucket-perimeter", [
        R("pass_fenced", BUCKET, {"bucket": "voter", "tags": RESTRICTED}),
        R("voter-policy", BPOL, {"bucket": "voter", "policy": json.dumps({"Statement": [PERIMETER]})},
          deps={"bucket": ["pass_fenced"]}),
        R("fail_open_to_other_accounts", BUCKET, {"bucket": "donor", "tags": RESTRICTED}),
        R("donor-policy", BPOL, {"bucket": "donor", "policy": json.dumps({"Statement": [TLS_ONLY]})},
          deps={"bucket": ["fail_open_to_other_accounts"]}),
        R("fail_no_policy", BUCKET, {"bucket": "raw", "tags": RESTRICTED}),
        R("internal", BUCKET, {"bucket": "internal", "tags": {"data-classification": "internal"}}),
    ]),
    Scenario("aws-redshift-enhanced-vpc-routing", [
        R("pass_routed", RS_WG, {"workgroupName": "a", "enhancedVpcRouting": True}),
        R("fail_off", RS_WG, {"workgroupName": "b", "enhancedVpcRouting": False}),
        R("fail_default", RS_WG, {"workgroupName": "c"}),
        R("unk_routing", RS_WG, {"workgroupName": "d", "enhancedVpcRouting": U}),
    ]),
    Scenario("azure-exports-immutability-locked", [
        R("exports", CONTAINER, {"containerName": "m365-exports"}),
        R("pass_locked", IMMUTABILITY, {"immutabilityPeriodSinceCreationInDays": 365.0, "state": "Locked"}),
        R("fail_unlocked", IMMUTABILITY, {"immutabilityPeriodSinceCreationInDays": 365.0}),
    ], ctx={"tier": "production"}),
    Scenario("azure-exports-immutability-locked", [
        R("exports", CONTAINER, {"containerName": "m365-exports"}),
        R("dev_unlocked", IMMUTABILITY, {"immutabilityPeriodSinceCreationInDays": 30.0}),
    ], label="dev_not_judged"),
]
