"""Entra ID for one environment: role groups, conditional access, CI federation and vendor access.

- Security groups per role (it-admins, security, data-team, digital, staff, vendors); the two
  admin groups are role-assignable so Entra directory roles can be given to the group.
- Conditional access: MFA for every user, legacy authentication blocked, and admins asked
  for MFA on every sign-in. The break-glass accounts are excluded from every policy (and
  exported) so a broken policy or MFA outage cannot lock the organisation out.
- CI federation: an app registration and service principal that GitHub Actions signs in as
  with an OIDC token; the one federated credential trusts exactly
  `repo:<owner>/<name>:environment:<env>`. The app has no password or certificate, and its
  only Azure role is Contributor on this environment's resource group.
- Vendors: components/azure/vendors.py (their groups join the `vendors` group here).

Conditional access policies are tenant-wide: every environment in the same tenant creates
its own copies (named with the environment). They are enforced everywhere by default;
`conditional_access_report_only` exists for trying a change out, never as a standing
setting.
"""

from __future__ import annotations

from uuid import UUID

import pulumi
from pydantic import Field, field_validator

from stacks.model import Environment, Slug, StrictModel

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB_AUDIENCE = "api://AzureADTokenExchange"

ROLE_GROUPS: dict[str, str] = {
    "it-admins": "IT administrators: hold Entra and Azure admin roles; MFA on every sign-in",
    "security": "Security team: Sentinel, Defender and sign-in investigations",
    "data-team": "Data team: voter file, modelling and analytics",
    "digital": "Digital team: website, email and volunteer tools",
    "staff": "All staff",
    "vendors": "All vendor guests; each vendor also has its own expiring group",
}
ROLE_ASSIGNABLE_GROUPS = frozenset({"it-admins", "security"})
"""Groups that hold Entra directory roles; the flag can only be set when a group is created."""

AZURE_ROLES: dict[str, str] = {
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Log Analytics Reader": "73c42c96-874c-492b-b04d-ab87d138a893",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
}
"""Built-in Azure role definition GUIDs (the same in every tenant)."""

PRIVILEGED_ROLES: dict[str, str] = {
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "Role Based Access Control Administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
}
"""Roles that can grant access to others; never given to a vendor or to CI."""

ADMIN_ROLE_TEMPLATE_IDS: tuple[str, ...] = (
    "62e90394-69f5-4237-9190-012177145e10",  # Global Administrator
    "e8611ab8-c189-46e8-94e1-60213ab1f814",  # Privileged Role Administrator
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",  # Privileged Authentication Administrator
    "194ae4cb-b126-40b2-bd5b-6091b380977d",  # Security Administrator
    "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",  # Conditional Access Administrator
    "c4e39bd9-1100-46d3-8c65-fb160da0071f",  # Authentication Administrator
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",  # Application Administrator
    "158c047a-c907-4556-b7ef-446551a6b5f7",  # Cloud Application Administrator
    "fe930be7-5e62-47db-91af-98c3a49a38b1",  # User Administrator
    "729827e3-9c14-49f7-bb1b-9608f156bbb8",  # Helpdesk Administrator
    "966707d0-3269-4727-9be2-8c3a10f19b9d",  # Password Administrator
    "29232cdf-9323-42fd-ade2-1d097af3e4de",  # Exchange Administrator
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",  # SharePoint Administrator
    "b0f54661-2d74-4c50-afa3-1ec803f12efe",  # Billing Administrator
)
"""Entra directory role templates that Microsoft's "MFA for admins" template covers."""


def role_definition_id(subscription_id: UUID | str, role: str) -> str:
    """The full role definition id of a built-in role, e.g. for `Reader`."""
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{AZURE_ROLES[role]}"


class EntraIdentityArgs(StrictModel):
    """Names, CI trust, break-glass accounts and vendors of one environment's identity."""

    short_name: Slug = Field(description="organisation prefix of every display name, e.g. 'caf'")
    environment: Slug = Field(description="environment name; part of every name and the CI subject")
    subscription_id: UUID = Field(description="subscription whose role definitions are assigned")
    github_repository: str = Field(
        pattern=r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$",
        description="owner/name that CI federation trusts",
    )
    break_glass_object_ids: list[UUID] = Field(
        default_factory=list,
        description="emergency accounts excluded from every policy; none when omitted",
    )
    ci_role: str = Field("Contributor", description="CI's only Azure role, on the resource group")
    conditional_access_report_only: bool = Field(
        False, description="off: policies are enforced; on: they only log what they would have done"
    )

    @field_validator("ci_role")
    @classmethod
    def _ci_cannot_grant_access(cls, role: str) -> str:
        if role in PRIVILEGED_ROLES:
            raise ValueError(
                f"CI must not hold {role}, got {role!r}; a stolen workflow token could then grant "
                "itself anything. Use Contributor"
            )
        if role not in AZURE_ROLES:
            raise ValueError(f"unknown role {role!r}; use one of: {', '.join(sorted(AZURE_ROLES))}")
        return role

    @property
    def prefix(self) -> str:
        return f"{self.short_name}-{self.environment}"

    @property
    def ci_subject(self) -> str:
        """The only GitHub OIDC subject CI federation accepts: one repository, one environment."""
        return f"repo:{self.github_repository}:environment:{self.environment}"

    @property
    def policy_state(self) -> str:
        return (
            "enabledForReportingButNotEnforced"
            if self.conditional_access_report_only
            else "enabled"
        )

    @classmethod
    def from_environment(cls, env: Environment) -> EntraIdentityArgs:
        """The identity one environment gets from its config."""
        assert env.azure is not None, "Entra identity needs the azure section"
        return cls(
            short_name=env.organization.short_name,
            environment=env.name,
            subscription_id=env.azure.subscription_id,
            github_repository=env.identity.github_repository,
            break_glass_object_ids=env.identity.break_glass_object_ids,
        )


class EntraIdentity(pulumi.ComponentResource):
    """Role groups, conditional access, GitHub Actions federation and vendor groups."""

    group_object_ids: dict[str, pulumi.Output[str]]
    break_glass_object_ids: list[str]
    ci_client_id: pulumi.Output[str]
    ci_principal_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: EntraIdentityArgs,
        *,
        resource_group_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("civic:entra:Identity", name, None, opts)
        self._name = name
        self.args = args

        groups = {role: self._create_group(args, role) for role in ROLE_GROUPS}
        policies = self._create_conditional_access(args, groups)
        app, principal = self._create_ci_federation(args, resource_group_id)

        self.group_object_ids = {role: g.object_id for role, g in groups.items()}
        self.break_glass_object_ids = [str(i) for i in args.break_glass_object_ids]
        self.ci_client_id = app.client_id
        self.ci_principal_id = principal.object_id
        self.register_outputs(
            {
                "name": args.prefix,
                "resource_id": app.id,
                "group_object_ids": self.group_object_ids,
                "break_glass_object_ids": self.break_glass_object_ids,
                "conditional_access_policy_ids": {key: p.id for key, p in policies.items()},
                "ci_client_id": app.client_id,
                "ci_principal_id": principal.object_id,
                "ci_subject": args.ci_subject,
            }
        )

    # --- groups -------------------------------------------------------------------------

    def _create_group(self, args: EntraIdentityArgs, role: str):
        import pulumi_azuread as azuread

        return azuread.Group(
            f"{self._name}-group-{role}",
            display_name=f"{args.prefix}-{role}",
            description=ROLE_GROUPS[role],
            security_enabled=True,
            mail_enabled=False,
            assignable_to_role=role in ROLE_ASSIGNABLE_GROUPS,
            prevent_duplicate_names=True,
            opts=pulumi.ResourceOptions(parent=self),
        )

    # --- conditional access --------------------------------------------------------------

    def _create_conditional_access(self, args: EntraIdentityArgs, groups) -> dict:
        import pulumi_azuread as azuread

        excluded = [str(i) for i in args.break_glass_object_ids]
        everything = azuread.ConditionalAccessPolicyConditionsApplicationsArgs(
            included_applications=["All"]
        )

        def policy(key: str, display: str, conditions, grant, session=None):
            return azuread.ConditionalAccessPolicy(
                f"{self._name}-ca-{key}",
                display_name=f"{args.prefix}: {display}",
                state=args.policy_state,
                conditions=conditions,
                grant_controls=grant,
                session_controls=session,
                opts=pulumi.ResourceOptions(parent=self),
            )

        mfa = azuread.ConditionalAccessPolicyGrantControlsArgs(
            operator="OR", built_in_controls=["mfa"]
        )
        return {
            "mfa-all-users": policy(
                "mfa-all-users",
                "require MFA for all users",
                azuread.ConditionalAccessPolicyConditionsArgs(
                    client_app_types=["all"],
                    applications=everything,
                    users=azuread.ConditionalAccessPolicyConditionsUsersArgs(
                        included_users=["All"], excluded_users=excluded
                    ),
                ),
                mfa,
            ),
            "block-legacy-auth": policy(
                "block-legacy-auth",
                "block legacy authentication",
                azuread.ConditionalAccessPolicyConditionsArgs(
                    # Exchange ActiveSync and "other clients" (IMAP, POP, SMTP AUTH, ...) cannot do MFA.
                    client_app_types=["exchangeActiveSync", "other"],
                    applications=everything,
                    users=azuread.ConditionalAccessPolicyConditionsUsersArgs(
                        included_users=["All"], excluded_users=excluded
                    ),
                ),
                azuread.ConditionalAccessPolicyGrantControlsArgs(
                    operator="OR", built_in_controls=["block"]
                ),
            ),
            "mfa-admins-every-sign-in": policy(
                "mfa-admins-every-sign-in",
                "require MFA for admins on every sign-in",
                azuread.ConditionalAccessPolicyConditionsArgs(
                    client_app_types=["all"],
                    applications=everything,
                    users=azuread.ConditionalAccessPolicyConditionsUsersArgs(
                        included_roles=list(ADMIN_ROLE_TEMPLATE_IDS),
                        included_groups=[
                            groups[role].object_id for role in sorted(ROLE_ASSIGNABLE_GROUPS)
                        ],
                        excluded_users=excluded,
                    ),
                ),
                mfa,
                azuread.ConditionalAccessPolicySessionControlsArgs(
                    sign_in_frequency_interval="everyTime",
                    sign_in_frequency_authentication_type="primaryAndSecondaryAuthentication",
                ),
            ),
        }

    # --- CI federation --------------------------------------------------------------------

    def _create_ci_federation(self, args: EntraIdentityArgs, resource_group_id: pulumi.Input[str]):
        import pulumi_azure_native as azure_native
        import pulumi_azuread as azuread

        child = pulumi.ResourceOptions(parent=self)
        # No `password` block and no certificate: the only way in is a GitHub OIDC token.
        app = azuread.Application(
            f"{self._name}-ci-app",
            display_name=f"{args.prefix}-ci",
            sign_in_audience="AzureADMyOrg",
            prevent_duplicate_names=True,
            notes=f"GitHub Actions deployments of {args.github_repository} to {args.environment}. "
            "Federated credential only; never add a secret.",
            opts=child,
        )
        principal = azuread.ServicePrincipal(
            f"{self._name}-ci-sp",
            client_id=app.client_id,
            app_role_assignment_required=True,
            notes=f"CI for {args.environment}; {args.ci_role} on the environment's resource group only",
            opts=child,
        )
        azuread.ApplicationFederatedIdentityCredential(
            f"{self._name}-ci-github-{args.environment}",
            application_id=app.id,
            display_name=f"github-{args.environment}",
            description=f"GitHub Actions environment {args.environment} of {args.github_repository}",
            issuer=GITHUB_ISSUER,
            audiences=[GITHUB_AUDIENCE],
            subject=args.ci_subject,
            opts=child,
        )
        azure_native.authorization.RoleAssignment(
            f"{self._name}-ci-{args.ci_role.lower().replace(' ', '-')}",
            scope=resource_group_id,
            role_definition_id=role_definition_id(args.subscription_id, args.ci_role),
            principal_id=principal.object_id,
            principal_type="ServicePrincipal",
            description=f"CI deployments of {args.environment}",
            opts=child,
        )
        return app, principal
