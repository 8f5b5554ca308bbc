"""Entra ID for one environment: its vendors group, declared by the tenant stack (a group is a
tenant-wide object; components/platform/tenant.py makes one per owned environment).

What exists once per tenant (staff groups, conditional access, named locations, the
break-glass exclusions) is in `components/azure/tenant.py`, and the CI identities are in
`components/azure/ci_identity.py`; both are declared only by the tenant stack. The constants
below (role groups, admin role templates, built-in roles) are shared with them.

Vendors: each vendor's group, with read roles on the resource group only, is made by
`components/azure/vendors.py` and joins this vendors group.
"""

from __future__ import annotations

from uuid import UUID

import pulumi
from pydantic import Field

from stacks.model import Environment, Slug, StrictModel

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

VENDOR_ROLES = frozenset({"Reader", "Log Analytics Reader", "Storage Blob Data Reader"})
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
    """Names of one environment's identity."""

    short_name: Slug = Field(description="organisation prefix of every display name, e.g. 'caf'")
    environment: Slug = Field(description="environment name; part of every name and the CI subject")
    subscription_id: UUID = Field(description="subscription whose role definitions are assigned")

    @property
    def prefix(self) -> str:
        return f"{self.short_name}-{self.environment}"

    @classmethod
    def from_environment(cls, env: Environment) -> EntraIdentityArgs:
        """The identity one environment gets from its config."""
        assert env.azure is not None, "Entra identity needs the azure section"
        return cls(
            short_name=env.organization.short_name,
            environment=env.name,
            subscription_id=env.azure.subscription_id,
        )


class EntraIdentity(pulumi.ComponentResource):
    """The environment's vendors group (each vendor's group is components/azure/vendors.py's)."""

    group_object_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        args: EntraIdentityArgs,
        *,
        resource_group_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("civic:entra:Identity", name, None, opts)
        self._name = name
        self.args = args

        # The staff groups are the tenant stack's; an environment has only its own vendors group.
        vendors = self._create_group(args, "vendors")

        self.group_object_ids = {"vendors": vendors.object_id}
        self.register_outputs(
            {
                "name": args.prefix,
                "resource_id": vendors.id,
                "group_object_ids": self.group_object_ids,
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
