"""Vendor access in Azure: one Entra group per vendor, with read roles on the resource group only.

Each vendor's group joins the environment's `vendors` group (components/azure/identity.py).
Owner, User Access Administrator and RBAC Administrator are refused before Pulumi starts.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pulumi
from pydantic import EmailStr, Field, field_validator

from stacks.model import Environment, Slug, StrictModel

VENDOR_ROLES = frozenset({"Reader", "Log Analytics Reader", "Storage Blob Data Reader"})


class VendorAccess(StrictModel):
    """One vendor's time-limited, read-only access."""

    name: Slug = Field(description="vendor slug; the group is vendor-<name>")
    contact: EmailStr = Field(description="who at the vendor is responsible; recorded on the group")
    expires: date = Field(
        description="the day access ends; recorded on the group and role assignments"
    )
    azure_roles: list[str] = Field(
        default_factory=list, description="read roles on the resource group; none when omitted"
    )

    @field_validator("azure_roles")
    @classmethod
    def _read_roles_only(cls, roles: list[str]) -> list[str]:
        from components.azure.identity import PRIVILEGED_ROLES

        for role in roles:
            if role in PRIVILEGED_ROLES:
                raise ValueError(
                    f"a vendor may never hold {role}, got {role!r}; it lets a guest grant access to "
                    f"anyone. Use one of: {', '.join(sorted(VENDOR_ROLES))}"
                )
            if role not in VENDOR_ROLES:
                raise ValueError(
                    f"vendors get read roles only, got {role!r}; use one of: {', '.join(sorted(VENDOR_ROLES))}"
                )
        return roles


class AzureVendorsArgs(StrictModel):
    """The vendors of one environment and where their roles apply."""

    short_name: Slug = Field(description="organisation prefix of every display name, e.g. 'caf'")
    environment: Slug = Field(description="environment name; part of every group name")
    subscription_id: UUID = Field(description="subscription whose role definitions are assigned")
    vendors: list[VendorAccess] = Field(
        default_factory=list, description="no vendor groups when omitted"
    )

    @property
    def prefix(self) -> str:
        return f"{self.short_name}-{self.environment}"

    @classmethod
    def from_environment(cls, env: Environment) -> AzureVendorsArgs:
        """The vendors one environment grants Azure access to."""
        assert env.azure is not None, "vendor access needs the azure section"
        return cls(
            short_name=env.organization.short_name,
            environment=env.name,
            subscription_id=env.azure.subscription_id,
            vendors=[
                VendorAccess(
                    name=v.name,
                    contact=v.contact,
                    expires=v.expires,
                    azure_roles=list(v.azure_roles),
                )
                for v in env.vendors
            ],
        )


class AzureVendors(pulumi.ComponentResource):
    """One group per vendor inside the environment's vendors group, with read roles only."""

    group_object_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        args: AzureVendorsArgs,
        *,
        vendors_group_object_id: pulumi.Input[str],
        resource_group_id: pulumi.Input[str],
        moved_from: pulumi.Resource | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("civic:azure:Vendors", name, None, opts)
        self._name = name
        # These resources used to be children of the identity component; aliases keep the
        # deployed groups (and their guest members) instead of replacing them.
        self._moved_from = moved_from
        self.args = args
        groups = {
            v.name: self._create_vendor(args, v, vendors_group_object_id, resource_group_id)
            for v in args.vendors
        }
        self.group_object_ids = {vendor: g.object_id for vendor, g in groups.items()}
        self.register_outputs(
            {"name": args.prefix, "resource_id": vendors_group_object_id,
             "group_object_ids": self.group_object_ids}
        )  # fmt: skip

    def _create_vendor(
        self, args: AzureVendorsArgs, vendor: VendorAccess, vendors_group_object_id, resource_group_id
    ):
        import pulumi_azure_native as azure_native
        import pulumi_azuread as azuread

        from components.azure.identity import role_definition_id

        def child(suffix: str = "") -> pulumi.ResourceOptions:
            aliases = []
            if self._moved_from is not None:
                old = f"{self._moved_from._name}-vendor-{vendor.name}{suffix}"
                aliases = [pulumi.Alias(name=old, parent=self._moved_from)]
            return pulumi.ResourceOptions(parent=self, aliases=aliases)

        expires = vendor.expires.isoformat()
        group = azuread.Group(
            f"{self._name}-vendor-{vendor.name}",
            display_name=f"{args.prefix}-vendor-{vendor.name}",
            description=f"Guest access for vendor {vendor.name} (contact {vendor.contact}); "
            f"expires {expires}: remove the members and this group on that day",
            security_enabled=True,
            mail_enabled=False,
            assignable_to_role=False,
            prevent_duplicate_names=True,
            opts=child(),
        )
        azuread.GroupMember(
            f"{self._name}-vendor-{vendor.name}-in-vendors",
            group_object_id=vendors_group_object_id,
            member_object_id=group.object_id,
            opts=child("-in-vendors"),
        )
        for role in vendor.azure_roles:
            slug = role.lower().replace(" ", "-")
            azure_native.authorization.RoleAssignment(
                f"{self._name}-vendor-{vendor.name}-{slug}",
                scope=resource_group_id,
                role_definition_id=role_definition_id(args.subscription_id, role),
                principal_id=group.object_id,
                principal_type="Group",
                description=f"{role} for vendor {vendor.name}; expires {expires}",
                opts=child(f"-{slug}"),
            )
        return group
