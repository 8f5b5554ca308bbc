"""Sentinel scheduled analytics rules for the threats this organisation faces.

Phished staff and a state actor after voter and donor data: each rule is a KQL query over
the tables the tenant's connectors fill (Entra ID `SigninLogs` and `AuditLogs`, Microsoft 365
`OfficeActivity`), with a severity, MITRE ATT&CK tactics, entity mappings and an incident.

The rules belong in the workspace that receives the tenant's logs (the tenant owner's); the
component only needs that workspace's name and resource group.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from uuid import UUID

import pulumi
from pydantic import Field, field_validator

from stacks.model import Slug, StrictModel

ADMIN_APP_IDS: dict[str, str] = {
    "c44b4083-3bb0-49c1-b47d-974e53cbdf3c": "Azure portal",
    "04b07795-8ddb-461a-bbee-02f9e1bf7b46": "Azure CLI",
    "1950a258-227b-4e31-a9cf-717495945fc2": "Azure PowerShell",
    "14d82eec-204b-4c2f-b7e8-296a70dab67e": "Microsoft Graph PowerShell",
    "00000006-0000-0ff1-ce00-000000000000": "Microsoft 365 admin portal",
    "0000000c-0000-0000-c000-000000000000": "Microsoft App Access Panel",
}
"""First-party apps that administer the tenant; a sign-in to one is an admin sign-in."""


@dataclass(frozen=True)
class Detection:
    """One analytics rule: what it catches and how it is scored."""

    key: str
    display_name: str
    description: str
    table: str
    query: str
    severity: str
    tactics: tuple[str, ...]
    account_column: str
    ip_column: str | None = None


def _kql_list(values: list[str]) -> str:
    return "dynamic([" + ", ".join(f'"{v}"' for v in values) + "])"


class DetectionsArgs(StrictModel):
    """What the rules look for: the break-glass accounts, the allowed countries, internal mail domains."""

    short_name: Slug = Field(description="organisation prefix of rule names, e.g. 'caf'")
    environment: Slug = Field(description="environment name; part of the stable rule ids")
    break_glass_object_ids: list[UUID] = Field(
        min_length=1, description="emergency accounts; any sign-in by one raises a high-severity incident"
    )
    allowed_admin_countries: list[str] = Field(
        default_factory=lambda: ["US"],
        description="two-letter countries admin sign-ins may come from; the United States when omitted",
    )
    internal_mail_domains: list[str] = Field(
        min_length=1, description="mail domains that count as internal for forwarding rules, e.g. example.org"
    )
    mass_file_threshold: int = Field(
        100, ge=10, description="distinct files downloaded or shared by one user in an hour that raise an alert"
    )

    @field_validator("allowed_admin_countries")
    @classmethod
    def _country_codes(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if len(c) != 2 or not c.isalpha() or not c.isupper()]
        if bad or not value:
            raise ValueError(f"allowed_admin_countries must be two-letter upper-case codes such as US, got {value}")
        return value

    @field_validator("internal_mail_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        bad = [d for d in value if "." not in d or not all(c.isalnum() or c in ".-" for c in d)]
        if bad:
            raise ValueError(f"internal_mail_domains must be domain names such as example.org, got {bad[0]!r}")
        return value

    @property
    def prefix(self) -> str:
        return f"{self.short_name}-{self.environment}"

    def rule_id(self, key: str) -> str:
        """A stable rule id, so a re-run updates the rule instead of adding another."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"civic-infra/{self.prefix}/detections/{key}"))

    def detections(self) -> list[Detection]:
        break_glass = _kql_list([str(i) for i in self.break_glass_object_ids])
        countries = _kql_list(self.allowed_admin_countries)
        domains = _kql_list(self.internal_mail_domains)
        admin_apps = _kql_list(sorted(ADMIN_APP_IDS))
        return [
            Detection(
                "break-glass-sign-in", "Break-glass account sign-in",
                "A break-glass account signed in (or tried to). They are for emergencies only: confirm with the "
                "holder at once, and rotate its credentials if nobody declared an emergency.",
                "SigninLogs",
                f"SigninLogs\n| where UserId in ({break_glass})\n"
                "| project TimeGenerated, UserId, UserPrincipalName, IPAddress, Location, AppDisplayName, ResultType, "
                "ResultDescription, ConditionalAccessStatus",
                "High", ("InitialAccess", "PrivilegeEscalation"), "UserPrincipalName", "IPAddress",
            ),
            Detection(
                "conditional-access-changed", "Conditional access policy or named location changed",
                "Someone added, changed or deleted a conditional access policy or named location. Attackers "
                "loosen these to keep access; confirm the change was planned.",
                "AuditLogs",
                "AuditLogs\n"
                '| where OperationName in ("Add conditional access policy", "Update conditional access policy", '
                '"Delete conditional access policy", "Add named location", "Update named location", '
                '"Delete named location")\n'
                "| extend Actor = tostring(InitiatedBy.user.userPrincipalName), "
                "ActorIp = tostring(InitiatedBy.user.ipAddress), Changed = tostring(TargetResources[0].displayName)\n"
                "| project TimeGenerated, OperationName, Actor, ActorIp, Changed, Result, CorrelationId",
                "Medium", ("DefenseEvasion", "Persistence"), "Actor", "ActorIp",
            ),
            Detection(
                "inbox-forwarding-to-external", "Inbox rule forwards mail outside the organisation",
                "A mailbox rule or forwarding setting sends mail to an outside address: the classic step after "
                "a phished mailbox, to keep reading it after the password is changed.",
                "OfficeActivity",
                'OfficeActivity\n| where OfficeWorkload == "Exchange"\n'
                '| where Operation in ("New-InboxRule", "Set-InboxRule", "Set-Mailbox", "UpdateInboxRules")\n'
                '| where Parameters has_any ("ForwardTo", "RedirectTo", "ForwardAsAttachmentTo", "ForwardingSmtpAddress")\n'
                "| mv-expand parameter = todynamic(Parameters)\n"
                '| where tostring(parameter.Name) in ("ForwardTo", "RedirectTo", "ForwardAsAttachmentTo", '
                '"ForwardingSmtpAddress")\n'
                "| extend Destination = tolower(tostring(parameter.Value))\n"
                '| mv-expand Address = split(Destination, ";")\n'
                '| extend Domain = tostring(split(tostring(Address), "@")[1])\n'
                f"| where isnotempty(Domain) and not(Domain in ({domains}))\n"
                "| project TimeGenerated, UserId, Operation, Destination, Domain, ClientIP",
                "High", ("Collection", "Exfiltration"), "UserId", "ClientIP",
            ),
            Detection(
                "mass-download-or-sharing", "Mass file download or sharing",
                f"One user downloaded or shared at least {self.mass_file_threshold} distinct SharePoint or OneDrive "
                "files within an hour: data theft, or a stolen session doing it.",
                "OfficeActivity",
                'OfficeActivity\n| where OfficeWorkload in ("SharePoint", "OneDrive")\n'
                '| where Operation in ("FileDownloaded", "FileSyncDownloadedFull", "AnonymousLinkCreated", '
                '"SharingInvitationCreated", "SecureLinkCreated", "AddedToSecureLink", "CompanyLinkCreated")\n'
                "| summarize Files = dcount(OfficeObjectId), Operations = make_set(Operation), "
                "ClientIP = any(ClientIP) by UserId, bin(TimeGenerated, 1h)\n"
                f"| where Files >= {self.mass_file_threshold}",
                "High", ("Collection", "Exfiltration"), "UserId", "ClientIP",
            ),
            Detection(
                "privileged-role-granted", "Privileged directory role granted",
                "A user or group was given an Entra ID directory role (active or eligible). Confirm the grant "
                "was requested and approved.",
                "AuditLogs",
                'AuditLogs\n| where Category == "RoleManagement"\n'
                '| where OperationName has "member to role" and OperationName startswith "Add"\n'
                "| extend Actor = tostring(InitiatedBy.user.userPrincipalName), "
                "Grantee = tostring(TargetResources[0].userPrincipalName), "
                "Role = tostring(TargetResources[0].modifiedProperties[1].newValue)\n"
                "| project TimeGenerated, OperationName, Actor, Grantee, Role, Result, CorrelationId",
                "High", ("PrivilegeEscalation", "Persistence"), "Actor",
            ),
            Detection(
                "admin-sign-in-outside-allowed-countries", "Admin sign-in from outside the allowed countries",
                "A successful sign-in to an admin tool, or by a break-glass account, from a country where the "
                "organisation does not administer the tenant.",
                "SigninLogs",
                f'SigninLogs\n| where ResultType == "0"\n'
                f"| where AppId in ({admin_apps}) or UserId in ({break_glass})\n"
                f"| where isnotempty(Location) and not(Location in ({countries}))\n"
                "| project TimeGenerated, UserId, UserPrincipalName, IPAddress, Location, AppDisplayName, "
                "ConditionalAccessStatus",
                "High", ("InitialAccess",), "UserPrincipalName", "IPAddress",
            ),
        ]


class SentinelDetections(pulumi.ComponentResource):
    """One Sentinel scheduled analytics rule per detection, each creating an incident."""

    rule_names: list[str]

    def __init__(
        self,
        name: str,
        args: DetectionsArgs,
        *,
        resource_group_name: pulumi.Input[str],
        workspace_name: pulumi.Input[str],
        sentinel: pulumi.Resource | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`sentinel` is the workspace's Sentinel onboarding: rules are created only after it."""
        super().__init__("civic:azure:SentinelDetections", name, None, opts)
        import pulumi_azure_native as azure_native

        si = azure_native.securityinsights
        rules = {}
        for d in args.detections():
            entities = [
                si.EntityMappingArgs(
                    entity_type="Account",
                    field_mappings=[si.FieldMappingArgs(identifier="FullName", column_name=d.account_column)],
                )
            ]
            if d.ip_column:
                entities.append(si.EntityMappingArgs(
                    entity_type="IP", field_mappings=[si.FieldMappingArgs(identifier="Address", column_name=d.ip_column)]
                ))  # fmt: skip
            rules[d.key] = si.ScheduledAlertRule(
                f"{name}-{d.key}",
                resource_group_name=resource_group_name,
                workspace_name=workspace_name,
                rule_id=args.rule_id(d.key),
                kind="Scheduled",
                display_name=f"{args.prefix}: {d.display_name}",
                description=d.description,
                enabled=True,
                query=d.query,
                # Every 15 minutes over the last hour: late-arriving Office logs are still seen.
                query_frequency="PT15M",
                query_period="PT1H",
                severity=d.severity,
                tactics=list(d.tactics),
                trigger_operator="GreaterThan",
                trigger_threshold=0,
                suppression_enabled=False,
                suppression_duration="PT1H",
                entity_mappings=entities,
                incident_configuration=si.IncidentConfigurationArgs(create_incident=True),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[sentinel] if sentinel else []),
            )
        self.rule_names = sorted(rules)
        self.register_outputs({"name": args.prefix, "resource_id": workspace_name,
                               "rule_ids": {k: r.id for k, r in rules.items()}})  # fmt: skip
