"""The faults the identity review found (issue 10), rebuilt: each fails the new policies, naming the
resource, the statement and the fix."""

from __future__ import annotations

from policies.catalog import policies_by_name
from policies.core import Status
from tests.policies.cases_identity import (
    BREAK_GLASS,
    CONTRIBUTOR,
    ORIGINAL_DEPLOY,
    SP,
    R,
    Scenario,
    assignment,
    ca,
    github_trust,
    inline,
    role,
)
from tests.policies.fixtures import context, offline_stack


def failures(policy: str, scenario: Scenario) -> list[tuple[str, str]]:
    results = policies_by_name()[policy].evaluate(offline_stack(scenario), context(scenario))
    return [(r.name, r.message) for r in results if r.status is Status.failed]


def test_the_original_deploy_role_fails_escalation_exposure_and_destruction():
    stack = [role("caf-dev-github-deploy", kind="deploy", boundary=None), inline("platform-deploy", "caf-dev-github-deploy", *ORIGINAL_DEPLOY)]
    (escalation,) = failures("aws-iam-escalation-needs-boundary", Scenario("x", stack))
    assert escalation[0] == "platform-deploy"
    assert "statement PlatformRoles allows iam:CreateRole and has no iam:PermissionsBoundary condition" in escalation[1]
    assert "iam:UpdateAssumeRolePolicy and is not limited to the platform's tagged resources" in escalation[1]
    assert "add Condition StringEquals iam:PermissionsBoundary" in escalation[1]
    (exposure,) = failures("aws-iam-no-wildcard-data-access", Scenario("x", stack))
    assert "statement ManageKeys allows kms:Decrypt, kms:PutKeyPolicy, kms:CreateGrant" in exposure[1]
    assert "name the resources or add a tag or kms:ViaService condition" in exposure[1]
    (destruction,) = failures("aws-iam-restricted-data-destruction-denied", Scenario("x", stack))
    assert destruction[0] == "caf-dev-github-deploy" and "kms:ScheduleKeyDeletion" in destruction[1]
    assert "s3:PutLifecycleConfiguration" in destruction[1] and "add a Deny statement" in destruction[1]
    (boundary,) = failures("aws-iam-role-has-boundary", Scenario("x", stack, ctx={"tenant_owner": False}))
    assert "permissionsBoundary is not set; attach the CI permissions boundary" in boundary[1]


def test_a_preview_sharing_the_deploy_identity_fails_the_pinned_trust():
    # The preview ran as the deploy identity from any pull request: a pull_request subject on the deploy role.
    stack = [role("caf-prod-github-deploy", github_trust("repo:example-org/civic-infra:pull_request"), kind="deploy")]
    ((name, message),) = failures("aws-ci-trust-pinned-environment", Scenario("x", stack))
    assert name == "caf-prod-github-deploy"
    assert "trust statement #0 subject is 'repo:example-org/civic-infra:pull_request'" in message
    assert "pin it to one 'repo:<owner>/<repo>:environment:<env>'" in message


def test_contributor_for_the_azure_ci_identity_fails():
    stack = [R("identity-ci-sp", SP, {"clientId": "x"}), assignment("identity-ci-contributor", "identity-ci-sp", CONTRIBUTOR)]
    ((name, message),) = failures("azure-ci-no-privileged-role", Scenario("x", stack))
    assert name == "identity-ci-contributor" and "Contributor" in message and "use the CI custom role" in message


def test_a_dev_copy_of_conditional_access_fails_both_the_owner_and_break_glass_checks():
    dev_copy = [ca("identity-ca-mfa-all-users", [BREAK_GLASS[0]])]
    ((_, owner),) = failures("entra-tenant-resources-single-owner", Scenario("x", dev_copy, ctx={"tenant_owner": False,
                                                                                              "environment": "dev"}))
    assert "identity-ca-mfa-all-users: ConditionalAccessPolicy is tenant-wide but declared by environment dev" in owner
    ((name, glass),) = failures("entra-break-glass-excluded", Scenario("x", dev_copy, ctx={"break_glass_object_ids": BREAK_GLASS}))
    assert name == "identity-ca-mfa-all-users" and BREAK_GLASS[1] in glass and "exclude every account" in glass
