"""The AWS account baseline: settings that protect the whole account, not one workload.

- Account-level S3 public access block (all four settings): no bucket in the account can be
  made public, whatever its own settings say.
- IAM Access Analyzer (account zone of trust): reports any resource shared outside the account.
- Security Hub with the CIS AWS Foundations and AWS Foundational Security Best Practices
  standards, so drift from both is scored continuously.
- EBS encryption by default in the home region.
- GuardDuty in every other enabled US region (the home region's detector is the audit
  component's), each through its own explicit provider pinned to that region and account,
  with S3 protection, and its findings forwarded to the home region's event bus, where the
  audit component mails them to the security contact. An attacker with stolen keys works in a
  region nobody watches.

Every setting is on unless the environment model switches it off by name.
"""

from __future__ import annotations

import json

import pulumi
from pydantic import Field, field_validator

from stacks.model import US_AWS_REGIONS, AwsAccountId, StrictModel

STANDARDS = {
    "cis-aws-foundations": "standards/cis-aws-foundations-benchmark/v/3.0.0",
    "aws-foundational": "standards/aws-foundational-security-best-practices/v/1.0.0",
}
"""Security Hub standards by short name -> the regional standards ARN's path."""

GUARDDUTY_S3 = "S3_DATA_EVENTS"


def home_bus_arn(args: AccountBaselineArgs) -> str:
    return f"arn:aws:events:{args.region}:{args.account_id}:event-bus/default"


def standards_arn(region: str, standard: str) -> str:
    return f"arn:aws:securityhub:{region}::{STANDARDS[standard]}"


class AccountBaselineArgs(StrictModel):
    """Account-wide guard rails; each one is on unless switched off here by name."""

    name_prefix: str = Field(pattern=r"^[a-z0-9-]+$", description="prefix of names, e.g. 'caf-prod'")
    account_id: AwsAccountId
    region: str = Field(description="home region: Security Hub, Access Analyzer, EBS default")
    s3_account_public_access_block_enabled: bool = Field(
        True, description="off: buckets rely only on their own public access blocks"
    )
    access_analyzer_enabled: bool = Field(
        True, description="off: nothing reports resources shared outside the account"
    )
    security_hub_enabled: bool = Field(
        True, description="off: no Security Hub and no standards scoring (it is billed per check)"
    )
    security_hub_standards: list[str] = Field(
        default_factory=lambda: sorted(STANDARDS),
        description="standards turned on in Security Hub; both when omitted",
    )
    ebs_encryption_by_default_enabled: bool = Field(
        True, description="off: new EBS volumes may be created unencrypted"
    )
    guardduty_regions: list[str] = Field(
        default_factory=lambda: sorted(US_AWS_REGIONS),
        description="regions with a GuardDuty detector; the home region's comes from the audit component",
    )
    findings_min_severity: float = Field(
        4.0, ge=0, le=10,
        description="other regions' GuardDuty findings at or above this go to the home region's event bus, "
        "where the audit component mails them to the security contact",
    )

    @field_validator("security_hub_standards")
    @classmethod
    def _known_standards(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(STANDARDS))
        if unknown:
            raise ValueError(f"unknown Security Hub standard {unknown[0]!r}; use one of: {', '.join(sorted(STANDARDS))}")
        return value

    @field_validator("guardduty_regions")
    @classmethod
    def _us_regions(cls, value: list[str]) -> list[str]:
        outside = sorted(set(value) - US_AWS_REGIONS)
        if outside:
            raise ValueError(
                f"guardduty_regions must be US regions, got {outside[0]!r}; use some of: {', '.join(sorted(US_AWS_REGIONS))}"
            )
        return value

    @property
    def other_guardduty_regions(self) -> list[str]:
        return sorted(set(self.guardduty_regions) - {self.region})


class AccountBaseline(pulumi.ComponentResource):
    """Account public access block, Access Analyzer, Security Hub standards, EBS default encryption, GuardDuty everywhere."""

    def __init__(
        self,
        name: str,
        args: AccountBaselineArgs,
        *,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("civic:aws:AccountBaseline", name, None, opts)
        import pulumi_aws as aws

        child = pulumi.ResourceOptions(parent=self)
        outputs: dict = {"name": name, "resource_id": args.account_id}
        if args.s3_account_public_access_block_enabled:
            block = aws.s3.AccountPublicAccessBlock(
                f"{name}-s3-public-access-block",
                account_id=args.account_id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
                opts=child,
            )
            outputs["s3_public_access_block_id"] = block.id
        if args.access_analyzer_enabled:
            analyzer = aws.accessanalyzer.Analyzer(
                f"{name}-access-analyzer",
                analyzer_name=f"{args.name_prefix}-account",
                type="ACCOUNT",
                opts=child,
            )
            outputs["access_analyzer_arn"] = analyzer.arn
        if args.security_hub_enabled:
            hub = aws.securityhub.Account(
                f"{name}-security-hub",
                # The default standards include the outdated CIS 1.2.0; the ones we want are explicit.
                enable_default_standards=False,
                auto_enable_controls=True,
                control_finding_generator="SECURITY_CONTROL",
                opts=child,
            )
            for standard in args.security_hub_standards:
                aws.securityhub.StandardsSubscription(
                    f"{name}-standard-{standard}",
                    standards_arn=standards_arn(args.region, standard),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[hub]),
                )
            outputs["security_hub_id"] = hub.id
        if args.ebs_encryption_by_default_enabled:
            aws.ebs.EncryptionByDefault(f"{name}-ebs-encryption", enabled=True, opts=child)
        forwarder = self._create_forwarding_role(name, args) if args.other_guardduty_regions else None
        outputs["guardduty_detector_ids"] = {
            region: self._create_regional_detector(name, args, region, forwarder).id
            for region in args.other_guardduty_regions
        }
        self.register_outputs(outputs)

    def _create_forwarding_role(self, name: str, args: AccountBaselineArgs):
        """The role EventBridge uses to put other regions' findings on the home region's default bus."""
        import pulumi_aws as aws

        from components.aws.documents import dumps, service_assume_role

        role = aws.iam.Role(
            f"{name}-findings-forwarder",
            name=f"{args.name_prefix}-guardduty-forwarder",
            assume_role_policy=service_assume_role("events.amazonaws.com", args.account_id),
            max_session_duration=3600,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{name}-findings-forwarder-put",
            role=role.id,
            policy=dumps([{
                "Sid": "PutFindingsOnTheHomeBus",
                "Effect": "Allow",
                "Action": "events:PutEvents",
                "Resource": home_bus_arn(args),
            }]),  # fmt: skip
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role

    def _create_regional_detector(self, name: str, args: AccountBaselineArgs, region: str, forwarder=None):
        import pulumi_aws as aws

        # One provider per region, pinned to the same account, so a detector can never land twice
        # in one region or in another account.
        provider = aws.Provider(
            f"{name}-{region}", region=region, allowed_account_ids=[args.account_id],
            opts=pulumi.ResourceOptions(parent=self),
        )  # fmt: skip
        regional = pulumi.ResourceOptions(parent=self, provider=provider)
        detector = aws.guardduty.Detector(
            f"{name}-guardduty-{region}",
            enable=True,
            finding_publishing_frequency="FIFTEEN_MINUTES",
            opts=regional,
        )
        aws.guardduty.DetectorFeature(
            f"{name}-guardduty-{region}-s3",
            detector_id=detector.id,
            name=GUARDDUTY_S3,
            status="ENABLED",
            opts=regional,
        )
        if forwarder is not None:
            rule = aws.cloudwatch.EventRule(
                f"{name}-guardduty-{region}-findings",
                name=f"{args.name_prefix}-guardduty-findings-to-{args.region}",
                description=f"GuardDuty findings in {region} to the security topic in {args.region}",
                event_pattern=json.dumps({
                    "source": ["aws.guardduty"],
                    "detail-type": ["GuardDuty Finding"],
                    "detail": {"severity": [{"numeric": [">=", args.findings_min_severity]}]},
                }),  # fmt: skip
                opts=regional,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-guardduty-{region}-findings-target",
                rule=rule.name,
                arn=home_bus_arn(args),
                role_arn=forwarder.arn,
                opts=regional,
            )
        return detector
