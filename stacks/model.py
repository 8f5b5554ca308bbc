"""The one environment model: the `infra:` namespace of `stacks/Pulumi.<env>.yaml`.

Field checks live here (types, formats, private ranges); rules that relate several
fields or environments live in `stacks/rules.py`. Every field documents what happens
when it is omitted, and every default is the secure choice.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date
from enum import Enum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    model_validator,
)


class StrictModel(BaseModel):
    """Base of every config section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# --- value types ----------------------------------------------------------------------

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$"),
    Field(description="lower-case letters, digits and dashes, 2-24 characters"),
]

_PRIVATE_NETS = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


def _private_cidr(value: str) -> str:
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as err:
        raise ValueError(
            f"is not a valid CIDR block ({err}); write it as a network address, e.g. 10.20.0.0/16"
        ) from None
    if net.version != 4 or not any(net.subnet_of(p) for p in _PRIVATE_NETS):
        raise ValueError(
            "must be a private IPv4 range; choose an address space inside 10.0.0.0/8, "
            "172.16.0.0/12 or 192.168.0.0/16"
        )
    return str(net)


PrivateCidr = Annotated[str, AfterValidator(_private_cidr)]

_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def _email(value: str) -> str:
    if len(value) > 254 or len(value.partition("@")[0]) > 64 or not _EMAIL.match(value):
        raise ValueError("value is not a valid email address; write a full address such as it@example.org")
    return value


class EmailStr(str):
    """An email address, checked for syntax.

    Not pydantic's EmailStr: that imports email-validator and idna into every command that
    loads the model (validate, plan, policy check). Validated values are plain `str`.
    """

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(_email, core_schema.str_schema())

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> Any:
        field = handler(schema)
        field.update(type="string", format="email")
        return field


AwsAccountId = Annotated[
    str,
    StringConstraints(pattern=r"^\d{12}$"),
    Field(description="12-digit AWS account id (a placeholder until the account exists)"),
]

PolicyName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]

# in their own module so the policies can read them without loading this model (and pydantic)
from stacks.regions import US_AWS_REGIONS, US_AZURE_LOCATIONS  # noqa: E402, F401

_AZURE_LOCATION = re.compile(r"^[a-z0-9]+$")


def _azure_location(value: str) -> str:
    if not _AZURE_LOCATION.match(value):
        raise ValueError("is not an Azure location name; use the short form, e.g. eastus2")
    return value


def _aws_region(value: str) -> str:
    if not re.match(r"^[a-z]{2}(-gov)?-[a-z]+-\d$", value):
        raise ValueError("is not an AWS region name; use the short form, e.g. us-east-1")
    return value


AzureLocation = Annotated[str, AfterValidator(_azure_location)]
AwsRegion = Annotated[str, AfterValidator(_aws_region)]


class Classification(str, Enum):
    """How sensitive a data set is; restricted covers voter files and donor data."""

    public = "public"
    internal = "internal"
    restricted = "restricted"

    @property
    def rank(self) -> int:
        return ["public", "internal", "restricted"].index(self.value)


class Tier(str, Enum):
    """What an environment is for; production is held to the strictest rules."""

    development = "development"
    staging = "staging"
    production = "production"


class Secret(StrictModel):
    """A value set with `pulumi config set --secret`: only its encrypted form is ever read here."""

    secure: str = Field(min_length=1, description="ciphertext written by the Pulumi CLI")

    def __repr__(self) -> str:
        return "Secret([secret])"

    __str__ = __repr__


SecretValue = Annotated[Secret, PlainSerializer(lambda _: "[secret]", return_type=str)]


# --- sections -------------------------------------------------------------------------


class Contact(StrictModel):
    """A person the platform notifies and names as owner."""

    name: str = Field(min_length=1, description="full name")
    email: EmailStr = Field(description="work address; receives budget and drift alerts")


class Organization(StrictModel):
    """Who runs the platform."""

    name: str = Field(min_length=1, description="display name of the organisation")
    short_name: Slug = Field(description="prefix of every resource name, e.g. 'pac'")
    owners: list[Contact] = Field(min_length=1, description="platform owners; the first is the owner tag")
    security_contact: EmailStr = Field(description="receives security alerts (Defender, GuardDuty)")


class CostCenter(StrictModel):
    """A budget line that resources are charged to."""

    name: Slug = Field(description="tag value `cost-center`, e.g. digital, data, direct-marketing")
    description: str = Field("", description="what the budget line pays for")


class AzureSettings(StrictModel):
    """Azure tenant and subscription; omit the section to leave Azure out."""

    tenant_id: UUID = Field(description="Entra ID tenant (placeholder until real)")
    subscription_id: UUID = Field(description="subscription this environment deploys into")
    location: AzureLocation = Field("eastus2", description="region of every Azure resource")


class AwsSettings(StrictModel):
    """AWS account and region; omit the section to leave AWS out."""

    account_id: AwsAccountId
    region: AwsRegion = Field("us-east-1", description="region of every regional AWS resource")


class VpnSettings(StrictModel):
    """Site-to-site VPN between the Azure hub and the AWS VPC."""

    enabled: bool = Field(False, description="off: the clouds are not linked")
    sku: Literal["VpnGw1", "VpnGw2", "VpnGw1AZ", "VpnGw2AZ"] = Field(
        "VpnGw1AZ", description="gateway size; AZ SKUs survive a zone outage"
    )


class NetworkSettings(StrictModel):
    """Address spaces for both clouds; they must not overlap because the clouds may be linked."""

    azure_hub_cidr: PrivateCidr = Field(description="hub VNet: gateway, management and private endpoints")
    azure_spokes: dict[Slug, PrivateCidr] = Field(
        default_factory=dict, description="one spoke VNet per workload, e.g. apps: 10.11.0.0/16"
    )
    aws_vpc_cidr: PrivateCidr = Field(description="the AWS VPC for data stores")
    aws_availability_zones: int = Field(2, ge=2, le=3, description="AZs spanned by the VPC")
    aws_public_subnets_enabled: bool = Field(
        False, description="off: no public subnets and no internet gateway"
    )
    aws_nat_gateways: Literal["none", "single", "per-az"] = Field(
        "none", description="outbound internet for private subnets; needs public subnets"
    )
    aws_interface_endpoints: list[str] = Field(
        default_factory=list, description="extra VPC interface endpoints, e.g. ['kms', 'secretsmanager']"
    )
    vpn: VpnSettings = VpnSettings()


class ModelDeployment(StrictModel):
    """One Azure OpenAI model deployment."""

    name: Slug = Field(description="deployment name that apps call")
    model: str = Field(description="model name, e.g. gpt-4o-mini")
    version: str = Field(description="model version, e.g. 2024-07-18")
    capacity: int = Field(10, ge=1, le=1000, description="thousands of tokens per minute")


class WebAppsSettings(StrictModel):
    """Internal web apps (volunteer portal, dashboards) in the apps spoke."""

    enabled: bool = Field(False, description="off: no App Service plan or apps")
    sku: str = Field("P0v3", description="App Service plan SKU")
    apps: list[Slug] = Field(
        default_factory=lambda: ["volunteer-portal"], description="one web app per name, each private in production"
    )
    public_network_access_enabled: bool = Field(
        False, description="off: apps are reached only through private endpoints, in every environment"
    )


class OpenAISettings(StrictModel):
    """Azure OpenAI account; local keys and public network are always off."""

    enabled: bool = Field(False, description="off: no Azure OpenAI account")
    deployments: list[ModelDeployment] = Field(
        default_factory=list, description="model deployments; at least one when enabled"
    )


class M365Settings(StrictModel):
    """Microsoft 365-adjacent security and records."""

    sentinel_enabled: bool = Field(True, description="Sentinel with the Office 365 connector")
    defender_plans: list[str] = Field(
        default_factory=lambda: ["KeyVaults", "StorageAccounts", "AppServices", "Arm"],
        description="Defender for Cloud plans set to Standard",
    )
    immutable_exports_enabled: bool = Field(
        False, description="time-based immutability on the exports container"
    )
    defender_cspm_enabled: bool = Field(
        True, description="Defender CSPM (attack paths, agentless scanning) on top of defender_plans; billed per resource"
    )
    defender_for_ai_enabled: bool = Field(
        True, description="Defender for AI threat protection whenever openai.enabled; billed per token"
    )
    sentinel_detections_enabled: bool = Field(
        False,
        description="Sentinel analytics rules (break-glass sign-in, CA changes, external forwarding, mass download, "
        "role grants, admin sign-in abroad); on only where the tenant's logs arrive; needs break-glass ids",
    )
    allowed_admin_countries: list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]] = Field(
        default_factory=lambda: ["US"], description="countries admin sign-ins may come from without an alert"
    )


class DataLakeSettings(StrictModel):
    """The S3 data lake: raw, curated and exports buckets plus an access-log bucket."""

    enabled: bool = Field(True, description="off: no buckets (partners then have nothing to read)")
    noncurrent_version_days: int = Field(30, ge=1, description="how long old object versions are kept")
    retention_days: dict[Classification, int] = Field(
        default_factory=lambda: {
            Classification.public: 365,
            Classification.internal: 730,
            Classification.restricted: 1825,
        },
        description="objects expire after this many days, by classification",
    )
    network_perimeter_enabled: bool = Field(
        True,
        description="buckets holding restricted data deny object reads, writes and listing that do not come through "
        "the VPC's S3 endpoint (Athena, log delivery and vendors' restricted grants excepted); always on in production",
    )
    exports_object_lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] | None = Field(
        "COMPLIANCE",
        description="S3 Object Lock on lake-exports; COMPLIANCE: nobody, not even root, deletes or overwrites an export "
        "early; GOVERNANCE: only s3:BypassGovernanceRetention can; null: no lock (not allowed in production)",
    )
    exports_object_lock_days: int = Field(
        30, ge=1, le=3650,
        description="days each export is locked; short on purpose: an export made by mistake cannot be deleted "
        "before this ends; at most the exports' retention_days",
    )


class RedshiftSettings(StrictModel):
    """Redshift Serverless for analytics."""

    enabled: bool = Field(False, description="off: no Redshift namespace or workgroup (saves the most money)")
    base_capacity_rpus: int = Field(8, ge=8, le=512, description="Redshift processing units at baseline")


class PostgresSettings(StrictModel):
    """RDS PostgreSQL for the voter-contact application."""

    enabled: bool = Field(False, description="off: no database")
    instance_class: str = Field("db.t4g.micro", description="RDS instance size")
    allocated_storage_gb: int = Field(20, ge=20, le=65536, description="encrypted storage size")
    engine_version: str = Field("16", description="PostgreSQL major version")
    multi_az: bool = Field(False, description="a standby in a second AZ (production should turn it on)")


class DatabaseBackupSettings(StrictModel):
    """AWS Backup of the databases (PostgreSQL): a locked vault '<prefix>-db-backups' and a daily plan."""

    enabled: bool = Field(
        True, description="off: no AWS Backup vault or plan (only RDS automated backups); never off in production "
        "when a database exists",
    )
    vault_lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] = Field(
        "COMPLIANCE",
        description="COMPLIANCE: after vault_lock_changeable_for_days nobody, not even root, deletes a backup early "
        "or removes the lock; GOVERNANCE: a principal with backup:DeleteBackupVaultLockConfiguration can; "
        "production needs COMPLIANCE",
    )
    vault_lock_changeable_for_days: int = Field(
        3, ge=3, le=36500, description="compliance mode: grace period in which the lock can still be removed"
    )
    min_retention_days: int = Field(7, ge=1, le=36500, description="the vault refuses shorter retention")
    max_retention_days: int = Field(35, ge=1, le=36500, description="the vault refuses longer retention")
    retention_days: int = Field(
        35, ge=1, le=36500, description="daily backups are deleted after this many days; between min and max"
    )


class DataStores(StrictModel):
    """AWS data estate; the data lake is on unless switched off."""

    data_lake: DataLakeSettings = DataLakeSettings()
    analytics_enabled: bool = Field(True, description="Glue catalog and Athena workgroup")
    redshift: RedshiftSettings = RedshiftSettings()
    postgres: PostgresSettings = PostgresSettings()
    backups: DatabaseBackupSettings = DatabaseBackupSettings()


class Dataset(StrictModel):
    """A named data set and its classification; decides keys, retention and sharing."""

    name: Slug = Field(description="data set name, e.g. voter-file")
    classification: Classification = Field(description="decides KMS key, retention and whether it may be shared")
    description: str = Field("", description="what the data is")


class Protection(StrictModel):
    """How hard the environment is to break; production must be at least as strict as staging."""

    deletion_protection: bool = Field(True, description="protect stateful resources from deletion")
    log_retention_days: int = Field(90, ge=30, le=730, description="Log Analytics and flow logs")
    backup_retention_days: int = Field(7, ge=7, le=35, description="RDS automated backups")
    soft_delete_retention_days: int = Field(30, ge=7, le=90, description="Key Vault and blob soft delete")


class AuditSettings(StrictModel):
    """Account-level audit on AWS; CloudTrail and GuardDuty are always on when AWS is configured."""

    aws_config_recorder_enabled: bool = Field(
        False, description="off: no AWS Config recorder (it is billed per recorded configuration item)"
    )
    aws_account_public_access_block_enabled: bool = Field(
        True, description="account-wide S3 public access block (all four settings); always on in production"
    )
    aws_access_analyzer_enabled: bool = Field(
        True, description="IAM Access Analyzer reports anything shared outside the account; always on in production"
    )
    aws_security_hub_enabled: bool = Field(
        True, description="Security Hub with CIS AWS Foundations and AWS Foundational Best Practices (billed per check)"
    )
    aws_ebs_encryption_by_default_enabled: bool = Field(
        True, description="new EBS volumes are encrypted by default; always on in production"
    )
    aws_guardduty_regions: list[AwsRegion] = Field(
        default_factory=lambda: sorted(US_AWS_REGIONS),
        description="US regions with a GuardDuty detector (S3 protection on); every US region in production",
    )
    aws_trail_object_lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] = Field(
        "COMPLIANCE",
        description="Object Lock on the CloudTrail bucket; COMPLIANCE: nobody, not even root, can delete a log early",
    )
    aws_trail_object_lock_days: int = Field(
        365, ge=1, le=3650, description="days each CloudTrail log object is locked"
    )
    aws_trail_data_events_enabled: bool = Field(
        True, description="CloudTrail records object reads and writes in every restricted bucket"
    )
    aws_cis_alarms_enabled: bool = Field(
        True, description="CIS monitoring metric filters and alarms on the trail, mailed to the security contact"
    )


class Budgets(StrictModel):
    """Monthly spending limits in US dollars; alerts at 50/80/100% actual and 100% forecast."""

    azure_monthly_usd: float | None = Field(None, gt=0, description="no Azure budget when omitted")
    aws_monthly_usd: float | None = Field(None, gt=0, description="no AWS budget when omitted")
    notify: list[EmailStr] = Field(default_factory=list, description="extra recipients beyond the owners")


AZURE_VENDOR_ROLES = Literal["Reader", "Log Analytics Reader", "Storage Blob Data Reader"]


RESTRICTED_GRANT_MAX_DAYS = 90
"""Longest a vendor may read restricted data before the grant is renewed with a fresh justification."""


class RestrictedGrant(StrictModel):
    """One vendor's explicit, justified, short-lived read of restricted data in one lake bucket."""

    resource: str = Field(description="a lake bucket in aws_read_resources that holds restricted data, e.g. lake-curated")
    dataset: Slug = Field(description="the restricted data set (from infra:datasets) the vendor needs")
    justification: str = Field(min_length=1, description="why the vendor needs it; shown in access reviews")
    expires: date = Field(
        description="the read ends on this day; at most 90 days away and not after the vendor's expires"
    )


class Vendor(StrictModel):
    """A third party with time-limited access."""

    name: Slug = Field(description="vendor name; names its Entra group and AWS role")
    contact: EmailStr = Field(description="who to ask before renewing or ending access")
    expires: date = Field(description="access ends on this day; once it has passed the next deploy removes it")
    azure_roles: list[AZURE_VENDOR_ROLES] = Field(
        default_factory=list, description="read roles on the environment resource group"
    )
    aws_account_id: AwsAccountId | None = Field(None, description="no AWS role when omitted")
    aws_external_id: str | None = Field(
        None, min_length=8, description="ExternalId the vendor must present; required with aws_account_id"
    )
    aws_read_resources: list[str] = Field(
        default_factory=list, description="component outputs the role may read, e.g. ['lake-curated']"
    )
    restricted_grants: list[RestrictedGrant] = Field(
        default_factory=list,
        description="explicit reads of restricted data; without one, reads stop at buckets holding internal data",
    )
    contact_object_id: UUID | None = Field(
        None,
        description="the contact's Entra object id (their guest account): reviewer of the vendor's quarterly access "
        "review; required in an Azure environment while identity.vendor_access_packages_enabled",
    )


class Partner(StrictModel):
    """An allied organisation that receives exports through the partner share."""

    name: Slug = Field(description="partner organisation name")
    aws_account_id: AwsAccountId = Field(description="the only principal granted read access")
    exports_prefix: str = Field(pattern=r"^[a-z0-9-]+/$", description="prefix in the exports bucket, e.g. 'acme/'")
    classification: Literal[Classification.public, Classification.internal] = Field(
        Classification.internal, description="highest classification shared; never restricted"
    )
    expires: date = Field(description="sharing ends on this day; once it has passed the next deploy removes it")


class Identity(StrictModel):
    """Entra ID and CI identity."""

    github_repository: str = Field(
        pattern=r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", description="owner/name trusted by CI federation"
    )
    break_glass_object_ids: list[UUID] = Field(
        default_factory=list, description="emergency accounts excluded from conditional access"
    )
    aws_identity_center_enabled: bool = Field(
        False, description="map Entra ID groups to IAM Identity Center permission sets"
    )
    aws_identity_center_instance_arn: str | None = Field(
        None,
        pattern=r"^arn:aws:sso:::instance/ssoins-[0-9a-f]{16}$",
        description="Identity Center instance the permission sets go in; required when aws_identity_center_enabled",
    )
    aws_identity_center_group_ids: dict[str, str] = Field(
        default_factory=dict,
        description="Identity Store group id per Entra group name (after SCIM sync); groups without one get no assignment",
    )
    access_max_days: int = Field(365, ge=1, le=730, description="longest vendor or partner access window")
    vendor_access_packages_enabled: bool = Field(
        True,
        description="vendor group membership only through an Entra ID access package that Entra ends on "
        "vendors[].expires and the contact reviews quarterly (needs Entra ID P2 or ID Governance); off: members are "
        "added by hand and Azure vendor access ends only when the first deploy after expires removes the group",
    )


class ConditionalAccessSettings(StrictModel):
    """The tenant's conditional access baseline (Microsoft's baseline for Entra ID)."""

    report_only: bool = Field(
        False, description="off: policies are enforced; on: they only log (never allowed in a production-tier tenant stack)"
    )
    risk_policies_enabled: bool = Field(
        False, description="sign-in risk (medium+) needs MFA, user risk (high) a secure password change; needs Entra ID P2"
    )
    admin_us_only: bool = Field(
        True, description="administrators may sign in only from the United States named location"
    )
    guest_session_hours: int = Field(8, ge=1, le=24, description="guests and vendors sign in again after this many hours")
    guest_applications: list[str] = Field(
        default_factory=lambda: ["Office365"],
        description="the only applications guests and vendors may use; every other app is blocked for them",
    )


class GithubSettings(StrictModel):
    """The repository's own settings, declared with pulumi-github by the tenant stack."""

    settings_enabled: bool = Field(True, description="off: the tenant stack leaves the repository's settings alone")
    default_branch: str = Field("main", pattern=r"^[A-Za-z0-9._/-]+$", description="the only branch production deploys from")
    required_checks: list[str] = Field(
        default_factory=lambda: ["tests and validate"],
        description="status checks (job names of pull-request.yml) the default branch's ruleset requires before a merge",
    )
    reviewer_team_ids: list[int] = Field(
        default_factory=list,
        description="GitHub team ids (`gh api orgs/<org>/teams/<slug> --jq .id`) that approve every deploy; "
        "at least one when settings_enabled",
    )
    production_wait_minutes: int = Field(5, ge=0, le=43200, description="wait timer before a production deploy starts")


class TenantSettings(StrictModel):
    """Present only in the stack that owns the Entra tenant and the GitHub repository."""

    environments: list[Slug] = Field(
        min_length=1, description="environments whose CI identities (plan and deploy) this stack creates"
    )
    log_environment: Slug = Field(
        description="the production environment whose workspace receives tenant-wide sign-in and audit logs"
    )
    environments_deployed: bool = Field(
        True,
        description="the environments' resource groups and workspaces exist: assign the CI identities their Azure "
        "roles there and send tenant-wide logs; off only for the first bootstrap run (docs/runbooks/bootstrap.md)",
    )
    conditional_access: ConditionalAccessSettings = ConditionalAccessSettings()
    github: GithubSettings = GithubSettings()


Enforcement = Literal["advisory", "mandatory", "disabled"]


class Exemption(StrictModel):
    """A justified, expiring exception to one policy for matching resources."""

    policy: PolicyName = Field(description="name of the policy, see `infra policy list`")
    resource: str = Field(min_length=1, description="URN, or a name pattern with * wildcards")
    justification: str = Field(min_length=10, description="why the exception is acceptable")
    expires: date = Field(description="at most 180 days out")
    approver: str | None = Field(None, min_length=3, description="who accepted the risk, shown in compliance reports")


class PolicySettings(StrictModel):
    """Per-environment enforcement overrides and exemptions."""

    enforcement: dict[PolicyName, Enforcement] = Field(
        default_factory=dict, description="policy name -> advisory, mandatory or disabled; data protection stays mandatory"
    )
    exemptions: list[Exemption] = Field(default_factory=list, description="justified, expiring exceptions")
    classifications: list[Slug] = Field(
        default_factory=lambda: ["public", "internal", "confidential", "restricted"], min_length=1,
        description="the organisation's data-classification vocabulary (tag data-classification)",
    )
    sensitive_classifications: list[Slug] = Field(
        default_factory=lambda: ["confidential", "restricted"],
        description="classifications whose data needs a rotating customer-managed key and US residency",
    )
    naming: dict[str, str] = Field(
        default_factory=dict,
        description="resource kind (type token, or its last part such as Bucket) -> regex its names must match",
    )
    teams: list[Slug] = Field(default_factory=list, description="team names accepted in the owner tag besides emails")
    internet_ingress_ports: list[int] = Field(
        default_factory=lambda: [80, 443], description="ports a security group may open to 0.0.0.0/0 or ::/0"
    )

    @model_validator(mode="after")
    def _sensitive_are_classifications(self) -> PolicySettings:
        unknown = [c for c in self.sensitive_classifications if c not in self.classifications]
        if unknown:
            raise ValueError(f"sensitive_classifications {unknown} are not in classifications {self.classifications}; "
                             "add them there or remove them")
        for kind, pattern in self.naming.items():
            try:
                re.compile(pattern)
            except re.error as err:
                raise ValueError(f"naming.{kind}: {pattern!r} is not a regular expression ({err})") from None
        bad_ports = [p for p in self.internet_ingress_ports if not 0 < p < 65536]
        if bad_ports:
            raise ValueError(f"internet_ingress_ports {bad_ports} are not TCP/UDP ports; use 1-65535")
        return self


class Deployment(StrictModel):
    """How the engine reaches state for this environment."""

    backend_url: str | None = Field(
        None, description="state backend; omitted: local file backend in .infra/state/"
    )
    secrets_provider: str | None = Field(None, description="omitted: passphrase provider")
    secrets_key_resource_group: str | None = Field(
        None, description="resource group of the vault of an azurekeyvault:// secrets provider; omitted: the "
        "environment's platform resource group (the plan identity may decrypt with that one key only)",
    )
    confirmation_required: bool = Field(
        False, description="deploy asks for the environment name, or --yes in CI (always on in production)"
    )


class Environment(StrictModel):
    """Everything one environment gets. The file name gives `name`; the rest is the `infra:` namespace."""

    name: Slug = Field(description="from the file name Pulumi.<name>.yaml")
    tier: Tier = Field(description="production gets the strictest rules and deploy confirmation")
    organization: Organization
    cost_centers: list[CostCenter] = Field(min_length=1, description="budget lines resources are charged to")
    default_cost_center: Slug = Field(description="cost-center tag of resources that do not say otherwise")
    azure: AzureSettings | None = None
    aws: AwsSettings | None = None
    network: NetworkSettings | None = Field(
        None, description="required in every environment; the tenant stack has none"
    )
    web_apps: WebAppsSettings = WebAppsSettings()
    openai: OpenAISettings = OpenAISettings()
    m365: M365Settings = M365Settings()
    data_stores: DataStores = DataStores()
    datasets: list[Dataset] = Field(
        default_factory=list, description="data held; restricted data forces US regions and per-class KMS keys"
    )
    protection: Protection = Protection()
    audit: AuditSettings = AuditSettings()
    budgets: Budgets = Budgets()
    identity: Identity
    vendors: list[Vendor] = Field(default_factory=list, description="third parties with expiring access")
    partners: list[Partner] = Field(default_factory=list, description="organisations receiving exports")
    policy: PolicySettings = PolicySettings()
    deployment: Deployment = Deployment()
    vpn_shared_key: SecretValue | None = Field(
        None, description="VPN pre-shared key; set with `pulumi config set --secret infra:vpn_shared_key`"
    )
    tenant: TenantSettings | None = Field(
        None, description="only in the tenant stack: tenant-wide identity, conditional access and repository settings"
    )

    @property
    def is_production(self) -> bool:
        return self.tier is Tier.production

    @property
    def owns_tenant(self) -> bool:
        """The one stack that declares tenant-wide and repository-wide resources."""
        return self.tenant is not None

    @property
    def confirmation_required(self) -> bool:
        return self.is_production or self.deployment.confirmation_required

    @property
    def clouds(self) -> tuple[str, ...]:
        return tuple(c for c in ("azure", "aws") if getattr(self, c) is not None)

    def highest_classification(self) -> Classification:
        ranks = [d.classification for d in self.datasets] or [Classification.internal]
        return max(ranks, key=lambda c: c.rank)

    def restricted_lake_resources(self) -> tuple[str, ...]:
        """Lake buckets holding restricted data: raw and curated carry the highest classification, exports never."""
        if self.aws is None or not self.data_stores.data_lake.enabled:
            return ()
        return ("lake-raw", "lake-curated") if self.highest_classification() is Classification.restricted else ()

    def expired_access(self, today: date) -> list[tuple[str, int, str, date]]:
        """(`vendors`/`partners`, index, name, expires) of each entry whose access has ended."""
        return [
            (kind, i, grant.name, grant.expires)
            for kind, grants in (("vendors", self.vendors), ("partners", self.partners))
            for i, grant in enumerate(grants)
            if grant.expires <= today
        ]

    def without_expired_access(self, today: date) -> Environment:
        """This environment as the program deploys it: expired vendors and partners left out,
        so the next deploy removes their access instead of refusing to run."""
        return self.model_copy(update={
            "vendors": [v.model_copy(update={"restricted_grants": [g for g in v.restricted_grants if g.expires > today]})
                        for v in self.vendors if v.expires > today],
            "partners": [p for p in self.partners if p.expires > today],
        })


SECRET_FIELDS = ("vpn_shared_key",)
"""Top-level keys whose values are Pulumi secrets; the program reads them with require_secret."""


DEFENDER_PLANS = frozenset(
    {
        "AI", "Api", "AppServices", "Arm", "CloudPosture", "Containers", "CosmosDbs", "Dns",
        "KeyVaults", "OpenSourceRelationalDatabases", "SqlServers", "SqlServerVirtualMachines",
        "StorageAccounts", "VirtualMachines",
    }
)  # fmt: skip
"""Defender for Cloud plan names (`pricingName`) the monitoring component accepts."""

VENDOR_READABLE_RESOURCES = ("lake-raw", "lake-curated", "lake-exports")
"""Names a vendor may list in aws_read_resources: the data lake's buckets."""

APPS_SPOKE = "apps"
"""The spoke the web apps integrate with; web_apps.enabled needs it when Azure is configured."""
HUB_MIN_PREFIX = 23
"""Largest hub prefix that holds the gateway (/27), management (/26) and private-endpoint (/24) subnets."""
SPOKE_MIN_PREFIX = 23
"""Largest spoke prefix that holds the workload (/24) and integration (/26) subnets."""
VPC_MIN_PREFIX = 24
"""Largest AWS VPC prefix that holds its 16 subnets."""

IDENTITY_CENTER_GROUPS = ("data-team", "digital", "it-admins", "security", "staff", "vendors")
"""Entra groups that have an IAM Identity Center permission set."""
