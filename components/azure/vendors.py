"""Vendor access in Azure: one Entra group per vendor, with read roles on the resource group only.

Each vendor's group joins the environment's `vendors` group (components/azure/identity.py).
Owner, User Access Administrator and RBAC Administrator are refused before Pulumi starts.

Groups and packages are tenant-wide Entra objects, so the tenant stack declares them for every
environment it owns (components/platform/tenant.py), and with them the read-role assignments on
that environment's resource group: the environment's own deploy identity needs no Microsoft
Graph permission, and a stolen dev token cannot touch prod's vendor groups.

Entra ID ends the access itself (`access_packages_enabled`, on by default): the vendor's people
get membership of its group only through an access package in the environment's catalog
`<org>-<env>-vendors`, whose one assignment policy expires on the vendor's `expires` date
(every assignment made through it ends then, with no deploy) and is reviewed quarterly by the
vendor's contact, unanswered reviews removing access. Nobody can request the package: an
administrator assigns each person. This needs Entra ID P2 (or ID Governance) licences; with
the switch off the group is managed by hand and access ends only when the first deploy after
the date removes the group.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pulumi
from pydantic import EmailStr, Field, field_validator, model_validator

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
    contact_object_id: UUID | None = Field(
        None, description="the contact's Entra object id; reviews the access package quarterly (required with packages)"
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
    access_packages_enabled: bool = Field(
        True,
        description="membership only through an access package that Entra ends on `expires` and the contact "
        "reviews quarterly (Entra ID P2 or ID Governance); off: members added by hand, ended by a deploy",
    )

    @model_validator(mode="after")
    def _reviewers_known(self) -> AzureVendorsArgs:
        if self.access_packages_enabled:
            missing = [v.name for v in self.vendors if v.contact_object_id is None]
            if missing:
                raise ValueError(
                    f"vendors {', '.join(missing)} have no contact_object_id; the quarterly access review needs the "
                    "contact's Entra object id (their guest account), or set access_packages_enabled=False"
                )
        return self

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
                    contact_object_id=v.contact_object_id,
                )
                for v in env.vendors
            ],
            access_packages_enabled=env.identity.vendor_access_packages_enabled,
        )


class AzureVendors(pulumi.ComponentResource):
    """One group per vendor inside the environment's vendors group, with read roles only, and
    membership through an access package that Entra ends on the vendor's date."""

    group_object_ids: dict[str, pulumi.Output[str]]
    access_package_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        args: AzureVendorsArgs,
        *,
        vendors_group_object_id: pulumi.Input[str],
        resource_group_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`resource_group_id`: where the vendors' read roles apply; no role assignments when omitted
        (the Entra half only, e.g. before the environment's resource group exists)."""
        super().__init__("civic:azure:Vendors", name, None, opts)
        self._name = name
        self.args = args
        groups = {
            v.name: self._create_vendor(args, v, vendors_group_object_id, resource_group_id)
            for v in args.vendors
        }
        self.group_object_ids = {vendor: g.object_id for vendor, g in groups.items()}
        self.access_package_ids: dict[str, pulumi.Output[str]] = {}
        if args.access_packages_enabled and args.vendors:
            catalog = self._create_catalog(args)
            for v in args.vendors:
                self.access_package_ids[v.name] = self._create_access_package(args, v, groups[v.name], catalog)
        self.register_outputs(
            {"name": args.prefix, "resource_id": vendors_group_object_id,
             "group_object_ids": self.group_object_ids, "access_package_ids": self.access_package_ids}
        )  # fmt: skip

    def _create_vendor(
        self, args: AzureVendorsArgs, vendor: VendorAccess, vendors_group_object_id, resource_group_id
    ):
        import pulumi_azure_native as azure_native
        import pulumi_azuread as azuread

        from components.azure.identity import role_definition_id

        child = pulumi.ResourceOptions(parent=self)
        expires = vendor.expires.isoformat()
        group = azuread.Group(
            f"{self._name}-vendor-{vendor.name}",
            display_name=f"{args.prefix}-vendor-{vendor.name}",
            description=f"Guest access for vendor {vendor.name} (contact {vendor.contact}); expires {expires}: "
            + (f"members only through access package {args.prefix}-vendor-{vendor.name}, which Entra ends that day"
               if args.access_packages_enabled else "remove the members and this group on that day"),
            security_enabled=True,
            mail_enabled=False,
            assignable_to_role=False,
            prevent_duplicate_names=True,
            opts=child,
        )
        azuread.GroupMember(
            f"{self._name}-vendor-{vendor.name}-in-vendors",
            group_object_id=vendors_group_object_id,
            member_object_id=group.object_id,
            opts=child,
        )
        for role in vendor.azure_roles if resource_group_id is not None else ():
            slug = role.lower().replace(" ", "-")
            azure_native.authorization.RoleAssignment(
                f"{self._name}-vendor-{vendor.name}-{slug}",
                scope=resource_group_id,
                role_definition_id=role_definition_id(args.subscription_id, role),
                principal_id=group.object_id,
                principal_type="Group",
                description=f"{role} for vendor {vendor.name}; expires {expires}",
                opts=child,
            )
        return group

    # --- Entra-enforced expiry and review (entitlement management) -------------------------

    def _create_catalog(self, args: AzureVendorsArgs):
        import pulumi_azuread as azuread

        # Not externally visible: no one outside the tenant can find or request these packages.
        return azuread.AccessPackageCatalog(
            f"{self._name}-catalog",
            display_name=f"{args.prefix}-vendors",
            description=f"Vendor access packages of {args.prefix}; each ends on its vendor's date",
            externally_visible=False,
            published=True,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_access_package(self, args: AzureVendorsArgs, vendor: VendorAccess, group, catalog):
        import pulumi_azuread as azuread

        assert vendor.contact_object_id is not None  # _reviewers_known
        child = pulumi.ResourceOptions(parent=self)
        base, expires = f"{self._name}-vendor-{vendor.name}", vendor.expires.isoformat()
        package = azuread.AccessPackage(
            f"{base}-package",
            catalog_id=catalog.id,
            display_name=f"{args.prefix}-vendor-{vendor.name}",
            description=f"Membership of {args.prefix}-vendor-{vendor.name} for vendor {vendor.name}, until {expires}",
            hidden=True,
            opts=child,
        )
        in_catalog = azuread.AccessPackageResourceCatalogAssociation(
            f"{base}-catalog-group",
            catalog_id=catalog.id,
            resource_origin_id=group.object_id,
            resource_origin_system="AadGroup",
            opts=child,
        )
        azuread.AccessPackageResourcePackageAssociation(
            f"{base}-package-group",
            access_package_id=package.id,
            catalog_resource_association_id=in_catalog.id,
            access_type="Member",
            opts=child,
        )
        azuread.AccessPackageAssignmentPolicy(
            f"{base}-policy",
            access_package_id=package.id,
            display_name=f"{args.prefix}-vendor-{vendor.name} until {expires}",
            description=f"Administrator-assigned access for vendor {vendor.name}; Entra ends every assignment on "
            f"{expires} and {vendor.contact} reviews them quarterly",
            # The model's day access ends, at its first instant (UTC), like the AWS vendor role's aws:CurrentTime.
            expiration_date=f"{expires}T00:00:00Z",
            # Renewal is a reviewed change of `expires` in the stack file, never a self-service extension.
            extension_enabled=False,
            requestor_settings=azuread.AccessPackageAssignmentPolicyRequestorSettingsArgs(
                requests_accepted=False, scope_type="NoSubjects"),
            assignment_review_settings=azuread.AccessPackageAssignmentPolicyAssignmentReviewSettingsArgs(
                enabled=True,
                review_frequency="quarterly",
                review_type="Reviewers",
                reviewers=[azuread.AccessPackageAssignmentPolicyAssignmentReviewSettingsReviewerArgs(
                    subject_type="singleUser", object_id=str(vendor.contact_object_id))],
                duration_in_days=14,
                # A review nobody answers ends the access instead of keeping it.
                access_review_timeout_behavior="removeAccess",
                approver_justification_required=True,
                access_recommendation_enabled=True,
            ),
            opts=child,
        )  # fmt: skip
        return package.id
