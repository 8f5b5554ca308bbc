"""Security monitoring of one environment: Sentinel, Entra ID and activity logs, Defender for Cloud.

- Microsoft Sentinel onboarded on the environment's Log Analytics workspace, with the
  Office 365 data connector (Exchange, SharePoint and Teams audit logs).
- Entra ID sign-in and audit logs (interactive, non-interactive and service principal
  sign-ins) sent to the workspace by a tenant diagnostic setting.
- The subscription's activity log (every category) sent to the workspace.
- Defender for Cloud plans set to Standard (the model's plans, Defender CSPM, and Defender
  for AI whenever Azure OpenAI is on), with alerts mailed to the security contact.
"""

from __future__ import annotations

import uuid
from uuid import UUID

import pulumi
from pydantic import EmailStr, Field, field_validator

from stacks.model import DEFENDER_PLANS, Environment, Slug, StrictModel

ENTRA_LOG_CATEGORIES = (
    "SignInLogs",
    "NonInteractiveUserSignInLogs",
    "ServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs",
    "AuditLogs",
)
ACTIVITY_LOG_CATEGORIES = (
    "Administrative",
    "Security",
    "ServiceHealth",
    "Alert",
    "Recommendation",
    "Policy",
    "Autoscale",
    "ResourceHealth",
)


def defender_plans_for(env: Environment) -> list[str]:
    """The model's plans, plus Defender CSPM and, when Azure OpenAI is on, Defender for AI."""
    plans = list(env.m365.defender_plans)
    if env.m365.defender_cspm_enabled:
        plans.append("CloudPosture")
    if env.openai.enabled and env.m365.defender_for_ai_enabled:
        plans.append("AI")
    return list(dict.fromkeys(plans))


class SecurityMonitoringArgs(StrictModel):
    """What the environment monitors and who hears about it."""

    short_name: Slug = Field(description="organisation prefix of setting names, e.g. 'caf'")
    environment: Slug = Field(description="environment name, part of setting names")
    tenant_id: UUID = Field(description="tenant whose Office 365 logs Sentinel reads")
    subscription_id: UUID = Field(
        description="subscription whose activity log and Defender plans are set"
    )
    sentinel_enabled: bool = Field(
        True, description="Sentinel and the Office 365 connector on the workspace"
    )
    office365_connector_enabled: bool = Field(
        False,
        description="the Office 365 connector (tenant-wide mail, SharePoint and Teams activity) on this workspace; "
        "off: the tenant stack connects it to its log environment's workspace only",
    )
    entra_diagnostics_enabled: bool = Field(
        False,
        description="Entra ID sign-in and audit logs to the workspace; off: tenant-wide logs are the tenant "
        "stack's (components/platform/tenant.py), never an environment's",
    )
    activity_log_enabled: bool = Field(
        True, description="subscription activity log to the workspace"
    )
    defender_plans: list[str] = Field(
        default_factory=lambda: ["KeyVaults", "StorageAccounts", "AppServices", "Arm"],
        description="Defender for Cloud plans set to Standard; these four when omitted",
    )
    security_contact: EmailStr | None = Field(
        None,
        description="receives Defender alerts of medium severity and above; no contact when omitted",
    )

    @field_validator("defender_plans")
    @classmethod
    def _known_plans(cls, plans: list[str]) -> list[str]:
        unknown = [p for p in plans if p not in DEFENDER_PLANS]
        if unknown:
            raise ValueError(
                f"unknown Defender for Cloud plan {unknown[0]!r}; use the pricing name, one of: "
                f"{', '.join(sorted(DEFENDER_PLANS))}"
            )
        if len(set(plans)) != len(plans):
            raise ValueError(f"defender_plans lists a plan twice, got {plans}; list each plan once")
        return plans

    @property
    def prefix(self) -> str:
        return f"{self.short_name}-{self.environment}"

    @property
    def office365_connector_id(self) -> str:
        """A stable connector id, so a re-run updates the connector instead of adding another."""
        return str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"civic-infra/{self.tenant_id}/{self.prefix}/office365")
        )

    @classmethod
    def from_environment(cls, env: Environment) -> SecurityMonitoringArgs:
        """What one environment monitors, from its `m365` section."""
        assert env.azure is not None, "security monitoring needs the azure section"
        return cls(
            short_name=env.organization.short_name,
            environment=env.name,
            tenant_id=env.azure.tenant_id,
            subscription_id=env.azure.subscription_id,
            sentinel_enabled=env.m365.sentinel_enabled,
            defender_plans=defender_plans_for(env),
            security_contact=env.organization.security_contact,
        )


class SecurityMonitoring(pulumi.ComponentResource):
    """Sentinel with the Office 365 connector, Entra ID and activity-log diagnostics, Defender plans."""

    def __init__(
        self,
        name: str,
        args: SecurityMonitoringArgs,
        *,
        resource_group_name: pulumi.Input[str],
        workspace_name: pulumi.Input[str],
        workspace_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("civic:azure:SecurityMonitoring", name, None, opts)
        self._name = name
        self.args = args
        outputs: dict = {"name": args.prefix, "resource_id": workspace_id}

        self.sentinel = None
        if args.sentinel_enabled:
            onboarding = self.sentinel = self._create_sentinel(args, resource_group_name, workspace_name)
            outputs["sentinel_id"] = onboarding.id
        if args.entra_diagnostics_enabled:
            outputs["entra_diagnostic_setting_id"] = self._create_entra_diagnostics(
                args, workspace_id
            ).id
        if args.activity_log_enabled:
            outputs["activity_log_setting_id"] = self._create_activity_log(args, workspace_id).id
        outputs["defender_plans"] = {
            plan: self._create_defender_plan(args, plan).id for plan in args.defender_plans
        }
        if args.security_contact and args.defender_plans:
            self._create_security_contact(args)

        self.register_outputs(outputs)

    def _create_sentinel(self, args: SecurityMonitoringArgs, resource_group_name, workspace_name):
        import pulumi_azure_native as azure_native

        si = azure_native.securityinsights
        onboarding = si.SentinelOnboardingState(
            f"{self._name}-sentinel",
            resource_group_name=resource_group_name,
            workspace_name=workspace_name,
            sentinel_onboarding_state_name="default",
            customer_managed_key=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        if not args.office365_connector_enabled:
            return onboarding
        enabled = {"state": "Enabled"}
        si.OfficeDataConnector(
            f"{self._name}-office365",
            resource_group_name=resource_group_name,
            workspace_name=workspace_name,
            data_connector_id=args.office365_connector_id,
            kind="Office365",
            tenant_id=str(args.tenant_id),
            data_types=si.OfficeDataConnectorDataTypesArgs(
                exchange=si.OfficeDataConnectorDataTypesExchangeArgs(**enabled),
                share_point=si.OfficeDataConnectorDataTypesSharePointArgs(**enabled),
                teams=si.OfficeDataConnectorDataTypesTeamsArgs(**enabled),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[onboarding]),
        )
        return onboarding

    def _create_entra_diagnostics(self, args: SecurityMonitoringArgs, workspace_id):
        import pulumi_azure_native as azure_native

        # A tenant-level setting: each environment in the tenant sends to its own workspace.
        return azure_native.aadiam.DiagnosticSetting(
            f"{self._name}-entra-logs",
            name=f"{args.prefix}-entra-to-log-analytics",
            workspace_id=workspace_id,
            logs=[
                azure_native.aadiam.LogSettingsArgs(category=category, enabled=True)
                for category in ENTRA_LOG_CATEGORIES
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_activity_log(self, args: SecurityMonitoringArgs, workspace_id):
        import pulumi_azure_native as azure_native

        return azure_native.monitor.DiagnosticSetting(
            f"{self._name}-activity-log",
            name=f"{args.prefix}-activity-to-log-analytics",
            resource_uri=f"/subscriptions/{args.subscription_id}",
            workspace_id=workspace_id,
            logs=[
                azure_native.monitor.DiagnosticsLogSettingsArgs(category=category, enabled=True)
                for category in ACTIVITY_LOG_CATEGORIES
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_defender_plan(self, args: SecurityMonitoringArgs, plan: str):
        import pulumi_azure_native as azure_native

        return azure_native.security.Pricing(
            f"{self._name}-defender-{plan.lower()}",
            pricing_name=plan,
            pricing_tier="Standard",
            scope_id=f"/subscriptions/{args.subscription_id}",
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_security_contact(self, args: SecurityMonitoringArgs):
        import pulumi_azure_native as azure_native

        sec = azure_native.security
        return sec.SecurityContact(
            f"{self._name}-security-contact",
            security_contact_name="default",
            emails=str(args.security_contact),
            is_enabled=True,
            notifications_by_role=sec.SecurityContactPropertiesNotificationsByRoleArgs(
                roles=["Owner"], state="On"
            ),
            notifications_sources=[
                sec.NotificationsSourceAlertArgs(source_type="Alert", minimal_severity="Medium"),
                # Defender CSPM's attack paths to sensitive data, from high risk up.
                *([sec.NotificationsSourceAttackPathArgs(source_type="AttackPath", minimal_risk_level="High")]
                  if "CloudPosture" in args.defender_plans else []),
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
