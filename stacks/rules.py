"""Rules that relate several fields, or several environments, of a valid model.

Each rule is a function `(env, context) -> list[Problem]` with an exact key path, so a
user sees every broken rule at once and where to fix it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from stacks.model import (
    US_AWS_REGIONS,
    US_AZURE_LOCATIONS,
    Classification,
    Environment,
    Tier,
)

MAX_EXEMPTION_DAYS = 180


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an environment file."""

    key_path: str
    message: str
    value: object
    fix: str

    def render(self, file: str) -> str:
        text = f"{file}: infra:{self.key_path}: {self.message}, got {_show(self.value)}; {self.fix}"
        return _printable(text)


def _printable(text: str) -> str:
    """One problem, one line: control characters from the file are shown escaped."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class _Nothing:
    def __repr__(self) -> str:
        return "nothing"


NOTHING = _Nothing()
"""The value shown for a key that is missing."""


def _show(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict) and "secure" in value:
        return "[secret]"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class RuleContext:
    """What rules may look at beyond the environment itself."""

    today: date
    peers: dict[str, Environment] = field(default_factory=dict)


Rule = Callable[[Environment, RuleContext], Iterator[Problem]]


def cidrs_do_not_overlap(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    net = env.network
    named = [("network.azure_hub_cidr", net.azure_hub_cidr), ("network.aws_vpc_cidr", net.aws_vpc_cidr)]
    named += [(f"network.azure_spokes.{k}", v) for k, v in net.azure_spokes.items()]
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    for path, cidr in named:
        block = ipaddress.ip_network(cidr)
        for other_path, other in seen:
            if block.overlaps(other):
                yield Problem(
                    path, f"overlaps infra:{other_path} ({other})", cidr,
                    "give every network its own range; the clouds are routed to each other",
                )
        seen.append((path, block))


def restricted_data_stays_in_us(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    if env.highest_classification() is not Classification.restricted:
        return
    if env.aws and env.aws.region not in US_AWS_REGIONS:
        yield Problem(
            "aws.region", "must be a US region because this environment holds restricted data",
            env.aws.region, f"use one of {', '.join(sorted(US_AWS_REGIONS))}",
        )
    if env.azure and env.azure.location not in US_AZURE_LOCATIONS:
        yield Problem(
            "azure.location", "must be a US location because this environment holds restricted data",
            env.azure.location, "use a US location such as eastus2 or centralus",
        )


def cost_center_is_declared(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    names = [c.name for c in env.cost_centers]
    if env.default_cost_center not in names:
        yield Problem(
            "default_cost_center", "is not one of the cost_centers", env.default_cost_center,
            f"use one of {', '.join(names)} or add it to cost_centers",
        )


def access_has_future_expiry(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    limit = ctx.today + timedelta(days=env.identity.access_max_days)
    for kind, grants in (("vendors", env.vendors), ("partners", env.partners)):
        for i, grant in enumerate(grants):
            path = f"{kind}[{i}].expires"
            if grant.expires <= ctx.today:
                yield Problem(
                    path, f"access for {grant.name} has expired", grant.expires.isoformat(),
                    "renew it with a future date, or remove the entry to end access",
                )
            elif grant.expires > limit:
                yield Problem(
                    path, f"is more than identity.access_max_days ({env.identity.access_max_days}) away",
                    grant.expires.isoformat(), f"choose a date on or before {limit.isoformat()}",
                )


def vendor_aws_access_is_complete(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    for i, vendor in enumerate(env.vendors):
        if vendor.aws_account_id and not vendor.aws_external_id:
            yield Problem(
                f"vendors[{i}].aws_external_id", "is required when aws_account_id is set", None,
                "agree an ExternalId with the vendor and set it here",
            )
        if vendor.aws_read_resources and not vendor.aws_account_id:
            yield Problem(
                f"vendors[{i}].aws_account_id", "is required when aws_read_resources is set", None,
                "set the vendor's AWS account id, or remove aws_read_resources",
            )


def identity_center_is_complete(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    identity = env.identity
    if identity.aws_identity_center_enabled and not identity.aws_identity_center_instance_arn:
        yield Problem(
            "identity.aws_identity_center_instance_arn", "is required when aws_identity_center_enabled is true",
            None, "copy the instance ARN from the IAM Identity Center settings page, or disable it",
        )


def partners_need_the_lake(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    if env.partners and not (env.aws and env.data_stores.data_lake.enabled):
        yield Problem(
            "partners", "need the AWS data lake, which is off", [p.name for p in env.partners],
            "set aws and data_stores.data_lake.enabled: true, or remove the partners",
        )


def nat_needs_public_subnets(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    net = env.network
    if net.aws_nat_gateways != "none" and not net.aws_public_subnets_enabled:
        yield Problem(
            "network.aws_nat_gateways", "needs public subnets", net.aws_nat_gateways,
            "set network.aws_public_subnets_enabled: true, or aws_nat_gateways: none",
        )


def vpn_is_complete(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    if not env.network.vpn.enabled:
        return
    if not (env.azure and env.aws):
        yield Problem(
            "network.vpn.enabled", "links Azure and AWS, but both are not configured", True,
            "add both the azure and aws sections, or set enabled: false",
        )
    if env.vpn_shared_key is None:
        yield Problem(
            "vpn_shared_key", "is required when network.vpn.enabled is true", None,
            "run `pulumi config set --secret infra:vpn_shared_key` in the project directory",
        )


def openai_needs_deployments(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    if env.openai.enabled and not env.openai.deployments:
        yield Problem(
            "openai.deployments", "is empty while openai.enabled is true", [],
            "list at least one model deployment, or set openai.enabled: false",
        )


def exemptions_are_bounded(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    limit = ctx.today + timedelta(days=MAX_EXEMPTION_DAYS)
    for i, ex in enumerate(env.policy.exemptions):
        if ex.expires > limit:
            yield Problem(
                f"policy.exemptions[{i}].expires", f"is more than {MAX_EXEMPTION_DAYS} days away",
                ex.expires.isoformat(), f"choose a date on or before {limit.isoformat()} and review it then",
            )


def production_is_strictest(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    if env.tier is not Tier.production:
        return
    ours = env.protection
    for peer_name, peer in sorted(ctx.peers.items()):
        if peer.tier is not Tier.staging:
            continue
        theirs = peer.protection
        if theirs.deletion_protection and not ours.deletion_protection:
            yield Problem(
                "protection.deletion_protection", f"is weaker than in {peer_name}", False,
                "set it to true; production must be at least as strict as staging",
            )
        for key in ("log_retention_days", "backup_retention_days", "soft_delete_retention_days"):
            if getattr(ours, key) < getattr(theirs, key):
                yield Problem(
                    f"protection.{key}", f"is shorter than in {peer_name} ({getattr(theirs, key)})",
                    getattr(ours, key), "make it at least as long as staging's",
                )


def production_protects_state(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    if env.tier is Tier.production and not env.protection.deletion_protection:
        yield Problem(
            "protection.deletion_protection", "must be true in production", False,
            "set it to true; stateful resources in production are always protected",
        )


def production_keeps_the_security_baseline(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    if env.tier is not Tier.production or env.aws is None:
        return
    audit = env.audit
    for key in (
        "aws_account_public_access_block_enabled", "aws_access_analyzer_enabled", "aws_security_hub_enabled",
        "aws_ebs_encryption_by_default_enabled", "aws_trail_data_events_enabled", "aws_cis_alarms_enabled",
    ):
        if not getattr(audit, key):
            yield Problem(f"audit.{key}", "must be true in production", False,
                          "remove the line; production keeps the whole account baseline")
    if audit.aws_trail_object_lock_mode != "COMPLIANCE":
        yield Problem("audit.aws_trail_object_lock_mode", "must be COMPLIANCE in production",
                      audit.aws_trail_object_lock_mode, "set it to COMPLIANCE so no one can delete audit logs early")
    missing = sorted(US_AWS_REGIONS - set(audit.aws_guardduty_regions))
    if missing:
        yield Problem("audit.aws_guardduty_regions", f"misses the US regions {', '.join(missing)} in production",
                      audit.aws_guardduty_regions, "list every US region (or remove the line for the default)")


def production_exports_are_immutable(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    if env.tier is Tier.production and env.azure is not None and not env.m365.immutable_exports_enabled:
        yield Problem("m365.immutable_exports_enabled", "must be true in production", False,
                      "set it to true so exports and backups cannot be deleted or altered")


def detections_are_complete(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    m365 = env.m365
    if m365.sentinel_detections_enabled and not m365.sentinel_enabled:
        yield Problem("m365.sentinel_detections_enabled", "needs m365.sentinel_enabled", True,
                      "turn Sentinel on, or the detections off")
    if m365.sentinel_detections_enabled and not env.identity.break_glass_object_ids:
        yield Problem("identity.break_glass_object_ids", "is empty while m365.sentinel_detections_enabled is true", [],
                      "list the break-glass accounts' object ids so their sign-ins raise an incident")


RULES: tuple[Rule, ...] = (
    cidrs_do_not_overlap,
    restricted_data_stays_in_us,
    cost_center_is_declared,
    access_has_future_expiry,
    vendor_aws_access_is_complete,
    identity_center_is_complete,
    partners_need_the_lake,
    nat_needs_public_subnets,
    vpn_is_complete,
    openai_needs_deployments,
    exemptions_are_bounded,
    production_is_strictest,
    production_protects_state,
    production_keeps_the_security_baseline,
    detections_are_complete,
    production_exports_are_immutable,
)


def check(env: Environment, ctx: RuleContext) -> list[Problem]:
    """Every cross-field problem of a field-valid environment, in rule order."""
    return [problem for rule in RULES for problem in rule(env, ctx)]
