"""pass_* and fail_* cases of entra-app-graph-permissions-allowed; SCENARIOS in cases.py adds them."""

from __future__ import annotations

from policies.azure.graph_permissions import GRAPH_APP_ID, GRAPH_ROLE_IDS
from tests.policies.fixtures import R, Scenario, U

APP = "azuread:index/application:Application"
ROLE_ASSIGNMENT_WRITE = "06b708a9-e830-4db3-a914-8e69da51d44f"  # AppRoleAssignment.ReadWrite.All
DIRECTORY_WRITE = "19dbc75e-c2e2-444c-a770-ec69d8559fc7"  # Directory.ReadWrite.All


def _app(name: str, display_name: str, *roles: str, api: str = GRAPH_APP_ID, kind: str = "Role") -> R:
    accesses = [{"resourceAppId": api, "resourceAccesses": [{"id": r, "type": kind} for r in roles]}] if roles else None
    inputs = {"displayName": display_name, "signInAudience": "AzureADMyOrg"}
    if accesses is not None:
        inputs["requiredResourceAccesses"] = accesses
    return R(name, APP, inputs)


SCENARIOS: list[Scenario] = [
    Scenario("entra-app-graph-permissions-allowed", [
        _app("pass_deploy_owned_by", "caf-prod-ci-deploy", GRAPH_ROLE_IDS["Application.ReadWrite.OwnedBy"]),
        _app("pass_plan_read_apps", "caf-prod-ci-plan", GRAPH_ROLE_IDS["Application.Read.All"]),
        _app("pass_tenant_plan_reads", "caf-tenant-ci-plan", GRAPH_ROLE_IDS["Policy.Read.All"],
             GRAPH_ROLE_IDS["Group.Read.All"], GRAPH_ROLE_IDS["EntitlementManagement.Read.All"]),
        _app("pass_no_permissions", "caf-prod-volunteer-portal"),
        _app("pass_delegated_scope_only", "caf-prod-volunteer-portal-2", "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
             kind="Scope"),
        _app("fail_deploy_grants_consent", "caf-prod-ci-deploy", GRAPH_ROLE_IDS["Application.ReadWrite.OwnedBy"],
             ROLE_ASSIGNMENT_WRITE),
        _app("fail_plan_writes_apps", "caf-dev-ci-plan", GRAPH_ROLE_IDS["Application.ReadWrite.OwnedBy"]),
        _app("fail_web_app_reads_groups", "caf-prod-volunteer-portal-3", GRAPH_ROLE_IDS["Group.Read.All"]),
        _app("fail_tenant_plan_directory_write", "caf-tenant-ci-plan", DIRECTORY_WRITE),
        _app("fail_other_api", "caf-prod-ci-deploy", GRAPH_ROLE_IDS["Application.ReadWrite.OwnedBy"],
             api="00000002-0000-0000-c000-000000000000"),
        R("unk_accesses", APP, {"displayName": "caf-prod-ci-deploy", "requiredResourceAccesses": U}),
    ]),
]
