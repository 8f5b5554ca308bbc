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


# --- Entra-enforced expiry and quarterly review (issue 11) ---------------------------------

CATALOG = "azuread:index/accessPackageCatalog:AccessPackageCatalog"
PACKAGE = "azuread:index/accessPackage:AccessPackage"
CATALOG_GROUP = "azuread:index/accessPackageResourceCatalogAssociation:AccessPackageResourceCatalogAssociation"
PACKAGE_GROUP = "azuread:index/accessPackageResourcePackageAssociation:AccessPackageResourcePackageAssociation"
ASSIGNMENT_POLICY = "azuread:index/accessPackageAssignmentPolicy:AccessPackageAssignmentPolicy"
PACKAGE_TYPES = (CATALOG, PACKAGE, CATALOG_GROUP, PACKAGE_GROUP, ASSIGNMENT_POLICY)


def _by_name(capture: Capture, type_: str) -> dict:
    return {r.name: r for r in capture.of_type(type_)}


def test_one_hidden_catalog_per_environment(capture):
    (catalog,) = capture.of_type(CATALOG)
    assert catalog.inputs["displayName"] == "caf-prod-vendors"
    assert catalog.inputs["externallyVisible"] is False


def test_each_vendor_group_is_handed_out_only_by_its_access_package(capture, env):
    groups = _by_name(capture, GROUP)
    in_catalog = _by_name(capture, CATALOG_GROUP)
    in_package = _by_name(capture, PACKAGE_GROUP)
    packages = _by_name(capture, PACKAGE)
    (catalog,) = capture.of_type(CATALOG)
    for v in env.vendors:
        base = f"vendors-vendor-{v.name}"
        assoc = in_catalog[f"{base}-catalog-group"]
        assert assoc.inputs["resourceOriginSystem"] == "AadGroup"
        assert assoc.property_dependencies["resourceOriginId"] == (groups[base].urn,)
        assert assoc.property_dependencies["catalogId"] == (catalog.urn,)
        link = in_package[f"{base}-package-group"]
        assert link.inputs["accessType"] == "Member"
        assert link.property_dependencies["catalogResourceAssociationId"] == (assoc.urn,)
        assert link.property_dependencies["accessPackageId"] == (packages[f"{base}-package"].urn,)
        assert packages[f"{base}-package"].inputs["hidden"] is True
        # No permanent member anywhere: people get in only through the package.
        assert "members" not in groups[base].inputs
        assert "access package" in groups[base].inputs["description"]


def test_each_assignment_policy_ends_on_the_vendors_date_and_is_reviewed_quarterly_by_the_contact(capture, env):
    policies = _by_name(capture, ASSIGNMENT_POLICY)
    packages = _by_name(capture, PACKAGE)
    assert len(policies) == len(env.vendors)
    for v in env.vendors:
        base = f"vendors-vendor-{v.name}"
        p = policies[f"{base}-policy"]
        assert p.property_dependencies["accessPackageId"] == (packages[f"{base}-package"].urn,)
        assert p.inputs["expirationDate"] == f"{v.expires.isoformat()}T00:00:00Z"
        assert "durationInDays" not in p.inputs
        assert p.inputs["extensionEnabled"] is False
        assert p.inputs["requestorSettings"] == {"requestsAccepted": False, "scopeType": "NoSubjects"}
        review = p.inputs["assignmentReviewSettings"]
        assert review["enabled"] is True
        assert review["reviewFrequency"] == "quarterly"
        assert review["reviewType"] == "Reviewers"
        assert review["reviewers"] == [{"subjectType": "singleUser", "objectId": str(v.contact_object_id)}]
        assert review["accessReviewTimeoutBehavior"] == "removeAccess"
        assert review["approverJustificationRequired"] is True


def test_the_vendor_policies_pass_on_the_component_and_fail_without_its_packages(env):
    from cli.policycheck import check_capture

    wanted = {"azure-vendor-access-expires-in-entra", "azure-vendor-access-reviewed-quarterly"}
    checked = wanted | {"azure-vendor-access-no-self-service"}
    with_packages = check_capture(_capture(AzureVendorsArgs.from_environment(env)), env, today=TODAY)
    assert [f for f in with_packages.findings if f.policy in checked] == []

    # The component without its packages, judged by an environment that expects them.
    without = AzureVendorsArgs.from_environment(env).model_copy(update={"access_packages_enabled": False})
    report = check_capture(_capture(without), env, today=TODAY)
    blocking = [f for f in report.findings if f.policy in wanted and f.blocking]
    assert {f.policy for f in blocking} == wanted
    for v in env.vendors:
        named = [f for f in blocking if f.name == f"vendors-vendor-{v.name}"]
        assert {f.policy for f in named} == wanted
        assert any("identity.vendor_access_packages_enabled" in f.message for f in named)


def test_switched_off_the_group_is_managed_by_hand_and_has_no_package(env):
    args = AzureVendorsArgs.from_environment(env).model_copy(update={"access_packages_enabled": False})
    capture = _capture(args)
    assert [r for t in PACKAGE_TYPES for r in capture.of_type(t)] == []
    for group in capture.of_type(GROUP):
        assert "remove the members and this group on that day" in group.inputs["description"]


def test_packages_need_the_contacts_object_id():
    with pytest.raises(ValidationError, match="vendors acme have no contact_object_id"):
        AzureVendorsArgs(
            short_name="caf", environment="dev", subscription_id="00000000-0000-0000-0000-0000000000d1",
            vendors=[VendorAccess(name="acme", contact="ops@acme.example.com", expires=date(2027, 1, 1))],
        )
    AzureVendorsArgs(
        short_name="caf", environment="dev", subscription_id="00000000-0000-0000-0000-0000000000d1",
        vendors=[VendorAccess(name="acme", contact="ops@acme.example.com", expires=date(2027, 1, 1))],
        access_packages_enabled=False,
    )


def test_without_a_resource_group_only_the_entra_half_is_declared(env):
    """Before the environment's resource group exists, the tenant stack declares groups and packages only."""
    def program() -> None:
        AzureVendors("vendors", AzureVendorsArgs.from_environment(env), vendors_group_object_id=VENDORS_GROUP)

    capture = capture_program(program, project="t", stack="tenant", config={})
    assert not capture.of_type(ROLE_ASSIGNMENT)
    assert len(capture.of_type(GROUP)) == len(env.vendors)
    assert len(capture.of_type("azuread:index/accessPackage:AccessPackage")) == len(env.vendors)
