"""pass_* and fail_* cases of the Azure vendor-access policies (issue 11), literal wire form; cases.py adds them.

Each vendor group is tied to its access package the way the component ties it: catalog
association -> group (resourceOriginId), package association -> catalog association and package,
assignment policy -> package, all by propertyDependencies (ids unknown in a first preview).
"""

from __future__ import annotations

from typing import Any

from tests.policies.fixtures import R, Scenario, U

GROUP = "azuread:index/group:Group"
MEMBER = "azuread:index/groupMember:GroupMember"
CATALOG = "azuread:index/accessPackageCatalog:AccessPackageCatalog"
CATALOG_GROUP = "azuread:index/accessPackageResourceCatalogAssociation:AccessPackageResourceCatalogAssociation"
PACKAGE_GROUP = "azuread:index/accessPackageResourcePackageAssociation:AccessPackageResourcePackageAssociation"
PACKAGE = "azuread:index/accessPackage:AccessPackage"
POLICY = "azuread:index/accessPackageAssignmentPolicy:AccessPackageAssignmentPolicy"
PIM = "azuread:index/privilegedAccessGroupAssignmentSchedule:PrivilegedAccessGroupAssignmentSchedule"
EXPIRES = "azure-vendor-access-expires-in-entra"
REVIEWED = "azure-vendor-access-reviewed-quarterly"
REQUESTS = "azure-vendor-access-no-self-service"
CONTACT = "00000000-0000-0000-0000-000000000071"
# TODAY is 2026-11-22 and access_max_days 365: the window ends 2027-11-22.
JUNE = "2027-06-30T00:00:00Z"

REVIEW: dict[str, Any] = {
    "enabled": True, "reviewFrequency": "quarterly", "reviewType": "Reviewers",
    "reviewers": [{"subjectType": "singleUser", "objectId": CONTACT}], "durationInDays": 14.0,
    "accessReviewTimeoutBehavior": "removeAccess", "approverJustificationRequired": True,
}


def group(name: str, vendor: str, **props: Any) -> R:
    return R(name, GROUP, {"displayName": f"caf-dev-vendor-{vendor}", "securityEnabled": True,
                           "description": f"Guest access for vendor {vendor}; expires 2027-06-30", **props})


def package(vendor: str, group_name: str, policy_name: str | None = None, **policy: Any) -> list[R]:
    """The access package of one vendor group, with one assignment policy named `policy_name`."""
    out = [
        R(f"{vendor}-package", PACKAGE, {"catalogId": U, "displayName": f"caf-dev-vendor-{vendor}", "hidden": True},
          deps={"catalogId": ["catalog"]}),
        R(f"{vendor}-catalog-group", CATALOG_GROUP, {"catalogId": U, "resourceOriginId": U,
                                                     "resourceOriginSystem": "AadGroup"},
          deps={"catalogId": ["catalog"], "resourceOriginId": [group_name]}),
        R(f"{vendor}-package-group", PACKAGE_GROUP, {"accessPackageId": U, "catalogResourceAssociationId": U,
                                                     "accessType": "Member"},
          deps={"accessPackageId": [f"{vendor}-package"], "catalogResourceAssociationId": [f"{vendor}-catalog-group"]}),
    ]
    if policy_name is not None:
        props = {"accessPackageId": U, "displayName": f"caf-dev-vendor-{vendor} until 2027-06-30",
                 "description": "vendor access", "expirationDate": JUNE, "extensionEnabled": False,
                 "requestorSettings": {"requestsAccepted": False, "scopeType": "NoSubjects"},
                 "assignmentReviewSettings": REVIEW, **policy}
        out.append(R(policy_name, POLICY, {k: v for k, v in props.items() if v is not None},
                     deps={"accessPackageId": [f"{vendor}-package"]}))
    return out


CATALOG_R = R("catalog", CATALOG, {"displayName": "caf-dev-vendors", "externallyVisible": False, "published": True})
STAFF = R("staff", GROUP, {"displayName": "caf-dev-vendors", "securityEnabled": True})

SCENARIOS = [
    Scenario(EXPIRES, [
        CATALOG_R, STAFF,
        group("alpha", "alpha"), *package("alpha", "alpha", "pass_policy"),
        group("bravo", "bravo"), *package("bravo", "bravo", "fail_no_expiry", expirationDate=None, durationInDays=365.0),
        group("charlie", "charlie"), *package("charlie", "charlie", "fail_beyond_window",
                                              expirationDate="2028-06-30T00:00:00Z"),
        group("delta", "delta"), *package("delta", "delta", "fail_extension", extensionEnabled=True),
        group("echo", "echo"), *package("echo", "echo", "fail_past", expirationDate="2026-10-01T00:00:00Z"),
        group("foxtrot", "foxtrot"), *package("foxtrot", "foxtrot", "unk_expiry", expirationDate=U),
        # A vendor group with nothing that ends its membership.
        group("fail_group_without_package", "golf"),
        # A person added for good next to the access package.
        group("hotel", "hotel"), *package("hotel", "hotel", "pass_hotel_policy"),
        R("fail_permanent_member", MEMBER, {"groupObjectId": U, "memberObjectId": "00000000-0000-0000-0000-000000000073"},
          deps={"groupObjectId": ["hotel"]}),
        # The environment's umbrella group nests vendor groups; a vendor group nested in it is no finding.
        R("hotel-in-vendors", MEMBER, {"groupObjectId": U, "memberObjectId": U},
          deps={"groupObjectId": ["staff"], "memberObjectId": ["hotel"]}),
        group("fail_inline_members", "india", members=["00000000-0000-0000-0000-000000000074"]),
        *package("india", "fail_inline_members", "pass_india_policy"),
        # PIM for Groups: an active assignment that Entra ends on the date passes; a permanent one fails.
        group("juliet", "juliet"),
        R("pass_pim_schedule", PIM, {"groupId": U, "principalId": "00000000-0000-0000-0000-000000000075",
                                     "assignmentType": "member", "expirationDate": "2027-03-01T00:00:00Z"},
          deps={"groupId": ["juliet"]}),
        group("kilo", "kilo"),
        R("fail_pim_permanent", PIM, {"groupId": U, "principalId": "00000000-0000-0000-0000-000000000076",
                                      "assignmentType": "member", "permanentAssignment": True},
          deps={"groupId": ["kilo"]}),
    ]),
    # Checked against a state export: literal ids tie the group to its package.
    Scenario(EXPIRES, [
        R("lima", GROUP, {"displayName": "caf-prod-vendor-lima", "objectId": "00000000-0000-0000-0000-000000000077"}),
        R("lima-catalog-group", CATALOG_GROUP, {"id": "cat-assoc-lima", "resourceOriginId": "00000000-0000-0000-0000-000000000077",
                                                "resourceOriginSystem": "AadGroup"}),
        R("lima-package", PACKAGE, {"id": "package-lima", "displayName": "caf-prod-vendor-lima"}),
        R("lima-package-group", PACKAGE_GROUP, {"accessPackageId": "package-lima",
                                                "catalogResourceAssociationId": "cat-assoc-lima"}),
        R("fail_state_no_expiry", POLICY, {"id": "policy-lima", "accessPackageId": "package-lima",
                                           "displayName": "lima", "durationInDays": 30.0}),
    ], label="pass_state_export"),
    # Switched off explicitly (no Entra ID P2): not applicable, never a silent pass.
    Scenario(EXPIRES, [group("mike", "mike")], label="pass_switched_off", ctx={"vendor_access_packages": False}),
    Scenario(REVIEWED, [
        CATALOG_R, STAFF,
        group("alpha", "alpha"), *package("alpha", "alpha", "pass_quarterly"),
        group("bravo", "bravo"), *package("bravo", "bravo", "pass_monthly",
                                          assignmentReviewSettings={**REVIEW, "reviewFrequency": "monthly"}),
        group("charlie", "charlie"), *package("charlie", "charlie", "fail_annual",
                                              assignmentReviewSettings={**REVIEW, "reviewFrequency": "annual"}),
        group("delta", "delta"), *package("delta", "delta", "fail_review_off", assignmentReviewSettings=None),
        group("echo", "echo"), *package("echo", "echo", "fail_self_review",
                                        assignmentReviewSettings={**REVIEW, "reviewType": "Self", "reviewers": []}),
        group("foxtrot", "foxtrot"), *package("foxtrot", "foxtrot", "fail_keeps_access",
                                              assignmentReviewSettings={**REVIEW, "accessReviewTimeoutBehavior": "keepAccess"}),
        group("golf", "golf"), *package("golf", "golf", "fail_no_reviewer",
                                        assignmentReviewSettings={**REVIEW, "reviewers": []}),
        group("hotel", "hotel"), *package("hotel", "hotel", "unk_review", assignmentReviewSettings=U),
        # A PIM schedule ends membership but nobody reviews it.
        group("fail_pim_only", "india"),
        R("india-schedule", PIM, {"groupId": U, "principalId": "00000000-0000-0000-0000-000000000075",
                                  "assignmentType": "member", "expirationDate": "2027-03-01T00:00:00Z"},
          deps={"groupId": ["fail_pim_only"]}),
        group("fail_no_package", "juliet"),
    ]),
    Scenario(REVIEWED, [group("mike", "mike")], label="pass_switched_off", ctx={"vendor_access_packages": False}),
]

SCENARIOS += [
    Scenario(REQUESTS, [
        CATALOG_R, STAFF,
        group("alpha", "alpha"), *package("alpha", "alpha", "pass_admin_assigned"),
        group("bravo", "bravo"), *package("bravo", "bravo", "pass_named_with_approval",
                                          requestorSettings={"requestsAccepted": True, "scopeType": "SpecificDirectorySubjects",
                                                             "requestors": [{"subjectType": "singleUser", "objectId": CONTACT}]},
                                          approvalSettings={"approvalRequired": True}),
        group("charlie", "charlie"), *package("charlie", "charlie", "fail_all_external",
                                              requestorSettings={"requestsAccepted": True, "scopeType": "AllExternalSubjects"},
                                              approvalSettings={"approvalRequired": True}),
        group("delta", "delta"), *package("delta", "delta", "fail_named_without_approval",
                                          requestorSettings={"requestsAccepted": True, "scopeType": "SpecificDirectorySubjects"}),
        group("echo", "echo"), *package("echo", "echo", "fail_requestors_unset", requestorSettings=None),
        group("foxtrot", "foxtrot"), *package("foxtrot", "foxtrot", "unk_requestors", requestorSettings=U),
    ]),
    Scenario(REQUESTS, [group("mike", "mike")], label="pass_switched_off", ctx={"vendor_access_packages": False}),
]

# The tenant stack holds every owned environment's vendor groups; dev switches packages off
# (Context.vendor_access_packages_off), prod does not. Dev's group is not judged; prod's still fails.
TENANT_CTX = {"tenant_owner": True, "tenant_environments": ["dev", "prod"], "vendor_access_packages_off": ["dev"]}
SCENARIOS += [
    Scenario(rule, [
        R("dev-off-not-judged", GROUP, {"displayName": "caf-dev-vendor-oscar", "securityEnabled": True}),
        R("fail_prod_no_package", GROUP, {"displayName": "caf-prod-vendor-papa", "securityEnabled": True}),
    ], label="pass_tenant_per_environment", ctx=TENANT_CTX)
    for rule in (EXPIRES, REVIEWED)
]
