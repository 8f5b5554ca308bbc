"""The tenant stack: conditional access baseline, CI identities of every environment, repository settings."""

from __future__ import annotations

import json

import pytest

from cli.plan import plan_environment
from cli.policycheck import check_capture
from cli.project import find_project
from components.azure.ci_identity import DEPLOY_NOT_ACTIONS, role_assignment_condition
from policies.core import Status
from stacks.loader import load_environment
from tests.conftest import REPO, TODAY

CA = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
BREAK_GLASS = ["00000000-0000-0000-0000-00000000b001", "00000000-0000-0000-0000-00000000b002"]


@pytest.fixture(scope="module")
def tenant():
    return load_environment(REPO / "stacks", "tenant", today=TODAY)


@pytest.fixture(scope="module")
def plan(tenant):
    return plan_environment(find_project(REPO), tenant)


def _ca(plan) -> dict[str, dict]:
    return {r.name.removeprefix("tenant-ca-"): r.inputs for r in plan.of_type(CA)}


def test_one_baseline_enforced_and_break_glass_excluded_from_every_policy(plan):
    policies = _ca(plan)
    assert set(policies) == {"admins-phishing-resistant", "mfa-all-users", "block-legacy-auth", "block-device-code-flow",
                             "guests-mfa-session", "guests-approved-apps-only", "admins-us-only", "sign-in-risk",
                             "user-risk"}  # fmt: skip
    for key, p in policies.items():
        assert p["state"] == "enabled", key
        assert p["conditions"]["users"]["excludedUsers"] == BREAK_GLASS, key


def test_admins_need_phishing_resistant_strength_and_us_sign_in(plan):
    p = _ca(plan)
    admins = p["admins-phishing-resistant"]
    assert admins["grantControls"]["authenticationStrengthPolicyId"].endswith("00000000-0000-0000-0000-000000000004")
    assert "builtInControls" not in admins["grantControls"]
    assert "62e90394-69f5-4237-9190-012177145e10" in admins["conditions"]["users"]["includedRoles"]
    assert admins["sessionControls"]["signInFrequencyInterval"] == "everyTime"
    us = p["admins-us-only"]
    assert us["grantControls"]["builtInControls"] == ["block"]
    assert us["conditions"]["locations"]["includedLocations"] == ["All"]
    (location,) = plan.of_type("azuread:index/namedLocation:NamedLocation")
    assert location.inputs["country"]["countriesAndRegions"] == ["US"]
    (us_policy,) = [r for r in plan.of_type(CA) if r.name == "tenant-ca-admins-us-only"]
    assert location.urn in us_policy.property_dependencies["conditions"]


def test_device_code_legacy_risk_and_guest_policies(plan):
    p = _ca(plan)
    assert p["block-device-code-flow"]["conditions"]["authenticationFlowTransferMethods"] == ["deviceCodeFlow"]
    assert p["block-legacy-auth"]["conditions"]["clientAppTypes"] == ["exchangeActiveSync", "other"]
    assert p["sign-in-risk"]["conditions"]["signInRiskLevels"] == ["medium", "high"]
    assert p["user-risk"]["grantControls"] == {"operator": "AND", "builtInControls": ["mfa", "passwordChange"]}
    guests = p["guests-mfa-session"]
    assert guests["sessionControls"]["signInFrequency"] == 8.0 and guests["sessionControls"]["signInFrequencyPeriod"] == "hours"
    assert p["guests-approved-apps-only"]["conditions"]["applications"]["excludedApplications"] == ["Office365"]


def test_each_environment_gets_plan_and_deploy_identities_pinned_to_its_github_environments(plan):
    subjects = sorted(r.inputs["subject"] for r in plan.of_type(
        "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"))
    assert subjects == sorted([*(f"repo:example-org/civic-infra:environment:{e}" for env in ("dev", "staging", "prod")
                                 for e in (env, f"{env}-plan")),
                               "repo:example-org/civic-infra:environment:tenant-plan"])  # fmt: skip
    roles = {r.inputs["name"]: r for r in plan.of_type("aws:iam/role:Role")}
    assert set(roles) == {f"caf-{e}-ci-{k}" for e in ("dev", "staging", "prod") for k in ("plan", "deploy", "tenant-plan")}
    providers = {r.name: r.inputs for r in plan.of_type("pulumi:providers:aws")}
    assert json.loads(providers["aws-prod"]["allowedAccountIds"]) == ["000000000003"]


def test_azure_deploy_role_has_no_data_and_a_conditioned_role_assignment_right(plan):
    definitions = {r.inputs["roleName"]: r.inputs for r in plan.of_type("azure-native:authorization:RoleDefinition")}
    deploy = definitions["caf-prod-ci-deploy"]
    assert deploy["assignableScopes"] == ["/subscriptions/00000000-0000-0000-0000-0000000000f3/resourceGroups/rg-caf-prod-platform"]
    (permissions,) = deploy["permissions"]
    assert permissions["dataActions"] == [] and set(DEPLOY_NOT_ACTIONS) <= set(permissions["notActions"])
    assert "*" not in permissions["actions"]
    plan_reader = [r for r in plan.of_type("azure-native:authorization:RoleAssignment") if r.name == "ci-prod-plan-reader"]
    assert plan_reader[0].inputs["roleDefinitionId"].endswith("acdd72a7-3385-48ef-bd42-f606fba81ae7")


def test_role_assignment_condition_limits_roles_types_and_never_the_ci_itself():
    text = role_assignment_condition(["acdd72a7-3385-48ef-bd42-f606fba81ae7"], ("Group",), ["00000000-0000-0000-0000-0000000000c1"])
    assert "@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {acdd72a7" in text
    assert "@Resource[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'Group'}" in text
    assert "PrincipalId] ForAnyOfAllValues:GuidNotEquals {00000000-0000-0000-0000-0000000000c1}" in text
    assert text.count("ActionMatches") == 2


def test_tenant_logs_go_only_to_the_log_environment(plan):
    (setting,) = plan.of_type("azure-native:aadiam:DiagnosticSetting")
    assert setting.inputs["workspaceId"].endswith("/workspaces/log-caf-prod-platform")
    (connector,) = plan.of_type("azure-native:securityinsights:OfficeDataConnector")
    assert connector.inputs["workspaceName"] == "log-caf-prod-platform"
    assert connector.inputs["resourceGroupName"] == "rg-caf-prod-platform"
    providers = {r.name: r.inputs for r in plan.of_type("pulumi:providers:azure-native")}
    assert providers["azure-prod"]["subscriptionId"] == "00000000-0000-0000-0000-0000000000f3"


def test_repository_settings_as_code(plan):
    envs = {r.inputs["environment"]: r.inputs for r in plan.of_type("github:index/repositoryEnvironment:RepositoryEnvironment")}
    assert set(envs) == {"dev", "dev-plan", "staging", "staging-plan", "prod", "prod-plan", "tenant", "tenant-plan"}
    for name in ("dev", "staging", "prod", "tenant"):
        assert envs[name]["reviewers"] == [{"teams": [1.0]}] and envs[name]["canAdminsBypass"] is False
        assert envs[name]["deploymentBranchPolicy"] == {"protectedBranches": False, "customBranchPolicies": True}
    assert envs["prod"]["waitTimer"] == 5.0 and "reviewers" not in envs["prod-plan"]
    branches = {r.inputs["branchPattern"] for r in plan.of_type(
        "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy")}
    assert branches == {"main"}
    (token,) = plan.of_type("github:index/workflowRepositoryPermissions:WorkflowRepositoryPermissions")
    assert token.inputs["defaultWorkflowPermissions"] == "read" and token.inputs["canApprovePullRequestReviews"] is False
    (oidc,) = plan.of_type("github:index/actionsRepositoryOidcSubjectClaimCustomizationTemplate:ActionsRepositoryOidcSubjectClaimCustomizationTemplate")
    assert oidc.inputs["includeClaimKeys"] == ["repo", "context"] and oidc.inputs["useDefault"] is False
    (ruleset,) = plan.of_type("github:index/repositoryRuleset:RepositoryRuleset")
    checks = [c["context"] for c in ruleset.inputs["rules"]["requiredStatusChecks"]["requiredChecks"]]
    assert ruleset.inputs["enforcement"] == "active" and "bypassActors" not in ruleset.inputs
    # Every required check is a real job of the pull-request workflow (matrix jobs expanded).
    import yaml

    jobs = yaml.safe_load((REPO / ".github/workflows/pull-request.yml").read_text())["jobs"]
    names = {job["name"].replace("${{ matrix.env }}", env) for job in jobs.values()
             for env in (job.get("strategy", {}).get("matrix", {}).get("env") or [""])}  # fmt: skip
    assert checks and set(checks) <= names and "plan and policy (prod)" in checks
    variables = {(r.inputs["variableName"], r.name) for r in plan.of_type("github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable")}
    names = {v for v, _ in variables}
    assert {"AWS_ROLE_ARN", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID", "AWS_REGION"} <= names
    assert not [n for n in names if "SECRET" in n or "KEY" in n or "PASSWORD" in n]


def test_prod_plan_variables_carry_the_plan_role(plan):
    values = {r.name: r.inputs["value"] for r in plan.of_type("github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable")}
    assert values["github-var-prod-plan-aws-role-arn"] == "arn:aws:iam::000000000003:role/caf-prod-ci-plan"
    assert values["github-var-prod-aws-role-arn"] == "arn:aws:iam::000000000003:role/caf-prod-ci-deploy"


def test_the_tenant_stack_passes_every_policy(plan, tenant):
    report = check_capture(plan, tenant, today=TODAY)
    assert [(r.policy, r.name, r.message) for r in report.results if r.status is Status.failed] == []
    passed = {r.policy for r in report.results if r.status is Status.passed}
    assert {"entra-break-glass-excluded", "entra-tenant-resources-single-owner", "azure-ci-no-privileged-role",
            "azure-ci-no-data-access", "azure-custom-role-no-wildcard-actions", "aws-ci-plan-no-data-plane",
            "aws-iam-escalation-needs-boundary", "entra-mfa-for-all-users", "entra-switched-baseline-present",
            "entra-admins-phishing-resistant", "entra-block-device-code-flow", "entra-guests-mfa-session"} <= passed  # fmt: skip


def test_owned_environments_stop_the_program_naming_the_file_and_key(tmp_path, tenant):
    import pulumi

    from components.platform.tenant import owned_environments
    from tests.conftest import minimal_values, write_stack

    bad = minimal_values()
    bad["network"]["aws_vpc_cidr"] = "8.8.0.0/16"
    write_stack(tmp_path, "dev", bad)
    with pytest.raises(pulumi.RunError, match=r"stacks/Pulumi.dev.yaml: infra:network.aws_vpc_cidr: must be a private"):
        owned_environments(tenant.model_copy(update={"tenant": tenant.tenant.model_copy(update={"environments": ["dev"]})}),
                           stacks_dir=tmp_path)


def test_state_bucket_secrets_alias_and_restricted_buckets_come_from_the_model():
    from components.platform.tenant import restricted_buckets, secrets_key_alias, state_bucket

    prod = load_environment(REPO / "stacks", "prod", today=TODAY)
    assert restricted_buckets(prod) == ["caf-prod-lake-raw", "caf-prod-lake-curated"]
    assert state_bucket(prod) is None and secrets_key_alias(prod) is None
    deployment = prod.deployment.model_copy(update={"backend_url": "s3://caf-state/prod",
                                                     "secrets_provider": "awskms://alias/caf-prod-secrets?region=us-east-1"})
    moved = prod.model_copy(update={"deployment": deployment})
    assert state_bucket(moved) == "caf-state" and secrets_key_alias(moved) == "alias/caf-prod-secrets"


# --- the tenant stack's own plan identity (GitHub environment tenant-plan) ----------------------


def test_tenant_plan_app_is_federated_only_with_tenant_plan_and_requests_graph_reads_only(plan):
    from components.azure.tenant_plan import GRAPH_READ_ROLES
    from policies.azure.graph_permissions import GRAPH_APP_ID

    (app,) = [r for r in plan.of_type("azuread:index/application:Application") if r.name == "ci-tenant-plan-app"]
    (access,) = app.inputs["requiredResourceAccesses"]
    assert access["resourceAppId"] == GRAPH_APP_ID
    assert sorted((a["id"], a["type"]) for a in access["resourceAccesses"]) == sorted(
        (i, "Role") for i in GRAPH_READ_ROLES.values())
    assert set(GRAPH_READ_ROLES) == {"Policy.Read.All", "Group.Read.All", "Application.Read.All",
                                     "EntitlementManagement.Read.All"}
    assert not plan.of_type("azuread:index/applicationPassword:ApplicationPassword")
    (federation,) = [r for r in plan.of_type(
        "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential")
        if r.name == "ci-tenant-plan-github"]  # fmt: skip
    assert federation.inputs["subject"] == "repo:example-org/civic-infra:environment:tenant-plan"
    assert federation.inputs["audiences"] == ["api://AzureADTokenExchange"]
    assert federation.inputs["issuer"] == "https://token.actions.githubusercontent.com"


def test_tenant_plan_reads_role_definitions_and_assignments_only_and_the_log_resource_group(plan):
    definitions = {r.inputs["roleName"]: r.inputs for r in plan.of_type("azure-native:authorization:RoleDefinition")}
    for env, sub in (("dev", "d1"), ("staging", "e2"), ("prod", "f3")):
        role = definitions[f"caf-{env}-ci-tenant-plan"]
        assert role["assignableScopes"] == [f"/subscriptions/00000000-0000-0000-0000-0000000000{sub}"]
        assert role["permissions"] == [{"actions": ["Microsoft.Authorization/roleDefinitions/read",
                                                    "Microsoft.Authorization/roleAssignments/read"],
                                        "notActions": [], "dataActions": [], "notDataActions": []}]  # fmt: skip
    readers = [r for r in plan.of_type("azure-native:authorization:RoleAssignment") if r.name.endswith("-tenant-plan-reader")]
    assert [r.name for r in readers] == ["ci-prod-tenant-plan-reader"]
    assert readers[0].inputs["scope"].endswith("/resourceGroups/rg-caf-prod-platform")


def test_tenant_plan_aws_role_trusts_tenant_plan_and_reads_the_ci_roles_only(plan):
    (role,) = [r for r in plan.of_type("aws:iam/role:Role") if r.inputs["name"] == "caf-prod-ci-tenant-plan"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert [s["Condition"]["StringEquals"] for s in trust] == [{
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:example-org/civic-infra:environment:tenant-plan"}]
    assert role.inputs["permissionsBoundary"].endswith(":policy/caf-prod-ci-boundary")
    (policy,) = [r for r in plan.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "ci-prod-aws-tenant-plan-policy"]
    read, deny = json.loads(policy.inputs["policy"])["Statement"]
    assert all(a.startswith(("iam:Get", "iam:List")) for a in read["Action"])
    assert read["Resource"] == ["arn:aws:iam::000000000003:role/caf-prod-ci-*", "arn:aws:iam::000000000003:policy/caf-prod-ci-*",
                                "arn:aws:iam::000000000003:oidc-provider/token.actions.githubusercontent.com"]
    assert deny["Effect"] == "Deny" and "s3:GetObject" in deny["Action"] and "kms:Decrypt" in deny["Action"]
    assert not [r for r in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                if "tenant-plan" in r.name]  # no ReadOnlyAccess: only what the tenant stack manages


def test_environment_deploy_roles_may_never_change_the_tenant_plan_role(plan):
    (boundary,) = [r for r in plan.of_type("aws:iam/policy:Policy") if r.inputs["name"] == "caf-prod-ci-boundary"]
    statements = {s["Sid"]: s for s in json.loads(boundary.inputs["policy"])["Statement"]}
    assert "arn:aws:iam::000000000003:role/caf-prod-ci-tenant-plan" in statements["DenyCiRoleChanges"]["Resource"]


def test_tenant_aws_providers_use_the_same_profile_for_plan_and_deploy(plan):
    providers = {r.name: r.inputs for r in plan.of_type("pulumi:providers:aws")}
    assert providers["aws-prod"]["profile"] == "caf-tenant-prod" and "assumeRoles" not in providers["aws-prod"]
    values = {r.name: r.inputs["value"] for r in plan.of_type("github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable")}
    assert values["github-var-tenant-aws-tenant-profiles"] == " ".join(
        f"caf-tenant-{e}=arn:aws:iam::00000000000{n}:role/tenant-ci" for e, n in (("dev", 1), ("prod", 3), ("staging", 2)))
    assert values["github-var-tenant-plan-aws-tenant-profiles"] == " ".join(
        f"caf-tenant-{e}=arn:aws:iam::00000000000{n}:role/caf-{e}-ci-tenant-plan"
        for e, n in (("dev", 1), ("prod", 3), ("staging", 2)))  # fmt: skip
    assert "github-var-tenant-plan-aws-role-arn" not in values and "github-var-tenant-azure-client-id" not in values
    assert values["github-var-tenant-plan-azure-client-id"]


# --- the secrets provider's key: the plan identity decrypts with it and nothing else -------------


def _with_provider(env, provider: str, **extra):
    deployment = env.deployment.model_copy(update={"secrets_provider": provider, **extra})
    return env.model_copy(update={"deployment": deployment})


def test_secrets_provider_keys_come_from_the_model():
    from components.platform.tenant import (
        secrets_encryption_context,
        secrets_key_arn,
        secrets_key_scope,
    )

    prod = load_environment(REPO / "stacks", "prod", today=TODAY)
    assert secrets_key_arn(prod) is None and secrets_key_scope(prod) is None and secrets_encryption_context(prod) == {}
    by_id = _with_provider(prod, "awskms://00000000-0000-0000-0000-0000000000aa?region=us-east-1&context_stack=prod")
    assert secrets_key_arn(by_id) == "arn:aws:kms:us-east-1:000000000003:key/00000000-0000-0000-0000-0000000000aa"
    assert secrets_encryption_context(by_id) == {"stack": "prod"}
    arn = "arn:aws:kms:us-east-1:000000000003:key/00000000-0000-0000-0000-0000000000bb"
    assert secrets_key_arn(_with_provider(prod, f"awskms:///{arn}?region=us-east-1")) == arn
    assert secrets_key_arn(_with_provider(prod, "awskms://alias/caf-prod-secrets?region=us-east-1")) is None
    vault = _with_provider(prod, "azurekeyvault://caf-prod-secrets.vault.azure.net/keys/pulumi")
    assert secrets_key_scope(vault) == ("/subscriptions/00000000-0000-0000-0000-0000000000f3/resourceGroups/"
                                        "rg-caf-prod-platform/providers/Microsoft.KeyVault/vaults/caf-prod-secrets/keys/pulumi")
    elsewhere = _with_provider(prod, "azurekeyvault://caf-secrets.vault.azure.net/keys/prod", secrets_key_resource_group="rg-secrets")
    assert "/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/caf-secrets/keys/prod" in secrets_key_scope(elsewhere)


def test_aws_plan_decrypts_only_the_named_key_with_its_encryption_context():
    from components.aws.ci_identity import CiIdentityArgs, deploy_statements, plan_statements

    key = "arn:aws:kms:us-east-1:000000000003:key/00000000-0000-0000-0000-0000000000aa"
    args = CiIdentityArgs(account_id="000000000003", region="us-east-1", name_prefix="caf-prod",
                          github_repository="example-org/civic-infra", environment="prod", secrets_key_arn=key,
                          secrets_encryption_context={"stack": "prod"})  # fmt: skip
    by_sid = {s["Sid"]: s for s in plan_statements(args)}
    assert by_sid["DecryptStackSecrets"] == {"Sid": "DecryptStackSecrets", "Effect": "Allow", "Action": "kms:Decrypt",
                                             "Resource": key,
                                             "Condition": {"StringEquals": {"kms:EncryptionContext:stack": "prod"}}}
    assert by_sid["DenyDataKeyUse"]["NotResource"] == key and "kms:Decrypt" in by_sid["DenyDataKeyUse"]["Action"]
    # a deploy reads the stack's config secrets with the same one key, and no other decrypt
    deploy_decrypts = [s for s in deploy_statements(args) if "kms:Decrypt" in str(s.get("Action"))]
    assert deploy_decrypts == [by_sid["DecryptStackSecrets"]]
    alias = CiIdentityArgs(**{**args.model_dump(), "secrets_key_arn": None, "secrets_key_alias": "alias/caf-prod-secrets"})
    decrypt = {s["Sid"]: s for s in plan_statements(alias)}["DecryptStackSecrets"]
    assert decrypt["Condition"] == {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/caf-prod-secrets"},
                                    "StringEquals": {"kms:EncryptionContext:stack": "prod"}}


def test_azure_plan_decrypts_with_the_secrets_key_at_its_scope_and_passes_the_policies(tmp_path):
    import shutil

    from cli.project import find_project as project_at

    root = tmp_path / "project"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(".venv*", ".git", ".infra", "__pycache__", "bench", "tests"))
    prod_file = root / "stacks" / "Pulumi.prod.yaml"
    text = prod_file.read_text(encoding="utf-8")
    assert "  infra:deployment:\n" in text
    prod_file.write_text(text.replace("  infra:deployment:\n", "  infra:deployment:\n    secrets_provider: "
                                      "azurekeyvault://caf-prod-secrets.vault.azure.net/keys/pulumi\n", 1), encoding="utf-8")
    tenant = load_environment(root / "stacks", "tenant", today=TODAY)
    from components.platform import tenant as tenant_module

    original = tenant_module.STACKS_DIR
    tenant_module.STACKS_DIR = root / "stacks"
    try:
        plan = plan_environment(project_at(root), tenant)
    finally:
        tenant_module.STACKS_DIR = original
    for kind in ("plan", "deploy"):  # a preview and a deploy both read the stack's config secrets
        (decrypt,) = [r for r in plan.of_type("azure-native:authorization:RoleAssignment")
                      if r.name == f"ci-prod-{kind}-secrets-decrypt"]  # fmt: skip
        assert decrypt.inputs["scope"].endswith("/vaults/caf-prod-secrets/keys/pulumi")
    (role,) = [r.inputs for r in plan.of_type("azure-native:authorization:RoleDefinition")
               if r.inputs["roleName"] == "caf-prod-ci-plan-secrets-decrypt"]
    assert role["permissions"][0]["dataActions"] == ["Microsoft.KeyVault/vaults/keys/read",
                                                     "Microsoft.KeyVault/vaults/keys/decrypt/action"]
    assert not [r for r in plan.of_type("azure-native:authorization:RoleAssignment") if r.name == "ci-dev-plan-secrets-decrypt"]
    report = check_capture(plan, tenant, today=TODAY)
    assert [(r.policy, r.name) for r in report.results if r.status is Status.failed] == []
    assert {(r.policy, r.name) for r in report.results if r.status is Status.passed} >= {
        ("azure-ci-decrypt-secrets-key-only", "ci-prod-plan-secrets-decrypt"),
        ("azure-ci-no-data-access", "ci-prod-plan-secrets-decrypt"),
        ("azure-ci-decrypt-secrets-key-only", "ci-prod-deploy-secrets-decrypt"),
        ("azure-ci-no-data-access", "ci-prod-deploy-secrets-decrypt")}


# --- every owned environment's Entra vendor objects ------------------------------------------------


def test_tenant_stack_declares_each_environments_vendor_groups_and_packages(plan):
    prod = load_environment(REPO / "stacks", "prod", today=TODAY)
    groups = {r.inputs["displayName"]: r for r in plan.of_type("azuread:index/group:Group")}
    assert {"caf-dev-vendors", "caf-staging-vendors", "caf-prod-vendors"} <= set(groups)
    packages = {r.inputs["displayName"] for r in plan.of_type("azuread:index/accessPackage:AccessPackage")}
    catalogs = {r.inputs["displayName"] for r in plan.of_type("azuread:index/accessPackageCatalog:AccessPackageCatalog")}
    assert "caf-prod-vendors" in catalogs
    assert prod.vendors
    for vendor in prod.vendors:
        assert f"caf-prod-vendor-{vendor.name}" in groups
        assert f"caf-prod-vendor-{vendor.name}" in packages
    policies = {r.inputs["displayName"]: r.inputs for r in plan.of_type(
        "azuread:index/accessPackageAssignmentPolicy:AccessPackageAssignmentPolicy")}
    for vendor in prod.vendors:
        expiry = policies[f"caf-prod-vendor-{vendor.name} until {vendor.expires.isoformat()}"]["expirationDate"]
        assert expiry == f"{vendor.expires.isoformat()}T00:00:00Z"
    # The read roles sit on the environment's resource group, to the vendor's group only.
    (reader,) = [r for r in plan.of_type("azure-native:authorization:RoleAssignment")
                 if r.name == "vendors-prod-vendor-mailhouse-reader"]
    assert reader.inputs["scope"].endswith("/resourceGroups/rg-caf-prod-platform")
    assert reader.inputs["principalType"] == "Group"
    assert groups["caf-prod-vendor-mailhouse"].urn in reader.property_dependencies["principalId"]


def test_tenant_stack_leaves_out_expired_vendors(tenant):
    from datetime import timedelta

    from cli.capture import capture_program
    from components.platform import define_platform

    prod = load_environment(REPO / "stacks", "prod", today=TODAY)
    first = min(v.expires for v in prod.vendors)
    assert first < max(v.expires for v in prod.vendors), "the sample vendors need different end dates"
    later = capture_program(lambda: define_platform(tenant, today=first + timedelta(days=1)),
                            project="civic-infra", stack="tenant", config={})
    names = {r.inputs["displayName"] for r in later.of_type("azuread:index/group:Group")}
    for vendor in prod.vendors:
        assert (f"caf-prod-vendor-{vendor.name}" in names) == (vendor.expires > first), vendor.name


def test_tenant_stack_vendor_policies_fail_without_the_package(plan, tenant):
    """The control removed in the tenant stack's capture (prod's assignment policies dropped) fails."""
    import dataclasses

    dropped = "azuread:index/accessPackageAssignmentPolicy:AccessPackageAssignmentPolicy"
    stripped = dataclasses.replace(plan, resources=tuple(r for r in plan.resources
                                                         if not (r.type == dropped and r.name.startswith("vendors-prod-"))))
    report = check_capture(stripped, tenant, today=TODAY)
    failed = {(r.policy, r.name) for r in report.results if r.status is Status.failed}
    for policy in ("azure-vendor-access-expires-in-entra", "azure-vendor-access-reviewed-quarterly"):
        assert (policy, "vendors-prod-vendor-mailhouse") in failed, policy
    assert not [n for _, n in failed if n.startswith("vendors-staging-")]


def test_tenant_rbac_condition_gives_ci_roles_to_service_principals_and_vendor_reads_to_groups_only():
    from components.azure.ci_identity import READER, VENDOR_ASSIGNABLE_ROLES, AzureCiIdentityArgs

    args = AzureCiIdentityArgs(short_name="caf", environment="prod", github_repository="example-org/civic-infra",
                               subscription_id="00000000-0000-0000-0000-0000000000f3",
                               resource_group_name="rg-caf-prod-platform")
    text = args.tenant_condition()
    assert text.count("ActionMatches") == 2
    for branch in text.split(" AND ((!(ActionMatches"):
        ci_part, vendor_part = branch.split("{'ServicePrincipal'}) OR ", 1)
        assert args.role_guid("deploy") in ci_part and READER in ci_part
        assert "'Group'" not in ci_part
        assert vendor_part.count("'Group'") == 1 and "ServicePrincipal" not in vendor_part
        for role in VENDOR_ASSIGNABLE_ROLES.values():
            assert role in vendor_part
        assert "Storage Blob Data Contributor" not in vendor_part and "ba92f5b4" not in branch


def test_environment_ci_apps_request_graph_permissions_only_with_web_apps(plan):
    """Web apps' sign-in registrations are created by the environment's deploy identity: it requests
    Application.ReadWrite.OwnedBy (its own apps only) and its plan identity Application.Read.All;
    an environment without web apps requests nothing."""
    from policies.azure.graph_permissions import GRAPH_APP_ID, GRAPH_ROLE_IDS
    from stacks.loader import load_environment
    from stacks.members import STACKS_DIR

    apps = {r.inputs["displayName"]: r for r in plan.of_type("azuread:index/application:Application")}
    for env in ("dev", "staging", "prod"):
        with_web_apps = load_environment(STACKS_DIR, env).web_apps.enabled
        for kind, role in (("deploy", "Application.ReadWrite.OwnedBy"), ("plan", "Application.Read.All")):
            accesses = apps[f"caf-{env}-ci-{kind}"].inputs.get("requiredResourceAccesses")
            if not with_web_apps:
                assert not accesses, (env, kind)
                continue
            assert accesses == [{"resourceAppId": GRAPH_APP_ID,
                                 "resourceAccesses": [{"id": GRAPH_ROLE_IDS[role], "type": "Role"}]}], (env, kind)
