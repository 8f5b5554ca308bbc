"""The CI identities of one environment on Azure: plan and deploy, each an app registration whose
only credential is a GitHub OIDC federation pinned to one GitHub environment. Declared by the
tenant stack (app registrations are tenant-wide objects).

- **plan** (GitHub environment `<env>-plan`): Reader on the environment's resource group. Reader
  holds no data actions and no `*/action` (so no `listKeys`, no `sharedKeys`).
- **deploy** (GitHub environment `<env>`): a custom role on the resource group listing the
  resource types the components manage, without data actions and with every key-listing and
  log-query action excluded; plus a small custom role on the subscription for what only
  exists there (the resource group itself, Defender plans). Its role-assignment writes and
  deletes carry an Azure role-assignment condition (ABAC): only the roles of the environment's
  own managed identities, only to service principals, and never to a CI principal. Vendor
  groups and their read roles are the tenant stack's. Its only Microsoft Graph permission, and
  only when the environment has web apps, is `Application.ReadWrite.OwnedBy`: it creates the
  apps' sign-in registrations and can change no app it does not own (the plan identity then
  reads them with `Application.Read.All`).
"""

from __future__ import annotations

import uuid
from uuid import UUID

import pulumi
from pydantic import Field

from policies.azure.graph_permissions import GRAPH_APP_ID, GRAPH_ROLE_IDS, allowed_roles
from policies.azure.rbac import SECRETS_DECRYPT_DATA_ACTIONS
from stacks.model import Slug, StrictModel

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB_AUDIENCE = "api://AzureADTokenExchange"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
ASSIGNABLE_ROLES: dict[str, str] = {
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
}
"""The roles the environment stack assigns: only its own managed identities' (storage and flow logs).
The vendors' read roles are the tenant stack's (VENDOR_ASSIGNABLE_ROLES)."""
ASSIGNABLE_PRINCIPAL_TYPES = ("ServicePrincipal",)
VENDOR_ASSIGNABLE_ROLES: dict[str, str] = {
    "Reader": READER,
    "Log Analytics Reader": "73c42c96-874c-492b-b04d-ab87d138a893",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
}
"""The vendor read roles the tenant identity assigns on each environment's resource group, to groups only
(the bootstrap runbook's Role Based Access Control Administrator condition)."""

DEPLOY_ACTIONS = (
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Resources/deployments/*",
    "Microsoft.Authorization/roleAssignments/read",
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.Authorization/roleAssignments/delete",
    "Microsoft.Authorization/roleDefinitions/read",
    "Microsoft.Network/virtualNetworks/*",
    "Microsoft.Network/networkSecurityGroups/*",
    "Microsoft.Network/privateEndpoints/*",
    "Microsoft.Network/privateDnsZones/*",
    "Microsoft.Network/publicIPAddresses/*",
    "Microsoft.Network/virtualNetworkGateways/*",
    "Microsoft.Network/localNetworkGateways/*",
    "Microsoft.Network/connections/*",
    "Microsoft.Network/networkWatchers/*",
    "Microsoft.Network/locations/*",
    "Microsoft.Storage/storageAccounts/*",
    "Microsoft.KeyVault/vaults/*",
    "Microsoft.OperationalInsights/workspaces/*",
    "Microsoft.OperationsManagement/solutions/*",
    "Microsoft.SecurityInsights/alertRules/*",
    "Microsoft.SecurityInsights/dataConnectors/*",
    "Microsoft.SecurityInsights/onboardingStates/*",
    "Microsoft.Insights/diagnosticSettings/*",
    "Microsoft.Insights/actionGroups/*",
    "Microsoft.Web/serverfarms/*",
    "Microsoft.Web/sites/*",
    "Microsoft.CognitiveServices/accounts/*",
    "Microsoft.ManagedIdentity/userAssignedIdentities/*",
    "Microsoft.Consumption/budgets/*",
)
"""Control-plane actions the environment's components need, by resource type."""

DEPLOY_NOT_ACTIONS = (
    "Microsoft.Storage/storageAccounts/listKeys/action",
    "Microsoft.Storage/storageAccounts/regenerateKey/action",
    "Microsoft.Storage/storageAccounts/listAccountSas/action",
    "Microsoft.Storage/storageAccounts/listServiceSas/action",
    "Microsoft.CognitiveServices/accounts/listKeys/action",
    "Microsoft.CognitiveServices/accounts/regenerateKey/action",
    "Microsoft.OperationalInsights/workspaces/sharedKeys/action",
    "Microsoft.OperationalInsights/workspaces/query/*",
    "Microsoft.OperationalInsights/workspaces/search/action",
    "Microsoft.OperationalInsights/workspaces/delete",
    "Microsoft.SecurityInsights/onboardingStates/delete",
    "Microsoft.SecurityInsights/dataConnectors/delete",
    "Microsoft.Web/sites/config/list/action",
    "Microsoft.Web/sites/publishxml/action",
)
"""Key listing, log reading and switching Sentinel off: never the deploy identity's."""

TENANT_PLAN_ACTIONS = (
    "Microsoft.Authorization/roleDefinitions/read",
    "Microsoft.Authorization/roleAssignments/read",
)
"""What the tenant stack's plan identity reads in an environment's subscription: the CI roles it defines
and their assignments (a refresh of the tenant stack), no resource, no data."""

SUBSCRIPTION_ACTIONS = (
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Resources/subscriptions/resourceGroups/write",
    "Microsoft.Security/pricings/read",
    "Microsoft.Security/pricings/write",
    "Microsoft.Security/securityContacts/*",
    "Microsoft.Insights/diagnosticSettings/*",
)
"""What exists only at subscription scope: the environment's resource group, Defender plans and
contact, and the activity log's diagnostic setting."""


def github_subject(repository: str, environment: str) -> str:
    return f"repo:{repository}:environment:{environment}"


def role_assignment_condition(role_ids: list[str], principal_types: tuple[str, ...], ci_principal_ids: list[str]) -> str:
    """An ABAC condition (version 2.0) that lets role-assignment writes and deletes through only for
    `role_ids`, only for `principal_types` and never for the CI principals themselves."""
    roles = ", ".join(role_ids)
    types = ", ".join(f"'{t}'" for t in principal_types)
    never = ", ".join(ci_principal_ids)
    checks = {
        "write": "Request",
        "delete": "Resource",
    }
    parts = []
    for action, source in checks.items():
        parts.append(
            f"((!(ActionMatches{{'Microsoft.Authorization/roleAssignments/{action}'}})) OR "
            f"(@{source}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{roles}}}"
            f" AND @{source}[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {{{types}}}"
            f" AND @{source}[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAllValues:GuidNotEquals {{{never}}}))"
        )
    return " AND ".join(parts)


def tenant_role_assignment_condition(ci_role_ids: list[str], vendor_role_ids: list[str]) -> str:
    """The ABAC condition (version 2.0) on the tenant identity's Role Based Access Control Administrator
    in an environment subscription (a bootstrap step): the CI roles to service principals, and the
    vendor read roles to groups only; nothing else, to nobody else."""
    ci, vendor = ", ".join(ci_role_ids), ", ".join(vendor_role_ids)
    parts = []
    for action, source in (("write", "Request"), ("delete", "Resource")):
        attr = f"@{source}[Microsoft.Authorization/roleAssignments:"
        parts.append(
            f"((!(ActionMatches{{'Microsoft.Authorization/roleAssignments/{action}'}})) OR "
            f"(({attr}RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{ci}}}"
            f" AND {attr}PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {{'ServicePrincipal'}})"
            f" OR ({attr}RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{vendor}}}"
            f" AND {attr}PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {{'Group'}})))"
        )
    return " AND ".join(parts)


class AzureCiIdentityArgs(StrictModel):
    """The plan and deploy identities of one environment's Azure resource group."""

    short_name: Slug
    environment: Slug = Field(description="GitHub environment of the deploy identity; the stack name")
    github_repository: str = Field(pattern=r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")
    subscription_id: UUID
    resource_group_name: str = Field(description="the environment's platform resource group (AzureCoreArgs naming)")
    role_assignments_enabled: bool = Field(
        True, description="off: identities only, for the bootstrap run before the resource group exists"
    )
    secrets_key_scope: str | None = Field(
        None, pattern=r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/*]+/providers/Microsoft\.KeyVault/vaults/[^/*]+/keys/[^/*]+$",
        description="resource id of the key behind the stack's azurekeyvault:// secrets provider: the plan identity "
        "may decrypt with that key only; no decrypt at all when omitted",
    )
    tenant_plan_reads_resource_group: bool = Field(
        False, description="on (the tenant's log environment): the tenant stack's plan identity is also Reader on "
        "the resource group, where the tenant stack keeps the Sentinel rules and the Office 365 connector",
    )
    sign_in_registrations: bool = Field(
        False, description="on (the environment has web apps): the deploy app requests Graph "
        "Application.ReadWrite.OwnedBy (it creates the apps' sign-in registrations and manages only those) and the "
        "plan app Application.Read.All (to refresh them); no Graph permission at all when off",
    )

    @property
    def prefix(self) -> str:
        return f"{self.short_name}-{self.environment}"

    @property
    def subscription_scope(self) -> str:
        return f"/subscriptions/{self.subscription_id}"

    @property
    def resource_group_id(self) -> str:
        return f"{self.subscription_scope}/resourceGroups/{self.resource_group_name}"

    def role_guid(self, kind: str) -> str:
        """A stable id per environment and role: renaming nothing, replacing nothing."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"civic-infra/{self.subscription_id}/{self.prefix}/{kind}"))

    def tenant_condition(self) -> str:
        """The bootstrap condition for this environment's subscription (docs/runbooks/bootstrap.md)."""
        kinds = ["deploy", "deploy-subscription", "tenant-plan"] + (["plan-secrets-decrypt"] if self.secrets_key_scope else [])
        return tenant_role_assignment_condition(sorted([READER, *(self.role_guid(k) for k in kinds)]),
                                                sorted(VENDOR_ASSIGNABLE_ROLES.values()))


class AzureCiIdentity(pulumi.ComponentResource):
    """Plan and deploy app registrations (OIDC only) and their roles on one environment."""

    plan_client_id: pulumi.Output[str]
    deploy_client_id: pulumi.Output[str]

    def __init__(self, name: str, args: AzureCiIdentityArgs, *, tenant_plan_principal_id: pulumi.Output[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:  # fmt: skip
        super().__init__("civic:entra:CiIdentity", name, None, opts)
        self._name, self._args = name, args
        plan_app, plan_sp = self._identity("plan", f"{args.environment}-plan",
                                           "previews and drift: configuration and state, no data")  # fmt: skip
        deploy_app, deploy_sp = self._identity("deploy", args.environment, "deployments")
        if args.role_assignments_enabled:
            self._assign(plan_sp, deploy_sp)
            if tenant_plan_principal_id is not None:
                self._assign_tenant_plan(tenant_plan_principal_id)
        self.plan_client_id = plan_app.client_id
        self.deploy_client_id = deploy_app.client_id
        self.register_outputs({"name": args.prefix, "resource_id": deploy_app.id, "plan_client_id": plan_app.client_id,
                               "deploy_client_id": deploy_app.client_id})  # fmt: skip

    def _identity(self, kind: str, github_environment: str, purpose: str):
        import pulumi_azuread as azuread

        args, child = self._args, pulumi.ResourceOptions(parent=self)
        display_name = f"{args.prefix}-ci-{kind}"
        graph_roles = allowed_roles(display_name) if args.sign_in_registrations else ()
        # No password and no certificate: the only way in is a GitHub OIDC token for one environment.
        app = azuread.Application(
            f"{self._name}-{kind}-app", display_name=display_name, sign_in_audience="AzureADMyOrg",
            prevent_duplicate_names=True,
            # Requested here, granted by an administrator's consent (docs/runbooks/bootstrap.md).
            required_resource_accesses=[azuread.ApplicationRequiredResourceAccessArgs(
                resource_app_id=GRAPH_APP_ID,
                resource_accesses=[azuread.ApplicationRequiredResourceAccessResourceAccessArgs(
                    id=GRAPH_ROLE_IDS[role], type="Role") for role in graph_roles])] if graph_roles else None,
            notes=f"GitHub Actions {purpose} of {args.github_repository} {args.environment}. Federated credential only.",
            opts=child,
        )
        sp = azuread.ServicePrincipal(f"{self._name}-{kind}-sp", client_id=app.client_id,
                                      app_role_assignment_required=True, opts=child)  # fmt: skip
        azuread.ApplicationFederatedIdentityCredential(
            f"{self._name}-{kind}-github", application_id=app.id, display_name=f"github-{github_environment}",
            description=f"GitHub Actions environment {github_environment} of {args.github_repository}",
            issuer=GITHUB_ISSUER, audiences=[GITHUB_AUDIENCE],
            subject=github_subject(args.github_repository, github_environment), opts=child,
        )
        return app, sp

    def _assign(self, plan_sp, deploy_sp) -> None:
        import pulumi_azure_native as azure_native

        args, child = self._args, pulumi.ResourceOptions(parent=self)
        rg, sub = args.resource_group_id, args.subscription_scope
        azure_native.authorization.RoleAssignment(
            f"{self._name}-plan-reader", scope=rg, principal_id=plan_sp.object_id, principal_type="ServicePrincipal",
            role_definition_id=f"{sub}/providers/Microsoft.Authorization/roleDefinitions/{READER}",
            description=f"CI plan of {args.environment}: read configuration", opts=child,
        )
        if args.secrets_key_scope:
            self._assign_secrets_decrypt(plan_sp, deploy_sp, args.secrets_key_scope)
        deploy_role = self._custom_role(
            "deploy", rg, f"CI deploy of {args.environment}: the platform's resource types, no data, no keys",
            actions=DEPLOY_ACTIONS, not_actions=DEPLOY_NOT_ACTIONS,
        )
        subscription_role = self._custom_role(
            "deploy-subscription", sub,
            f"CI deploy of {args.environment}: its resource group, Defender and the activity log", actions=SUBSCRIPTION_ACTIONS,
        )
        condition = pulumi.Output.all(plan_sp.object_id, deploy_sp.object_id).apply(
            lambda ids: role_assignment_condition(sorted(ASSIGNABLE_ROLES.values()), ASSIGNABLE_PRINCIPAL_TYPES, list(ids))
        )
        azure_native.authorization.RoleAssignment(
            f"{self._name}-deploy-platform", scope=rg, principal_id=deploy_sp.object_id,
            principal_type="ServicePrincipal", role_definition_id=deploy_role.id, condition=condition,
            condition_version="2.0", description=f"CI deploy of {args.environment}", opts=child,
        )
        azure_native.authorization.RoleAssignment(
            f"{self._name}-deploy-subscription", scope=sub, principal_id=deploy_sp.object_id,
            principal_type="ServicePrincipal", role_definition_id=subscription_role.id,
            description=f"CI deploy of {args.environment}: resource group and Defender plans", opts=child,
        )

    def _custom_role(self, kind: str, scope: str, description: str, *, actions=(), not_actions=(), data_actions=(),
                     resource: str | None = None):  # fmt: skip
        """The custom role `<prefix>-ci-<kind>`, assignable only at `scope`, with a stable id per environment
        (`resource`: the Pulumi name's suffix when it is not `<kind>-role`, kept so no URN changes)."""
        import pulumi_azure_native as azure_native

        args = self._args
        return azure_native.authorization.RoleDefinition(
            f"{self._name}-{resource or kind + '-role'}", role_definition_id=args.role_guid(kind), role_name=f"{args.prefix}-ci-{kind}",
            description=description, role_type="CustomRole", scope=scope, assignable_scopes=[scope],
            permissions=[azure_native.authorization.PermissionArgs(
                actions=list(actions), not_actions=list(not_actions), data_actions=list(data_actions),
                not_data_actions=[])],
            opts=pulumi.ResourceOptions(parent=self),
        )  # fmt: skip

    def _assign_tenant_plan(self, principal_id: pulumi.Output[str]) -> None:
        """The tenant stack's plan identity reads the CI roles and assignments here (and, in the log
        environment, the resource group holding the tenant's Sentinel rules and connector)."""
        import pulumi_azure_native as azure_native

        args, child = self._args, pulumi.ResourceOptions(parent=self)
        sub = args.subscription_scope
        role = self._custom_role(
            "tenant-plan", sub,
            f"Tenant stack previews and drift: the CI roles and role assignments of {args.environment}",
            actions=TENANT_PLAN_ACTIONS,
        )
        azure_native.authorization.RoleAssignment(
            f"{self._name}-tenant-plan", scope=sub, principal_id=principal_id, principal_type="ServicePrincipal",
            role_definition_id=role.id, description=f"Tenant stack plan: CI roles of {args.environment}", opts=child,
        )
        if args.tenant_plan_reads_resource_group:
            azure_native.authorization.RoleAssignment(
                f"{self._name}-tenant-plan-reader", scope=args.resource_group_id, principal_id=principal_id,
                principal_type="ServicePrincipal",
                role_definition_id=f"{sub}/providers/Microsoft.Authorization/roleDefinitions/{READER}",
                description=f"Tenant stack plan: the Sentinel rules and connector in {args.environment}", opts=child,
            )

    def _assign_secrets_decrypt(self, plan_sp, deploy_sp, key_scope: str) -> None:
        """Decrypt with the secrets provider's key, at that key's scope only (not the vault, no secrets): both
        a preview and a deploy read the stack's config secrets."""
        import pulumi_azure_native as azure_native

        args, child = self._args, pulumi.ResourceOptions(parent=self)
        sub = args.subscription_scope
        role = self._custom_role(
            "plan-secrets-decrypt", sub,
            f"CI of {args.environment}: decrypt the stack's config secrets with its secrets-provider key",
            data_actions=SECRETS_DECRYPT_DATA_ACTIONS, resource="plan-secrets-role",
        )
        for kind, sp in (("plan", plan_sp), ("deploy", deploy_sp)):
            azure_native.authorization.RoleAssignment(
                f"{self._name}-{kind}-secrets-decrypt", scope=key_scope, principal_id=sp.object_id,
                principal_type="ServicePrincipal", role_definition_id=role.id,
                description=f"CI {kind} of {args.environment}: the secrets-provider key only", opts=child,
            )
