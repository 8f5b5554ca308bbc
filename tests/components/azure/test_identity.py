"""Entra ID identity of one environment: its vendors group and vendor access (tenant-wide parts: test_tenant.py)."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from cli.capture import Capture, capture_program
from components.azure.identity import (
    AZURE_ROLES,
    PRIVILEGED_ROLES,
    EntraIdentity,
    EntraIdentityArgs,
    VendorAccess,
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


def test_an_environment_declares_no_tenant_wide_identity(capture):
    assert capture.of_type(CA) == [] and capture.of_type(FEDERATED) == []
    assert not capture.of_type("azuread:index/application:Application")
    groups = {r.inputs["displayName"]: r.inputs for r in capture.of_type(GROUP)}
    assert set(groups) == {"caf-prod-vendors", "caf-prod-vendor-mailhouse", "caf-prod-vendor-analytics-firm"}
    assert groups["caf-prod-vendors"]["assignableToRole"] is False


# --- vendors --------------------------------------------------------------------------------


def test_each_vendor_has_a_group_recording_its_expiry(capture, env):
    groups = {r.inputs["displayName"]: r.inputs for r in capture.of_type(GROUP)}
    for vendor in env.vendors:
        group = groups[f"caf-prod-vendor-{vendor.name}"]
        assert vendor.expires.isoformat() in group["description"]
        assert group["securityEnabled"] is True
        assert not group.get("assignableToRole")


def test_vendor_roles_are_read_roles_on_the_resource_group(capture):
    vendor_assignments = [r for r in capture.of_type(ROLE_ASSIGNMENT) if "-vendor-" in r.name]
    # prod: mailhouse has Reader; analytics-firm has no Azure roles
    assert [r.name for r in vendor_assignments] == ["identity-vendor-mailhouse-reader"]
    (reader,) = vendor_assignments
    assert reader.inputs["scope"] == RG_ID
    assert reader.inputs["roleDefinitionId"].endswith(AZURE_ROLES["Reader"])
    assert reader.inputs["principalType"] == "Group"
    assert "2027-06-30" in reader.inputs["description"]


def test_no_role_assignment_grants_owner_or_access_administration(capture):
    for assignment in capture.of_type(ROLE_ASSIGNMENT):
        guid = assignment.inputs["roleDefinitionId"].rsplit("/", 1)[-1]
        assert guid not in PRIVILEGED_ROLES.values()


@pytest.mark.parametrize(
    "role", ["Owner", "User Access Administrator", "Role Based Access Control Administrator"]
)
def test_a_vendor_can_never_be_given_a_role_that_grants_access(role):
    with pytest.raises(ValidationError, match=f"may never hold {role}"):
        VendorAccess(
            name="acme",
            contact="ops@acme.example.com",
            expires=date(2027, 1, 1),
            azure_roles=[role],
        )


def test_a_vendor_gets_read_roles_only():
    with pytest.raises(ValidationError, match="read roles only, got 'Contributor'"):
        VendorAccess(
            name="acme",
            contact="ops@acme.example.com",
            expires=date(2027, 1, 1),
            azure_roles=["Contributor"],
        )
