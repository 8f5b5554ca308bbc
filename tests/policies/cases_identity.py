"""pass_* and fail_* cases of the identity policies (issue 10), literal wire form; SCENARIOS in cases.py adds them.

`ORIGINAL_*` rebuild the faults the identity review found, so the policies are shown to catch them.
"""

from __future__ import annotations

import json

from tests.policies.fixtures import R, Scenario, U

ROLE = "aws:iam/role:Role"
IAM_POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
BUCKET = "aws:s3/bucket:Bucket"
ACCT = "000000000001"
OIDC = f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com"
BOUNDARY = f"arn:aws:iam::{ACCT}:policy/caf-dev-ci-boundary"
TAGS = {"owner": "it@example.org", "environment": "dev", "cost-center": "operations",
        "data-classification": "internal", "managed-by": "pulumi/civic-infra"}
RESTRICTED = {**TAGS, "data-classification": "restricted"}
OWN = {"StringEquals": {"aws:ResourceTag/managed-by": "pulumi/civic-infra", "aws:ResourceTag/environment": "dev"}}


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(sid: str, actions: list[str] | str, resource: object, condition: dict | None = None) -> dict:
    s = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource}
    return {**s, "Condition": condition} if condition else s


def deny(sid: str, actions: list[str] | str, resource: object, condition: dict | None = None) -> dict:
    return {**allow(sid, actions, resource, condition), "Effect": "Deny"}


def github_trust(sub: object, aud: object = "sts.amazonaws.com", op: str = "StringEquals") -> str:
    return doc({"Effect": "Allow", "Principal": {"Federated": OIDC}, "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {op: {"token.actions.githubusercontent.com:aud": aud,
                                   "token.actions.githubusercontent.com:sub": sub}}})


def role(name: str, trust: str | None = None, kind: str | None = None, boundary: object = BOUNDARY, **extra) -> R:
    props = {"assumeRolePolicy": trust or github_trust("repo:example-org/civic-infra:environment:dev"),
             "tags": {**TAGS, **({"ci-identity": kind} if kind else {})}, **extra}
    if boundary is not None:
        props["permissionsBoundary"] = boundary
    return R(name, ROLE, props)


def inline(name: str, role_name: str, *statements: dict) -> R:
    return R(name, ROLE_POLICY, {"name": "p", "role": role_name, "policy": doc(*statements)}, deps={"role": [role_name]})


ROLES = [f"arn:aws:iam::{ACCT}:role/caf-dev-*"]
WITH_BOUNDARY = {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}}

# The deploy role as the review found it: role and policy changes with no boundary, key and bucket policy rights on
# every key, Identity Center on Resource "*".
ORIGINAL_DEPLOY = [
    allow("PlatformRoles", ["iam:CreateRole", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"], ROLES),
    allow("BucketConfiguration", ["s3:PutBucket*", "s3:PutLifecycleConfiguration"], ["arn:aws:s3:::caf-dev-*"]),
    allow("ManageKeys", ["kms:PutKeyPolicy", "kms:CreateGrant", "kms:ScheduleKeyDeletion", "kms:Decrypt"],
          [f"arn:aws:kms:us-east-1:{ACCT}:key/*"]),
    allow("IdentityCenterPermissionSets", ["sso:CreatePermissionSet", "sso:CreateAccountAssignment"], "*"),
]

SCENARIOS: list[Scenario] = [
    Scenario("aws-iam-escalation-needs-boundary", [
        role("deploy"),
        inline("pass_with_boundary", "deploy",
               allow("Change", ["iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"], ROLES, WITH_BOUNDARY),
               allow("Trust", "iam:UpdateAssumeRolePolicy", ROLES, OWN),
               allow("Pass", "iam:PassRole", ROLES, {"StringEquals": {"iam:PassedToService": "vpc-flow-logs.amazonaws.com"}})),
        inline("fail_original_deploy_role", "deploy", *ORIGINAL_DEPLOY),
        inline("fail_wildcard_iam", "deploy", allow("All", "iam:*", "*")),
        inline("fail_pass_any_role", "deploy", allow("Pass", "iam:PassRole", "*")),
        inline("fail_not_action", "deploy", {"Sid": "Broad", "Effect": "Allow", "NotAction": ["s3:*"], "Resource": "*"}),
        R("boundary", IAM_POLICY, {"name": "caf-dev-ci-boundary", "policy": doc(allow("Services", ["iam:*", "s3:*"], "*"))}),
        R("capped", ROLE, {"assumeRolePolicy": github_trust("repo:a/b:environment:dev"), "permissionsBoundary": U},
          deps={"permissionsBoundary": ["boundary"]}),
        inline("unk_policy", "deploy"),
    ]),
    Scenario("aws-iam-role-has-boundary", [
        role("pass_role"),
        R("pass_boundary_from_policy", ROLE, {"assumeRolePolicy": github_trust("repo:a/b:environment:dev"),
                                              "permissionsBoundary": U}, deps={"permissionsBoundary": ["b"]}),
        R("b", IAM_POLICY, {"policy": doc(allow("S", "s3:*", "*"))}),
        role("fail_no_boundary", boundary=None),
    ], ctx={"tenant_owner": False}),
    Scenario("aws-iam-role-has-boundary", [role("foreign", boundary=None)], label="foreign_program_not_applicable"),
    Scenario("aws-iam-no-wildcard-data-access", [
        role("r"),
        inline("pass_named", "r", allow("Read", "s3:GetObject", "arn:aws:s3:::caf-dev-lake-curated/*"),
               allow("Keys", ["kms:PutKeyPolicy", "kms:CreateGrant"], f"arn:aws:kms:us-east-1:{ACCT}:key/*", OWN),
               allow("ViaS3", "kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCT}:key/*",
                     {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}})),
        inline("fail_original_deploy_role", "r", *ORIGINAL_DEPLOY),
        inline("fail_read_everything", "r", allow("Read", ["s3:Get*"], "*")),
        R("fail_managed_secret_read", IAM_POLICY, {"policy": doc(allow("S", "secretsmanager:GetSecretValue",
                                                                       f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:*"))}),
        R("boundary", IAM_POLICY, {"policy": doc(allow("Services", ["s3:*", "kms:*"], "*"))}),
        R("capped", ROLE, {"assumeRolePolicy": github_trust("repo:a/b:environment:dev"), "permissionsBoundary": U},
          deps={"permissionsBoundary": ["boundary"]}),
    ]),
    Scenario("aws-iam-restricted-data-destruction-denied", [
        R("voter", BUCKET, {"bucket": "caf-dev-lake-raw", "tags": RESTRICTED}),
        R("cap", IAM_POLICY, {"policy": doc(
            allow("Services", ["s3:*", "kms:*"], "*"),
            deny("DenyRestrictedBucketDestruction", ["s3:DeleteBucket", "s3:PutLifecycleConfiguration"],
                 ["arn:aws:s3:::caf-dev-lake-raw", "arn:aws:s3:::caf-dev-lake-raw/*"]),
            deny("DenyRestrictedKeyDestruction", ["kms:ScheduleKeyDeletion"], f"arn:aws:kms:*:{ACCT}:key/*",
                 {"StringEquals": {"aws:ResourceTag/data-classification": "restricted"}}))}),
        R("pass_denied_by_boundary", ROLE, {"assumeRolePolicy": github_trust("repo:a/b:environment:dev"), "permissionsBoundary": U},
          deps={"permissionsBoundary": ["cap"]}),
        inline("pass-rights", "pass_denied_by_boundary",
               allow("Own", ["s3:DeleteBucket", "s3:PutLifecycleConfiguration"], ["arn:aws:s3:::caf-dev-*"]),
               allow("Keys", "kms:ScheduleKeyDeletion", f"arn:aws:kms:us-east-1:{ACCT}:key/*", OWN)),
        role("fail_original_deploy_role"),
        inline("original-rights", "fail_original_deploy_role", *ORIGINAL_DEPLOY),
        role("pass_no_destructive_rights"),
        inline("reader-rights", "pass_no_destructive_rights", allow("Read", "s3:ListBucket", "arn:aws:s3:::caf-dev-lake-raw")),
    ]),
    Scenario("aws-ci-trust-pinned-environment", [
        role("pass_deploy", kind="deploy"),
        role("vendor-not-judged", trust=doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000901:root"},
                                       "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x-placeholder"}}})),
        role("fail_any_branch", github_trust("repo:example-org/civic-infra:*", op="StringLike"), kind="deploy"),
        role("fail_pull_request", github_trust("repo:example-org/civic-infra:pull_request"), kind="deploy"),
        role("fail_no_audience", github_trust("repo:example-org/civic-infra:environment:dev", aud=None)),
        role("fail_also_trusts_account", doc(
            json.loads(github_trust("repo:example-org/civic-infra:environment:dev"))["Statement"][0],
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"}), kind="deploy"),
        role("unk_trust", U, kind="deploy"),
    ]),
    Scenario("aws-ci-plan-no-data-plane", [
        role("pass_plan", github_trust("repo:example-org/civic-infra:environment:dev-plan"), kind="plan"),
        R("pass-plan-ro", ATTACH, {"role": "pass_plan", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
          deps={"role": ["pass_plan"]}),
        inline("pass-plan-deny", "pass_plan", deny("DenyDataPlaneReads", [
            "s3:GetObject*", "s3-object-lambda:GetObject", "kms:Decrypt", "kms:ReEncryptFrom", "kms:GenerateDataKey*",
            "secretsmanager:GetSecretValue", "ssm:GetParameter*", "rds-data:*", "rds:DownloadDBLogFilePortion",
            "redshift-data:*", "redshift:GetClusterCredentials*", "redshift-serverless:GetCredentials",
            "athena:GetQueryResults", "athena:StartQueryExecution", "dynamodb:GetItem", "dynamodb:BatchGetItem",
            "dynamodb:Query", "dynamodb:Scan", "logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery",
            "sqs:ReceiveMessage", "ec2:GetPasswordData"], "*")),
        role("fail_plan_read_only", github_trust("repo:example-org/civic-infra:environment:dev-plan"), kind="plan"),
        R("fail-ro", ATTACH, {"role": "fail_plan_read_only", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
          deps={"role": ["fail_plan_read_only"]}),
        role("fail_plan_reads_lake", github_trust("repo:example-org/civic-infra:environment:dev-plan"), kind="plan"),
        inline("lake", "fail_plan_reads_lake", allow("Lake", "s3:GetObject", "arn:aws:s3:::caf-dev-lake-raw/*")),
        role("deploy-not-judged", kind="deploy"),
    ]),
    Scenario("aws-ci-plan-no-data-plane", [role("deploy", kind="deploy")], label="na_no_plan_role"),
]

# --- Azure and Entra ---------------------------------------------------------------------

RA = "azure-native:authorization:RoleAssignment"
RD = "azure-native:authorization:RoleDefinition"
SP = "azuread:index/servicePrincipal:ServicePrincipal"
GROUP = "azuread:index/group:Group"
CA = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
LOCATION = "azuread:index/namedLocation:NamedLocation"
AADIAM = "azure-native:aadiam:DiagnosticSetting"
SUB = "/subscriptions/00000000-0000-0000-0000-0000000000d1"
RG = f"{SUB}/resourceGroups/rg-caf-dev-platform"


def role_id(guid: str) -> str:
    return f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def assignment(name: str, principal: str, role: object, deps: dict | None = None, **extra) -> R:
    return R(name, RA, {"scope": RG, "principalId": U, "principalType": "ServicePrincipal", "roleDefinitionId": role,
                        **extra}, deps={"principalId": [principal], **(deps or {})})


CONTRIBUTOR = role_id("b24988ac-6180-42a0-ab88-20f7382dd24c")
READER = role_id("acdd72a7-3385-48ef-bd42-f606fba81ae7")
RBAC_ADMIN = role_id("f58310d9-a9f6-439a-9e8d-f62e7b41a168")
BLOB_READER = role_id("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1")


def definition(name: str, actions: list[str], not_actions: list[str] | None = None, data: list[str] | None = None) -> R:
    return R(name, RD, {"roleName": name, "scope": RG, "assignableScopes": [RG], "permissions": [
        {"actions": actions, "notActions": not_actions or [], "dataActions": data or [], "notDataActions": []}]})


BREAK_GLASS = ("00000000-0000-0000-0000-00000000b001", "00000000-0000-0000-0000-00000000b002")


def ca(name: str, excluded: list[str], state: str = "enabled") -> R:
    return R(name, CA, {"displayName": name, "state": state, "conditions": {
        "users": {"includedUsers": ["All"], "excludedUsers": excluded}, "applications": {"includedApplications": ["All"]},
        "clientAppTypes": ["all"]}, "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}})


SCENARIOS += [
    Scenario("azure-ci-no-privileged-role", [
        R("ci-sp", SP, {"clientId": U}),
        R("vendor-group", GROUP, {"displayName": "caf-dev-vendor-x"}),
        assignment("fail_original_ci_contributor", "ci-sp", CONTRIBUTOR),
        assignment("fail_rbac_admin_unconditioned", "ci-sp", RBAC_ADMIN),
        assignment("pass_rbac_admin_with_condition", "ci-sp", RBAC_ADMIN, condition="(...)", conditionVersion="2.0"),
        assignment("pass_reader", "ci-sp", READER),
        R("vendor-contributor", RA, {"scope": RG, "principalId": U, "principalType": "Group", "roleDefinitionId": CONTRIBUTOR},
          deps={"principalId": ["vendor-group"]}),
    ]),
    Scenario("azure-ci-no-data-access", [
        R("ci-sp", SP, {"clientId": U}),
        definition("ok-role", ["Microsoft.Storage/storageAccounts/*"],
                   ["Microsoft.Storage/storageAccounts/listKeys/action", "Microsoft.Storage/storageAccounts/regenerateKey/action",
                    "Microsoft.Storage/storageAccounts/listAccountSas/action"]),
        definition("keys-role", ["Microsoft.Storage/storageAccounts/*"]),
        definition("data-role", ["Microsoft.Storage/storageAccounts/read"], data=["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]),
        assignment("pass_custom_without_keys", "ci-sp", U, deps={"roleDefinitionId": ["ok-role"]}),
        assignment("fail_custom_lists_keys", "ci-sp", U, deps={"roleDefinitionId": ["keys-role"]}),
        assignment("fail_custom_data_actions", "ci-sp", U, deps={"roleDefinitionId": ["data-role"]}),
        assignment("fail_blob_reader", "ci-sp", BLOB_READER),
        assignment("pass_reader", "ci-sp", READER),
    ]),
    Scenario("azure-custom-role-no-wildcard-actions", [
        definition("pass_resource_types", ["Microsoft.Network/virtualNetworks/*", "Microsoft.Web/sites/read"]),
        definition("fail_star", ["*"]),
        definition("fail_whole_provider", ["Microsoft.Storage/*"]),
        R("unk_role", RD, {"scope": RG, "permissions": U}),
    ]),
    Scenario("entra-break-glass-excluded", [
        ca("pass_both_excluded", list(BREAK_GLASS)),
        ca("fail_original_dev_copy", [BREAK_GLASS[0]]),
        ca("fail_none_excluded", []),
        ca("disabled-not-judged", [], state="disabled"),
        ca("fail_report_only", [BREAK_GLASS[1]], state="enabledForReportingButNotEnforced"),
    ], ctx={"break_glass_object_ids": BREAK_GLASS}),
    Scenario("entra-tenant-resources-single-owner", [
        ca("fail_environment_copy", list(BREAK_GLASS)),
        R("fail_named_location", LOCATION, {"displayName": "US", "country": {"countriesAndRegions": ["US"]}}),
        R("fail_tenant_logs", AADIAM, {"name": "entra-to-dev", "workspaceId": "/w"}),
        R("fail_m365_activity_in_dev", "azure-native:securityinsights:OfficeDataConnector",
          {"kind": "Office365", "workspaceName": "log-caf-dev-platform", "resourceGroupName": "rg-caf-dev-platform"}),
        # Vendor groups and packages are tenant-wide: declared by dev, they need Graph rights over prod's too.
        R("fail_vendor_group_in_environment", "azuread:index/group:Group",
          {"displayName": "caf-dev-vendor-mailhouse", "securityEnabled": True}),
        R("fail_access_package_in_environment", "azuread:index/accessPackage:AccessPackage",
          {"displayName": "caf-dev-vendor-mailhouse", "catalogId": "c1", "hidden": True}),
    ], ctx={"tenant_owner": False}),
    Scenario("entra-tenant-resources-single-owner", [
        ca("pass_in_tenant_stack", list(BREAK_GLASS)),
    ], label="pass_tenant_owner", ctx={"tenant_owner": True}),
]

GA = "62e90394-69f5-4237-9190-012177145e10"
STRENGTH = "/policies/authenticationStrengthPolicies/00000000-0000-0000-0000-000000000004"


def ca_full(name: str, users: dict, grant: dict, state: str = "enabled", session: dict | None = None, **conditions) -> R:
    props = {"displayName": name, "state": state, "conditions": {
        "users": {**users, "excludedUsers": list(BREAK_GLASS)}, "applications": {"includedApplications": ["All"]},
        "clientAppTypes": ["all"], **conditions}, "grantControls": {"operator": "OR", **grant}}
    return R(name, CA, {**props, "sessionControls": session} if session else props)


OWNER = {"tenant_owner": True}
SCENARIOS += [
    Scenario("entra-admins-phishing-resistant", [
        ca_full("pass_strength", {"includedRoles": [GA]}, {"authenticationStrengthPolicyId": STRENGTH}),
    ], ctx=OWNER),
    Scenario("entra-admins-phishing-resistant", [
        ca_full("plain-mfa", {"includedRoles": [GA]}, {"builtInControls": ["mfa"]}),
    ], label="fail_admins_plain_mfa", ctx=OWNER),
    Scenario("entra-admins-phishing-resistant", [
        ca_full("fail_report_only", {"includedRoles": [GA]}, {"authenticationStrengthPolicyId": STRENGTH},
                state="enabledForReportingButNotEnforced"),
    ], label="report_only", ctx=OWNER),
    Scenario("entra-block-device-code-flow", [
        ca_full("pass_device_code_blocked", {"includedUsers": ["All"]}, {"builtInControls": ["block"]},
                authenticationFlowTransferMethods=["deviceCodeFlow"]),
    ], ctx=OWNER),
    Scenario("entra-block-device-code-flow", [
        ca_full("mfa-only", {"includedUsers": ["All"]}, {"builtInControls": ["mfa"]}),
    ], label="fail_no_device_code_block", ctx=OWNER),
    Scenario("entra-guests-mfa-session", [
        ca_full("pass_guests", {"includedGuestsOrExternalUsers": [{"guestOrExternalUserTypes": "b2bCollaborationGuest"}]},
                {"builtInControls": ["mfa"]}, session={"signInFrequency": 8.0, "signInFrequencyPeriod": "hours"}),
    ], ctx=OWNER),
    Scenario("entra-guests-mfa-session", [
        ca_full("no-session", {"includedGuestsOrExternalUsers": [{"guestOrExternalUserTypes": "b2bCollaborationGuest"}]},
                {"builtInControls": ["mfa"]}),
    ], label="fail_guests_without_session", ctx=OWNER),
]

SWITCHES = {"tenant_owner": True, "conditional_access_switches": ("admin-us-only", "risk-policies")}
US_ONLY = ca_full("pass_us_only", {"includedRoles": [GA]}, {"builtInControls": ["block"]},
                  locations={"includedLocations": ["All"], "excludedLocations": ["/identity/conditionalAccess/namedLocations/x"]})
SIGN_IN = ca_full("pass_sign_in_risk", {"includedUsers": ["All"]}, {"builtInControls": ["mfa"]}, signInRiskLevels=["medium", "high"])
USER = ca_full("pass_user_risk", {"includedUsers": ["All"]}, {"operator": "AND", "builtInControls": ["mfa", "passwordChange"]},
               userRiskLevels=["high"])
SCENARIOS += [
    Scenario("entra-switched-baseline-present", [US_ONLY, SIGN_IN, USER], ctx=SWITCHES),
    Scenario("entra-switched-baseline-present", [US_ONLY, SIGN_IN], label="fail_user_risk_removed", ctx=SWITCHES),
    Scenario("entra-switched-baseline-present", [SIGN_IN, USER], label="fail_us_only_removed", ctx=SWITCHES),
    Scenario("entra-switched-baseline-present", [], label="na_switches_off", ctx={"tenant_owner": True}),
]

SSO_MANAGED = "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment"
SCENARIOS += [
    Scenario("aws-no-admin-managed-policy", [
        R("pass_system_administrator", SSO_MANAGED, {"instanceArn": "arn:aws:sso:::instance/ssoins-0000000000000000",
                                                     "permissionSetArn": U,
                                                     "managedPolicyArn": "arn:aws:iam::aws:policy/job-function/SystemAdministrator"}),
        R("fail_sso_admin", SSO_MANAGED, {"instanceArn": "arn:aws:sso:::instance/ssoins-0000000000000000", "permissionSetArn": U,
                                          "managedPolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        R("fail_role_iam_full", ATTACH, {"role": "r", "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"}),
        R("pass_read_only", ATTACH, {"role": "r", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
        R("unk_arn", ATTACH, {"role": "r", "policyArn": U}),
    ]),
]
