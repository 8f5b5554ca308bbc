"""The tenant stack's own plan identity on Entra ID: previews and drift of the tenant stack.

One app registration whose only credential is a GitHub OIDC federation pinned to the GitHub
environment `tenant-plan` (issuer, subject and audience exact). It reads what the tenant stack
manages and nothing else:

- Microsoft Graph application permissions, requested here (`required_resource_accesses`) and
  granted by an administrator's consent at bootstrap (docs/runbooks/bootstrap.md), because the
  tenant identity must never hold `AppRoleAssignment.ReadWrite.All` (it could grant itself
  anything): `GRAPH_READ_ROLES` below, each with why;
- on Azure, per environment subscription, a custom role with only the two authorization reads
  its role definitions and assignments need, and Reader on the log environment's resource group
  (the Sentinel rules and the Office 365 connector); both assigned by the environment's
  `AzureCiIdentity` (components/azure/ci_identity.py).

The tenant stack's diagnostic setting lives at the tenant root (`/providers/microsoft.aadiam`),
where the tenant identity holds no rights: its Reader assignment is a bootstrap step too.
"""

from __future__ import annotations

import pulumi
from pydantic import Field

from components.azure.ci_identity import GITHUB_AUDIENCE, GITHUB_ISSUER, github_subject
from policies.azure.graph_permissions import GRAPH_APP_ID, GRAPH_ROLE_IDS, allowed_roles
from stacks.model import Slug, StrictModel

GRAPH_READ_ROLES: dict[str, str] = {n: GRAPH_ROLE_IDS[n] for n in allowed_roles("-tenant-ci-plan")}
"""Graph application permissions (app role ids) of the tenant plan identity, and nothing that writes:

- `Policy.Read.All`: the conditional access policies, named locations and authentication
  strengths (Graph's read of `identity/conditionalAccess/*` and `policies/authenticationStrengthPolicies`);
- `Group.Read.All`: the staff, role-assignable and vendor groups and their members and owners;
- `Application.Read.All`: the CI app registrations, their service principals and federated credentials.
- `EntitlementManagement.Read.All`: each environment's vendor access package catalog, packages and
  assignment policies (the tenant stack declares them).

The one list is policies/azure/graph_permissions.py (`entra-app-graph-permissions-allowed` judges it)."""

TENANT_PLAN_ENVIRONMENT = "tenant-plan"
"""The GitHub environment of the tenant stack's previews and drift."""


class TenantPlanIdentityArgs(StrictModel):
    """The tenant stack's plan identity."""

    short_name: Slug
    github_repository: str = Field(pattern=r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")
    github_environment: str = Field(TENANT_PLAN_ENVIRONMENT, description="the only GitHub environment it trusts")


class TenantPlanIdentity(pulumi.ComponentResource):
    """App registration (OIDC only) of the tenant stack's previews and drift, with Graph read permissions."""

    client_id: pulumi.Output[str]
    principal_id: pulumi.Output[str]

    def __init__(self, name: str, args: TenantPlanIdentityArgs, *, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("civic:entra:TenantPlanIdentity", name, None, opts)
        import pulumi_azuread as azuread

        child = pulumi.ResourceOptions(parent=self)
        app = azuread.Application(
            f"{name}-app", display_name=f"{args.short_name}-tenant-ci-plan", sign_in_audience="AzureADMyOrg",
            prevent_duplicate_names=True,
            notes=f"GitHub Actions previews and drift of the tenant stack of {args.github_repository}: read only. "
            "Federated credential only; Graph read permissions granted by admin consent at bootstrap.",
            required_resource_accesses=[azuread.ApplicationRequiredResourceAccessArgs(
                resource_app_id=GRAPH_APP_ID,
                resource_accesses=[azuread.ApplicationRequiredResourceAccessResourceAccessArgs(id=role, type="Role")
                                   for role in GRAPH_READ_ROLES.values()])],
            opts=child,
        )  # fmt: skip
        sp = azuread.ServicePrincipal(f"{name}-sp", client_id=app.client_id, app_role_assignment_required=True,
                                      opts=child)  # fmt: skip
        azuread.ApplicationFederatedIdentityCredential(
            f"{name}-github", application_id=app.id, display_name=f"github-{args.github_environment}",
            description=f"GitHub Actions environment {args.github_environment} of {args.github_repository}",
            issuer=GITHUB_ISSUER, audiences=[GITHUB_AUDIENCE],
            subject=github_subject(args.github_repository, args.github_environment), opts=child,
        )
        self.client_id = app.client_id
        self.principal_id = sp.object_id
        self.register_outputs({"name": f"{args.short_name}-tenant-ci-plan", "resource_id": app.id,
                               "client_id": app.client_id, "principal_id": sp.object_id})  # fmt: skip
