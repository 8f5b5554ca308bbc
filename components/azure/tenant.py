"""What exists once per Entra tenant: staff groups, the US named location and the conditional
access baseline (Microsoft's baseline for Entra ID). Declared only by the tenant stack.

Every policy excludes the break-glass accounts, from the one list `EntraTenantArgs.break_glass_object_ids`
(the tenant stack's `identity.break_glass_object_ids`), so a broken policy, an MFA outage or a
lower environment can never lock the organisation out.

| key | who | what |
|---|---|---|
| admins-phishing-resistant | admin roles and the privileged groups | phishing-resistant authentication strength, every sign-in |
| mfa-all-users | everyone | MFA |
| block-legacy-auth | everyone | block Exchange ActiveSync and other legacy clients |
| block-device-code-flow | everyone | block the device code flow (authentication flows condition) |
| guests-mfa-session | guests and vendors | MFA, sign in again after `guest_session_hours` |
| guests-approved-apps-only | guests and vendors | block every application except `guest_applications` |
| admins-us-only (switch) | admin roles and the privileged groups | block sign-in from outside the US named location |
| sign-in-risk / user-risk (switch, Entra ID P2) | everyone | MFA at medium+ sign-in risk; secure password change at high user risk |
"""

from __future__ import annotations

from uuid import UUID

import pulumi
from pydantic import Field, model_validator

from components.azure.identity import ADMIN_ROLE_TEMPLATE_IDS, ROLE_ASSIGNABLE_GROUPS, ROLE_GROUPS
from stacks.model import Slug, StrictModel

PHISHING_RESISTANT = "/policies/authenticationStrengthPolicies/00000000-0000-0000-0000-000000000004"
"""Entra's built-in 'Phishing-resistant MFA' authentication strength (FIDO2, Windows Hello, certificate)."""
GUEST_TYPES = "internalGuest,b2bCollaborationGuest,b2bCollaborationMember,b2bDirectConnectUser,otherExternalUser,serviceProvider"


class EntraTenantArgs(StrictModel):
    """The tenant-wide identity baseline, from the tenant stack's model."""

    short_name: Slug = Field(description="organisation prefix of every display name")
    break_glass_object_ids: list[UUID] = Field(
        min_length=1, description="emergency accounts excluded from every policy; at least one is required"
    )
    report_only: bool = Field(False, description="off: enforced; on: policies only log (never in production)")
    risk_policies_enabled: bool = Field(False, description="sign-in and user risk policies; need Entra ID P2")
    admin_us_only: bool = Field(True, description="admins sign in only from the United States")
    guest_session_hours: int = Field(8, ge=1, le=24)
    guest_applications: list[str] = Field(default_factory=lambda: ["Office365"], min_length=1)

    @model_validator(mode="after")
    def _no_duplicates(self) -> EntraTenantArgs:
        if len(set(self.break_glass_object_ids)) != len(self.break_glass_object_ids):
            raise ValueError("break_glass_object_ids lists an account twice; list each once")
        return self

    @property
    def state(self) -> str:
        return "enabledForReportingButNotEnforced" if self.report_only else "enabled"


class EntraTenant(pulumi.ComponentResource):
    """Staff groups, the US named location and the conditional access baseline of one tenant."""

    group_object_ids: dict[str, pulumi.Output[str]]
    policy_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: EntraTenantArgs, *, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("civic:entra:Tenant", name, None, opts)
        import pulumi_azuread as azuread

        child = pulumi.ResourceOptions(parent=self)
        groups = {
            role: azuread.Group(
                f"{name}-group-{role}", display_name=f"{args.short_name}-{role}", description=ROLE_GROUPS[role],
                security_enabled=True, mail_enabled=False, assignable_to_role=role in ROLE_ASSIGNABLE_GROUPS,
                prevent_duplicate_names=True, opts=child,
            )
            for role in ROLE_GROUPS
        }
        us = azuread.NamedLocation(
            f"{name}-location-us", display_name=f"{args.short_name}: United States",
            country=azuread.NamedLocationCountryArgs(countries_and_regions=["US"],
                                                     include_unknown_countries_and_regions=False),
            opts=child,
        )  # fmt: skip
        excluded = [str(i) for i in args.break_glass_object_ids]
        admins = {"included_roles": list(ADMIN_ROLE_TEMPLATE_IDS),
                  "included_groups": [groups[g].object_id for g in sorted(ROLE_ASSIGNABLE_GROUPS)]}  # fmt: skip
        everyone = {"included_users": ["All"]}
        guests = {"included_guests_or_external_users": [
            azuread.ConditionalAccessPolicyConditionsUsersIncludedGuestsOrExternalUserArgs(
                guest_or_external_user_types=GUEST_TYPES,
                external_tenants=[azuread.ConditionalAccessPolicyConditionsUsersIncludedGuestsOrExternalUserExternalTenantArgs(
                    membership_kind="all")])]}  # fmt: skip
        all_apps = azuread.ConditionalAccessPolicyConditionsApplicationsArgs(included_applications=["All"])

        def policy(key: str, display: str, users: dict, grant: dict, *, apps=all_apps, session=None, **conditions):
            return azuread.ConditionalAccessPolicy(
                f"{name}-ca-{key}", display_name=f"{args.short_name}: {display}", state=args.state,
                conditions=azuread.ConditionalAccessPolicyConditionsArgs(
                    applications=apps, client_app_types=conditions.pop("client_app_types", ["all"]),
                    users=azuread.ConditionalAccessPolicyConditionsUsersArgs(**users, excluded_users=excluded),
                    **conditions),
                grant_controls=azuread.ConditionalAccessPolicyGrantControlsArgs(operator=grant.pop("operator", "OR"), **grant),
                session_controls=session, opts=child,
            )  # fmt: skip

        every_time = azuread.ConditionalAccessPolicySessionControlsArgs(
            sign_in_frequency_interval="everyTime", sign_in_frequency_authentication_type="primaryAndSecondaryAuthentication")
        policies = {
            "admins-phishing-resistant": policy(
                "admins-phishing-resistant", "phishing-resistant authentication for admins", admins,
                {"authentication_strength_policy_id": PHISHING_RESISTANT}, session=every_time),
            "mfa-all-users": policy("mfa-all-users", "require MFA for all users", everyone, {"built_in_controls": ["mfa"]}),
            # Exchange ActiveSync and "other clients" (IMAP, POP, SMTP AUTH, ...) cannot do MFA.
            "block-legacy-auth": policy("block-legacy-auth", "block legacy authentication", everyone,
                                        {"built_in_controls": ["block"]}, client_app_types=["exchangeActiveSync", "other"]),
            # Device code phishing hands an attacker a signed-in session from a code the victim types in.
            "block-device-code-flow": policy("block-device-code-flow", "block the device code flow", everyone,
                                             {"built_in_controls": ["block"]},
                                             authentication_flow_transfer_methods=["deviceCodeFlow"]),
            "guests-mfa-session": policy(
                "guests-mfa-session", "MFA and short sessions for guests and vendors", guests, {"built_in_controls": ["mfa"]},
                session=azuread.ConditionalAccessPolicySessionControlsArgs(
                    sign_in_frequency=args.guest_session_hours, sign_in_frequency_period="hours",
                    persistent_browser_mode="never")),
            "guests-approved-apps-only": policy(
                "guests-approved-apps-only", "guests and vendors use only approved apps", guests,
                {"built_in_controls": ["block"]},
                apps=azuread.ConditionalAccessPolicyConditionsApplicationsArgs(
                    included_applications=["All"], excluded_applications=list(args.guest_applications))),
        }  # fmt: skip
        if args.admin_us_only:
            policies["admins-us-only"] = policy(
                "admins-us-only", "admins sign in only from the United States", admins, {"built_in_controls": ["block"]},
                locations=azuread.ConditionalAccessPolicyConditionsLocationsArgs(
                    included_locations=["All"], excluded_locations=[us.id]))  # fmt: skip
        if args.risk_policies_enabled:
            policies["sign-in-risk"] = policy("sign-in-risk", "MFA at medium or high sign-in risk", everyone,
                                              {"built_in_controls": ["mfa"]}, sign_in_risk_levels=["medium", "high"])
            policies["user-risk"] = policy(
                "user-risk", "secure password change at high user risk", everyone,
                {"operator": "AND", "built_in_controls": ["mfa", "passwordChange"]}, user_risk_levels=["high"],
                session=azuread.ConditionalAccessPolicySessionControlsArgs(sign_in_frequency_interval="everyTime"))
        self.group_object_ids = {role: g.object_id for role, g in groups.items()}
        self.policy_ids = {key: p.id for key, p in policies.items()}
        self.register_outputs({"name": args.short_name, "resource_id": us.id, "group_object_ids": self.group_object_ids,
                               "conditional_access_policy_ids": self.policy_ids,
                               "break_glass_object_ids": excluded})  # fmt: skip
