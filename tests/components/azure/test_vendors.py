"""Azure vendor access: the wire form of vendor groups and their read-only role assignments."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from cli.capture import Capture, capture_program
from components.azure.identity import AZURE_ROLES, PRIVILEGED_ROLES
from components.azure.vendors import AzureVendors, AzureVendorsArgs, VendorAccess
from stacks.loader import load_environment
from tests.conftest import REPO, TODAY

RG_ID = "/subscriptions/00000000-0000-0000-0000-0000000000f3/resourceGroups/rg-caf-prod-platform"
VENDORS_GROUP = "00000000-0000-0000-0000-0000000000c1"
GROUP = "azuread:index/group:Group"
MEMBER = "azuread:index/groupMember:GroupMember"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"


def _capture(args: AzureVendorsArgs) -> Capture:
    def program() -> None:
        AzureVendors("vendors", args, vendors_group_object_id=VENDORS_GROUP, resource_group_id=RG_ID)

    return capture_program(program, project="t", stack="prod", config={})


@pytest.fixture(scope="module")
def env():
    return load_environment(REPO / "stacks", "prod", today=TODAY)


@pytest.fixture(scope="module")
def capture(env) -> Capture:
    return _capture(AzureVendorsArgs.from_environment(env))


def test_each_vendor_has_a_group_recording_its_expiry(capture, env):
    groups = {r.inputs["displayName"]: r.inputs for r in capture.of_type(GROUP)}
    for vendor in env.vendors:
        group = groups[f"caf-prod-vendor-{vendor.name}"]
        assert vendor.expires.isoformat() in group["description"]
        assert group["securityEnabled"] is True
        assert not group.get("assignableToRole")


def test_each_vendor_group_joins_the_vendors_group(capture, env):
    members = capture.of_type(MEMBER)
    assert sorted(m.name for m in members) == sorted(f"vendors-vendor-{v.name}-in-vendors" for v in env.vendors)
    for m in members:
        assert m.inputs["groupObjectId"] == VENDORS_GROUP


def test_vendor_roles_are_read_roles_on_the_resource_group(capture):
    vendor_assignments = capture.of_type(ROLE_ASSIGNMENT)
    # prod: mailhouse has Reader; analytics-firm has no Azure roles
    assert [r.name for r in vendor_assignments] == ["vendors-vendor-mailhouse-reader"]
    (reader,) = vendor_assignments
    assert reader.inputs["scope"] == RG_ID
    assert reader.inputs["roleDefinitionId"].endswith(AZURE_ROLES["Reader"])
    assert reader.inputs["principalType"] == "Group"
    assert "2027-06-30" in reader.inputs["description"]
    for assignment in vendor_assignments:
        assert assignment.inputs["roleDefinitionId"].rsplit("/", 1)[-1] not in PRIVILEGED_ROLES.values()


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
