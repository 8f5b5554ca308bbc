"""Control references: which benchmark control a policy establishes, named so an auditor can check it.

One edition per benchmark, named in full. A reference is built with one of four small
constructors, each checking the id against the edition's control list
(`policies.benchmark_data`), so a typo or a retired id fails at import:

    cis_aws("4.6")                        # CIS Amazon Web Services Foundations v7.0.0
    cis_azure("9.3.8")                    # CIS Microsoft Azure Foundations v6.0.0
    cis_m365("5.2.2.3")                   # CIS Microsoft 365 Foundations v7.0.0
    checkov("CKV_AWS_7")                  # the equivalent Checkov check
    cis_aws("4.4", partial="only the CloudTrail bucket's own logging is checked")

`partial` says why a pass of the policy does not by itself establish the control; a partial
reference is reported as "partly evaluated", never as met. `scope=(type tokens)` limits which
of the policy's decisions are evidence for the control (Key Vault rows for a Key Vault control).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from policies import benchmark_data as data


@dataclass(frozen=True)
class Benchmark:
    """One edition of one benchmark (or a second framework such as Checkov)."""

    key: str
    name: str
    edition: str
    source: str

    @property
    def title(self) -> str:
        """The edition named in full, e.g. 'CIS Amazon Web Services Foundations v7.0.0'."""
        return f"{self.name} {self.edition}"


CIS_AWS = Benchmark("cis-aws", "CIS Amazon Web Services Foundations", "v7.0.0",
                    "control ids and titles from prowler 5.46.0 compliance/aws/cis_7.0_aws.json")
CIS_AZURE = Benchmark("cis-azure", "CIS Microsoft Azure Foundations", "v6.0.0",
                      "control ids and titles from prowler 5.46.0 compliance/azure/cis_6.0_azure.json")
CIS_M365 = Benchmark("cis-m365", "CIS Microsoft 365 Foundations", "v7.0.0",
                     "control ids from prowler 5.46.0 compliance/m365/cis_7.0_m365.json")
CHECKOV = Benchmark("checkov", "Checkov", "3.3.30", "Terraform check ids and names of checkov 3.3.30")

BENCHMARKS: tuple[Benchmark, ...] = (CIS_AWS, CIS_AZURE, CIS_M365, CHECKOV)
"""Every framework the set cites, in report order."""

CHECKOV_CHECKS: dict[str, str] = {
    # The ids the crosswalk verified, plus those checked for the newer policies.
    "CKV_AZURE_3": "Ensure that 'enable_https_traffic_only' is enabled",
    "CKV_AZURE_44": "Ensure Storage Account is using the latest version of TLS encryption",
    "CKV_AZURE_190": "Ensure that Storage blobs restrict public access",
    "CKV2_AZURE_47": "Ensure storage account is configured without blob anonymous access",
    "CKV2_AZURE_38": "Ensure soft-delete is enabled on Azure storage account",
    "CKV_AZURE_110": "Ensure that key vault enables purge protection",
    "CKV_AZURE_42": "Ensure the key vault is recoverable",
    "CKV_AZURE_111": "Ensure that key vault enables soft delete",
    "CKV_AZURE_189": "Ensure that Azure Key Vault disables public network access",
    "CKV2_AZURE_32": "Ensure private endpoint is configured to key vault",
    "CKV_AZURE_9": "Ensure that RDP access is restricted from the internet",
    "CKV_AZURE_10": "Ensure that SSH access is restricted from the internet",
    "CKV_AZURE_61": "Ensure that Azure Defender is set to On for App Service",
    "CKV_AZURE_84": "Ensure that Azure Defender is set to On for Storage",
    "CKV_AZURE_87": "Ensure that Azure Defender is set to On for Key Vault",
    "CKV_AZURE_234": "Ensure that Azure Defender for cloud is set to On for Resource Manager",
    "CKV_AZURE_14": "Ensure web app redirects all HTTP traffic to HTTPS in Azure App Service",
    "CKV_AZURE_15": "Ensure web app is using the latest version of TLS encryption",
    "CKV_AZURE_222": "Ensure that Azure Web App public network access is disabled",
    "CKV2_AZURE_40": "Ensure storage account is not configured with Shared Key authorization",
    "CKV2_AZURE_31": "Ensure VNET subnet is configured with a Network Security Group (NSG)",
    "CKV_AZURE_134": "Ensure that Cognitive Services accounts disable public network access",
    "CKV_AZURE_236": "Ensure that Cognitive Services accounts disable local authentication",
    "CKV_AZURE_249": "Ensure Azure GitHub Actions OIDC trust policy is configured securely",
    "CKV2_AZURE_1": "Ensure storage for critical data are encrypted with Customer Managed Key",
    "CKV_AZURE_113": "Ensure that SQL server disables public network access",
    "CKV_AZURE_52": "Ensure MSSQL is using the latest version of TLS encryption",
    "CKV_AZURE_11": "Ensure no SQL Databases allow ingress from 0.0.0.0/0 (ANY IP)",
    "CKV_AZURE_156": "Ensure default Auditing policy for a SQL Server is configured to capture and retain the activity logs",
    "CKV2_AZURE_27": "Ensure Azure AD authentication is enabled for Azure SQL (MSSQL)",
    "CKV_AZURE_34": "Ensure that 'Public access level' is set to Private for blob containers",
    "CKV_AZURE_149": "Ensure that Virtual machine does not enable password authentication",
    "CKV_AZURE_178": "Ensure linux VM enables SSH with keys for secure communication",
    "CKV_AZURE_6": "Ensure AKS has an API Server Authorized IP Ranges enabled",
    "CKV_AZURE_115": "Ensure that AKS enables private clusters",
    "CKV_AZURE_40": "Ensure that the expiration date is set on all keys",
    "CKV_AZURE_41": "Ensure that the expiration date is set on all secrets",
    "CKV_AWS_53": "Ensure S3 bucket has block public ACLS enabled",
    "CKV_AWS_54": "Ensure S3 bucket has block public policy enabled",
    "CKV_AWS_55": "Ensure S3 bucket has ignore public ACLs enabled",
    "CKV_AWS_56": "Ensure S3 bucket has 'restrict_public_buckets' enabled",
    "CKV2_AWS_6": "Ensure that S3 bucket has a Public Access block",
    "CKV_AWS_19": "Ensure all data stored in the S3 bucket is securely encrypted at rest",
    "CKV_AWS_145": "Ensure that S3 buckets are encrypted with KMS by default",
    "CKV_AWS_18": "Ensure the S3 bucket has access logging enabled",
    "CKV_AWS_379": "Ensure AWS S3 bucket is configured with secure data transport policy",
    "CKV_AWS_7": "Ensure rotation for customer created CMKs is enabled",
    "CKV_AWS_16": "Ensure all data stored in the RDS is securely encrypted at rest",
    "CKV_AWS_96": "Ensure all data stored in Aurora is securely encrypted at rest",
    "CKV_AWS_17": "Ensure all data stored in RDS is not publicly accessible",
    "CKV_AWS_62": "Ensure IAM policies that allow full \"*-*\" administrative privileges are not created",
    "CKV_AWS_1": "Ensure IAM policies that allow full \"*-*\" administrative privileges are not created",
    "CKV_AWS_274": "Disallow IAM roles, users, and groups from using the AWS AdministratorAccess policy",
    "CKV_AWS_24": "Ensure no security groups allow ingress from 0.0.0.0:0 to port 22",
    "CKV_AWS_25": "Ensure no security groups allow ingress from 0.0.0.0:0 to port 3389",
    "CKV_AWS_277": "Ensure no security groups allow ingress from 0.0.0.0:0 to port -1",
    "CKV_AWS_260": "Ensure no security groups allow ingress from 0.0.0.0:0 to port 80",
    "CKV2_AWS_11": "Ensure VPC flow logging is enabled in all VPCs",
    "CKV2_AWS_12": "Ensure the default security group of every VPC restricts all traffic",
    "CKV_AWS_67": "Ensure CloudTrail is enabled in all Regions",
    "CKV_AWS_36": "Ensure CloudTrail log file validation is enabled",
    "CKV_AWS_35": "Ensure CloudTrail logs are encrypted at rest using KMS CMKs",
    "CKV_AWS_70": "Ensure S3 bucket does not allow an action with any Principal",
    "CKV_AWS_273": "Ensure access is controlled through SSO and not AWS IAM defined users",
    "CKV_AWS_40": "Ensure IAM policies are attached only to groups or roles",
    "CKV_AWS_21": "Ensure all data stored in the S3 bucket have versioning enabled",
    "CKV_AWS_133": "Ensure that RDS instances has backup policy",
    "CKV_AWS_293": "Ensure that AWS database instances have deletion protection enabled",
    "CKV_AWS_139": "Ensure that RDS clusters have deletion protection enabled",
    "CKV_AWS_161": "Ensure RDS database has IAM authentication enabled",
    "CKV_AWS_162": "Ensure RDS cluster has IAM authentication enabled",
    "CKV_AWS_282": "Ensure that Redshift Serverless namespace is encrypted by KMS using a customer managed key (CMK)",
    "CKV_AWS_159": "Ensure that Athena Workgroup is encrypted",
    "CKV_AWS_82": "Ensure Athena Workgroup should enforce configuration to prevent client disabling encryption",
    "CKV_AWS_238": "Ensure that GuardDuty detector is enabled",
    "CKV2_AWS_3": "Ensure GuardDuty is enabled to specific org/region",
    "CKV_AWS_94": "Ensure Glue Data Catalog Encryption is enabled",
    "CKV_AWS_99": "Ensure Glue Security Configuration Encryption is enabled",
    "CKV_AWS_195": "Ensure Glue component has a security configuration associated",
    "CKV_AWS_304": "Ensure Secrets Manager secrets should be rotated within 90 days",
    "CKV2_AWS_57": "Ensure Secrets Manager secrets should have automatic rotation enabled",
    "CKV_AWS_355": "Ensure no IAM policies documents allow \"*\" as a statement\\",
    "CKV_AWS_32": "Ensure ECR policy is not set to public",
    "CKV_AWS_168": "Ensure SQS queue policy is not public by only allowing specific services or principals to access it",
    "CKV_AWS_169": "Ensure SNS topic policy is not public by only allowing specific services or principals to access it",
    "CKV_AWS_33": "Ensure KMS key policy does not contain wildcard (*) principal",
    "CKV_AWS_39": "Ensure Amazon EKS public endpoint disabled",
    "CKV_AWS_38": "Ensure Amazon EKS public endpoint not accessible to 0.0.0.0/0",
    "CKV_AWS_45": "Ensure no hard-coded secrets exist in lambda environment",
    "CKV_AWS_66": "Ensure that CloudWatch Log Group specifies retention days",
    "CKV_AWS_158": "Ensure that CloudWatch Log Group is encrypted by KMS",
    "CKV_AWS_354": "Ensure RDS Performance Insights are encrypted using KMS CMKs",
}


@cache
def titles(benchmark: Benchmark) -> dict[str, str]:
    """Control id -> title for one edition: the vocabulary a reference must come from."""
    if benchmark is CHECKOV:
        return dict(CHECKOV_CHECKS)
    rows = {CIS_AWS.key: data.CIS_AWS_V7, CIS_AZURE.key: data.CIS_AZURE_V6, CIS_M365.key: data.CIS_M365_V7}
    return dict(rows[benchmark.key])


@dataclass(frozen=True)
class ControlRef:
    """One control of one benchmark edition that a policy establishes, fully or partly."""

    benchmark: Benchmark
    id: str
    partial: str | None = None
    """Why a pass does not by itself establish the control; None when it does."""
    scope: tuple[str, ...] = ()
    """Resource types whose decisions are evidence for this control (empty: all the policy checks)."""

    def __post_init__(self) -> None:
        if self.id not in titles(self.benchmark):
            raise ValueError(f"{self.id!r} is not a control of {self.benchmark.title}; use an id from "
                             "policies/benchmark_data.py (or CHECKOV_CHECKS), as listed in CIS-CROSSWALK.md")
        if self.partial is not None and not self.partial.strip():
            raise ValueError(f"{self.label}: partial needs the reason a pass does not establish the control")

    @property
    def title(self) -> str:
        return titles(self.benchmark)[self.id]

    @property
    def is_partial(self) -> bool:
        return self.partial is not None

    @property
    def label(self) -> str:
        """'CIS Amazon Web Services Foundations v7.0.0 4.6' (full edition name and id)."""
        return f"{self.benchmark.title} {self.id}"

    @property
    def short(self) -> str:
        """'CIS AWS 4.6', 'Checkov CKV_AWS_7' (for tables), with '(partial)' where it applies."""
        prefix = {"cis-aws": "CIS AWS", "cis-azure": "CIS Azure", "cis-m365": "CIS M365", "checkov": "Checkov"}
        return f"{prefix[self.benchmark.key]} {self.id}" + (" (partial)" if self.partial else "")

    def to_json(self) -> dict[str, object]:
        return {
            "framework": self.benchmark.name, "edition": self.benchmark.edition, "id": self.id,
            "title": self.title, "partial": self.is_partial, "partial_reason": self.partial,
            "scope": list(self.scope),
        }


def cis_aws(control: str, *, partial: str | None = None, scope: tuple[str, ...] = ()) -> ControlRef:
    """A control of CIS Amazon Web Services Foundations v7.0.0."""
    return ControlRef(CIS_AWS, control, partial, tuple(scope))


def cis_azure(control: str, *, partial: str | None = None, scope: tuple[str, ...] = ()) -> ControlRef:
    """A control of CIS Microsoft Azure Foundations v6.0.0."""
    return ControlRef(CIS_AZURE, control, partial, tuple(scope))


def cis_m365(control: str, *, partial: str | None = None, scope: tuple[str, ...] = ()) -> ControlRef:
    """A control of CIS Microsoft 365 Foundations v7.0.0 (Entra ID conditional access and such)."""
    return ControlRef(CIS_M365, control, partial, tuple(scope))


def checkov(check: str, *, partial: str | None = None, scope: tuple[str, ...] = ()) -> ControlRef:
    """An equivalent Checkov check (second framework), by its stable id."""
    return ControlRef(CHECKOV, check, partial, tuple(scope))
