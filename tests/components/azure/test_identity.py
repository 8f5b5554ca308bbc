"""Entra ID identity: the wire form of groups, conditional access, CI federation and vendor access."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cli.capture import Capture, capture_program
from components.azure.identity import (
    AZURE_ROLES,
    PRIVILEGED_ROLES,
    EntraIdentity,
    EntraIdentityArgs,
)
from stacks.loader import load_environment
from tests.conftest import REPO, TODAY

RG_ID = "/subscriptions/00000000-0000-0000-0000-0000000000f3/resourceGroups/rg-caf-prod-platform"
CA = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
GROUP = "azuread:index/group:Group"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
FEDERATED = (
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
)
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


def _capture(args: EntraIdentityArgs, stack: str = "prod") -> tuple[Capture, EntraIdentity]:
    built: dict[str, EntraIdentity] = {}

    def program() -> None:
        built["identity"] = EntraIdentity("identity", args, resource_group_id=RG_ID)

    capture = capture_program(program, project="t", stack=stack, config={})
    return capture, built["identity"]


@pytest.fixture(scope="module")
def env():
    return load_environment(REPO / "stacks", "prod", today=TODAY)


@pytest.fixture(scope="module")
def built(env):
    return _capture(EntraIdentityArgs.from_environment(env))


@pytest.fixture(scope="module")
def capture(built) -> Capture:
    return built[0]


def policies(capture: Capture) -> dict[str, dict]:
    return {r.name.removeprefix("identity-ca-"): r.inputs for r in capture.of_type(CA)}


# --- groups -------------------------------------------------------------------------------


def test_one_security_group_per_role_named_with_org_and_environment(capture):
    groups = {r.inputs["displayName"]: r.inputs for r in capture.of_type(GROUP)}
    for role in ("it-admins", "security", "data-team", "digital", "staff", "vendors"):
        group = groups[f"caf-prod-{role}"]
        assert group["securityEnabled"] is True
        assert group["mailEnabled"] is False


def test_only_the_admin_groups_can_hold_directory_roles(capture):
    assignable = {
        r.inputs["displayName"] for r in capture.of_type(GROUP) if r.inputs.get("assignableToRole")
    }
    assert assignable == {"caf-prod-it-admins", "caf-prod-security"}


# --- conditional access ---------------------------------------------------------------------


def test_every_policy_is_enforced_and_excludes_exactly_the_break_glass_accounts(capture, env):
    found = policies(capture)
    assert set(found) == {"mfa-all-users", "block-legacy-auth", "mfa-admins-every-sign-in"}
    break_glass = [str(i) for i in env.identity.break_glass_object_ids]
    assert break_glass  # the prod file lists two; the test is meaningless without them
    for policy in found.values():
        assert policy["state"] == "enabled"
        assert policy["conditions"]["users"]["excludedUsers"] == break_glass
        assert "excludedGroups" not in policy["conditions"]["users"]


def test_mfa_is_required_of_all_users_on_all_apps(capture):
    policy = policies(capture)["mfa-all-users"]
    assert policy["conditions"]["users"]["includedUsers"] == ["All"]
    assert policy["conditions"]["applications"]["includedApplications"] == ["All"]
    assert policy["conditions"]["clientAppTypes"] == ["all"]
    assert policy["grantControls"] == {"operator": "OR", "builtInControls": ["mfa"]}


def test_legacy_authentication_is_blocked_for_everyone(capture):
    policy = policies(capture)["block-legacy-auth"]
    assert sorted(policy["conditions"]["clientAppTypes"]) == ["exchangeActiveSync", "other"]
    assert policy["conditions"]["users"]["includedUsers"] == ["All"]
    assert policy["grantControls"]["builtInControls"] == ["block"]


def test_admins_need_mfa_on_every_sign_in(capture):
    policy = policies(capture)["mfa-admins-every-sign-in"]
    users = policy["conditions"]["users"]
    assert GLOBAL_ADMIN in users["includedRoles"]
    assert len(users["includedGroups"]) == 2  # it-admins and security
    assert policy["grantControls"]["builtInControls"] == ["mfa"]
    assert policy["sessionControls"]["signInFrequencyInterval"] == "everyTime"
    assert "signInFrequency" not in policy["sessionControls"]  # a period would mean time-based


def test_break_glass_accounts_are_listed_as_outputs(built, env):
    assert built[1].break_glass_object_ids == [str(i) for i in env.identity.break_glass_object_ids]


def test_report_only_is_an_explicit_choice(env):
    args = EntraIdentityArgs.from_environment(env).model_copy(
        update={"conditional_access_report_only": True}
    )
    capture, _ = _capture(args)
    assert {p["state"] for p in policies(capture).values()} == {"enabledForReportingButNotEnforced"}


# --- CI federation --------------------------------------------------------------------------


def test_ci_trusts_exactly_one_repository_environment(capture):
    (credential,) = capture.of_type(FEDERATED)
    inputs = credential.inputs
    assert inputs["subject"] == "repo:example-org/civic-infra:environment:prod"
    assert "*" not in inputs["subject"]
    assert inputs["issuer"] == "https://token.actions.githubusercontent.com"
    assert inputs["audiences"] == ["api://AzureADTokenExchange"]


def test_the_ci_app_has_no_secret(capture):
    (app,) = capture.of_type("azuread:index/application:Application")
    assert "password" not in app.inputs
    # no ApplicationPassword, ServicePrincipalPassword or *Certificate resources either
    assert not [r.type for r in capture.resources if r.type.endswith(("Password", "Certificate"))]


def test_ci_is_contributor_on_the_resource_group_only(capture):
    (assignment,) = [
        r for r in capture.of_type(ROLE_ASSIGNMENT) if r.name.startswith("identity-ci-")
    ]
    assert assignment.inputs["scope"] == RG_ID
    assert assignment.inputs["roleDefinitionId"].endswith(
        "/roleDefinitions/" + AZURE_ROLES["Contributor"]
    )
    assert assignment.inputs["principalType"] == "ServicePrincipal"
    # principalId is the service principal's object id, not the app's
    sp = capture.of_type("azuread:index/servicePrincipal:ServicePrincipal")[0]
    assert assignment.property_dependencies["principalId"] == (sp.urn,)


def test_no_role_assignment_grants_owner_or_access_administration(capture):
    for assignment in capture.of_type(ROLE_ASSIGNMENT):
        guid = assignment.inputs["roleDefinitionId"].rsplit("/", 1)[-1]
        assert guid not in PRIVILEGED_ROLES.values()


def test_ci_cannot_be_made_owner(env):
    values = EntraIdentityArgs.from_environment(env).model_dump()
    with pytest.raises(ValidationError, match="CI must not hold Owner"):
        EntraIdentityArgs(**{**values, "ci_role": "Owner"})
