"""Rules that relate several fields, or several environments, of a valid model.

Each rule is a function `(env, context) -> list[Problem]` with an exact key path, so a
user sees every broken rule at once and where to fix it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from stacks.model import (
    APPS_SPOKE,
    DEFENDER_PLANS,
    HUB_MIN_PREFIX,
    IDENTITY_CENTER_GROUPS,
    RESTRICTED_GRANT_MAX_DAYS,
    SPOKE_MIN_PREFIX,
    US_AWS_REGIONS,
    US_AZURE_LOCATIONS,
    VENDOR_READABLE_RESOURCES,
    VPC_MIN_PREFIX,
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
    if net is None:
        return
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
            # An expired entry is a warning (access_warnings), never a refusal: the program
            # leaves it out, so the next deploy removes the access.
            if grant.expires > limit:
                yield Problem(
                    path, f"is more than identity.access_max_days ({env.identity.access_max_days}) away",
                    grant.expires.isoformat(), f"choose a date on or before {limit.isoformat()}",
                )


EXPIRY_WARNING_DAYS = 14
"""Access ending within this many days is a warning in validate, plan and the PR comment."""


@dataclass(frozen=True)
class AccessWarning:
    """Something a user should act on that does not stop a deploy."""

    key_path: str
    message: str

    def render(self, file: str) -> str:
        return _printable(f"{file}: infra:{self.key_path}: {self.message}")


def access_warnings(env: Environment, today: date) -> list[AccessWarning]:
    """Vendor and partner access that has ended (the next deploy removes it) or ends soon."""
    warnings: list[AccessWarning] = []
    for kind, grants in (("vendors", env.vendors), ("partners", env.partners)):
        what = kind[:-1]
        for i, grant in enumerate(grants):
            path, day = f"{kind}[{i}].expires", grant.expires.isoformat()
            left = (grant.expires - today).days
            if left <= 0:
                warnings.append(AccessWarning(path, f"expired on {day}; the next deploy removes {what} {grant.name}'s "
                                               "access; delete the entry"))
            elif left <= EXPIRY_WARNING_DAYS:
                warnings.append(AccessWarning(path, f"expires on {day}, in {left} day(s); renew it with a later date, "
                                               f"or the first deploy after it removes {what} {grant.name}'s access"))
    for i, vendor in enumerate(env.vendors):
        for k, restricted in enumerate(vendor.restricted_grants):
            path, day = f"vendors[{i}].restricted_grants[{k}].expires", restricted.expires.isoformat()
            left = (restricted.expires - today).days
            if left <= 0:
                warnings.append(AccessWarning(path, f"expired on {day}; the next deploy removes vendor {vendor.name}'s "
                                               f"read of {restricted.resource}; delete the grant"))
            elif left <= EXPIRY_WARNING_DAYS:
                warnings.append(AccessWarning(path, f"expires on {day}, in {left} day(s); renew it with a new "
                                               f"justification, or vendor {vendor.name} loses {restricted.resource}"))
    return warnings


def vendor_aws_access_is_complete(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    for i, vendor in enumerate(env.vendors):
        if vendor.expires <= ctx.today:
            continue  # ended: access_warnings says so and the program leaves the vendor out
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


def vendor_reviewer_is_known(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    """Each vendor's access package needs its reviewer: Entra takes an object id, never an email."""
    if env.azure is None or not env.identity.vendor_access_packages_enabled:
        return
    for i, vendor in enumerate(env.vendors):
        if vendor.contact_object_id is None and vendor.expires > ctx.today:  # an expired vendor is left out
            yield Problem(
                f"vendors[{i}].contact_object_id", "is required while identity.vendor_access_packages_enabled is true",
                None, f"invite {vendor.contact} as a guest and copy the guest account's object id here (Entra "
                "admin centre > Users); it reviews the vendor's access every quarter",
            )


def identity_center_is_complete(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    identity = env.identity
    if identity.aws_identity_center_enabled and not identity.aws_identity_center_instance_arn:
        yield Problem(
            "identity.aws_identity_center_instance_arn", "is required when aws_identity_center_enabled is true",
            None, "copy the instance ARN from the IAM Identity Center settings page, or disable it",
        )


def partners_need_the_lake(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    active = [p for p in env.partners if p.expires > ctx.today]  # expired ones are never deployed
    if active and not (env.aws and env.data_stores.data_lake.enabled):
        yield Problem(
            "partners", "need the AWS data lake, which is off", [p.name for p in active],
            "set aws and data_stores.data_lake.enabled: true, or remove the partners",
        )


def nat_needs_public_subnets(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    net = env.network
    if net is None:
        return
    if net.aws_nat_gateways != "none" and not net.aws_public_subnets_enabled:
        yield Problem(
            "network.aws_nat_gateways", "needs public subnets", net.aws_nat_gateways,
            "set network.aws_public_subnets_enabled: true, or aws_nat_gateways: none",
        )


def vpn_is_complete(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    if env.network is None or not env.network.vpn.enabled:
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
    if env.tier is not Tier.production or env.tenant is not None:
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


def defender_plans_are_known(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, plan in enumerate(env.m365.defender_plans):
        if plan not in DEFENDER_PLANS:
            yield Problem(
                f"m365.defender_plans[{i}]", "is not a Defender for Cloud plan", plan,
                f"use the pricing name, one of {', '.join(sorted(DEFENDER_PLANS))}",
            )
        elif plan in seen:
            yield Problem(f"m365.defender_plans[{i}]", "lists a plan twice", plan, "list each plan once")
        seen.add(plan)


def web_apps_have_apps(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    if env.web_apps.enabled and not env.web_apps.apps:
        yield Problem(
            "web_apps.apps", "is empty while web_apps.enabled is true", [],
            "list at least one app name, or set web_apps.enabled: false",
        )


def redshift_needs_three_zones(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    if env.network and env.aws and env.data_stores.redshift.enabled and env.network.aws_availability_zones < 3:
        yield Problem(
            "network.aws_availability_zones", "must be 3 when data_stores.redshift.enabled is true",
            env.network.aws_availability_zones,
            "Redshift Serverless needs subnets in three zones: set it to 3, or turn redshift off",
        )


def retention_is_positive_and_complete(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    lake = env.data_stores.data_lake
    path = "data_stores.data_lake.retention_days"
    for cls, days in lake.retention_days.items():
        if days < 1:
            yield Problem(
                f"{path}.{cls.value}", "must be at least 1 day", days,
                "give the number of days objects are kept, e.g. 365",
            )
    if not (env.aws and lake.enabled):
        return
    highest = env.highest_classification()
    exports = highest if highest.rank <= Classification.internal.rank else Classification.internal
    for cls in sorted({highest, exports}, key=lambda c: c.rank):
        if cls not in lake.retention_days:
            yield Problem(
                f"{path}.{cls.value}", "is missing; the lake holds data of this classification", NOTHING,
                f"add `{cls.value}: <days>` so its objects expire",
            )


def vendor_resources_exist(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    readable = VENDOR_READABLE_RESOURCES if env.aws and env.data_stores.data_lake.enabled else ()
    for i, vendor in enumerate(env.vendors):
        if vendor.expires <= ctx.today:
            continue  # ended: left out of the program, so what it names no longer matters
        if not vendor.aws_account_id:
            continue  # vendor_aws_access_is_complete reports it; no role is made without an account
        for j, resource in enumerate(vendor.aws_read_resources):
            if resource not in readable:
                known = ", ".join(readable) or "none (the AWS data lake is off)"
                yield Problem(
                    f"vendors[{i}].aws_read_resources[{j}]", f"is not a resource vendor {vendor.name} can read",
                    resource, f"use one of {known}",
                )


def vendor_restricted_reads_are_granted(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    """A vendor reads restricted data only under an explicit, justified grant at most 90 days long."""
    restricted = env.restricted_lake_resources()
    datasets = {d.name: d.classification for d in env.datasets}
    limit = ctx.today + timedelta(days=RESTRICTED_GRANT_MAX_DAYS)
    for i, vendor in enumerate(env.vendors):
        if vendor.expires <= ctx.today:
            continue  # ended: the program leaves the vendor and all its grants out
        granted = {g.resource for g in vendor.restricted_grants}
        if vendor.aws_account_id:
            for j, resource in enumerate(vendor.aws_read_resources):
                if resource in restricted and resource not in granted:
                    yield Problem(
                        f"vendors[{i}].aws_read_resources[{j}]",
                        f"holds restricted data and vendor {vendor.name} has no restricted_grants entry for it",
                        resource, f"add a restricted_grants entry (resource: {resource}, dataset, justification, "
                        f"expires on or before {limit.isoformat()}), or read lake-exports instead",
                    )
        for k, grant in enumerate(vendor.restricted_grants):
            if grant.expires <= ctx.today:
                continue  # ended: access_warnings says so and the program leaves the grant out
            path = f"vendors[{i}].restricted_grants[{k}]"
            if grant.resource not in vendor.aws_read_resources:
                yield Problem(f"{path}.resource", "is not in the vendor's aws_read_resources", grant.resource,
                              "list it in aws_read_resources too, or remove the grant")
            elif grant.resource not in restricted:
                yield Problem(f"{path}.resource", "holds no restricted data, so needs no grant", grant.resource,
                              f"remove the grant (buckets with restricted data: {', '.join(restricted) or 'none'})")
            if grant.dataset not in datasets:
                yield Problem(f"{path}.dataset", "is not one of the datasets", grant.dataset,
                              f"use a restricted data set from infra:datasets ({', '.join(datasets) or 'none declared'})")
            elif datasets[grant.dataset] is not Classification.restricted:
                yield Problem(f"{path}.dataset", f"is {datasets[grant.dataset].value}, not restricted", grant.dataset,
                              "remove the grant: internal and public data need none")
            if not grant.justification.strip():
                yield Problem(f"{path}.justification", "is empty", grant.justification,
                              "say why the vendor needs this restricted data")
            if grant.expires > limit:
                yield Problem(f"{path}.expires", f"is more than {RESTRICTED_GRANT_MAX_DAYS} days away",
                              grant.expires.isoformat(), f"choose a date on or before {limit.isoformat()}")
            if grant.expires > vendor.expires:
                yield Problem(f"{path}.expires", f"is after the vendor's own expires ({vendor.expires.isoformat()})",
                              grant.expires.isoformat(), f"choose a date on or before {vendor.expires.isoformat()}")


def names_are_unique(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    """Two entries with one name become two resources with one URN, which the engine refuses."""
    lists = (
        ("vendors", [v.name for v in env.vendors]),
        ("partners", [p.name for p in env.partners]),
        ("web_apps.apps", list(env.web_apps.apps)),
        ("openai.deployments", [d.name for d in env.openai.deployments]),
        ("cost_centers", [c.name for c in env.cost_centers]),
        ("datasets", [d.name for d in env.datasets]),
    )
    for path, names in lists:
        seen: dict[str, int] = {}
        for i, name in enumerate(names):
            if name in seen:
                where = f"{path}[{i}]" + ("" if path == "web_apps.apps" else ".name")
                yield Problem(
                    where, f"repeats the name of {path}[{seen[name]}]", name,
                    "give each entry its own name, or merge the two",
                )
            else:
                seen[name] = i
    prefixes: dict[str, int] = {}
    for i, partner in enumerate(env.partners):
        if partner.exports_prefix in prefixes:
            yield Problem(
                f"partners[{i}].exports_prefix", f"is also the prefix of partners[{prefixes[partner.exports_prefix]}]",
                partner.exports_prefix, "give each partner its own prefix: a prefix is what a partner can read",
            )
        prefixes.setdefault(partner.exports_prefix, i)


def networks_hold_their_subnets(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    net = env.network
    if net is None:
        return
    sized = [("network.azure_hub_cidr", net.azure_hub_cidr, HUB_MIN_PREFIX, "the hub's gateway, management and endpoint subnets")]
    sized += [(f"network.azure_spokes.{k}", v, SPOKE_MIN_PREFIX, "a spoke's workload and integration subnets")
              for k, v in net.azure_spokes.items()]
    sized.append(("network.aws_vpc_cidr", net.aws_vpc_cidr, VPC_MIN_PREFIX, "the VPC's 16 subnets"))
    for path, cidr, limit, what in sized:
        if ipaddress.ip_network(cidr).prefixlen > limit:
            yield Problem(path, f"is too small for {what}", cidr, f"use a /{limit} or larger")


def web_apps_need_their_spoke(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    if env.network and env.azure and env.web_apps.enabled and APPS_SPOKE not in env.network.azure_spokes:
        yield Problem(
            "network.azure_spokes", f"has no spoke named {APPS_SPOKE!r}, which web_apps.enabled needs",
            sorted(env.network.azure_spokes), f"add e.g. `{APPS_SPOKE}: 10.11.0.0/20`, or set web_apps.enabled: false",
        )


def interface_endpoints_are_service_names(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    if env.network is None:
        return
    seen: set[str] = set()
    for i, service in enumerate(env.network.aws_interface_endpoints):
        path = f"network.aws_interface_endpoints[{i}]"
        if service == "s3":
            yield Problem(path, "is not needed: the VPC always has an s3 gateway endpoint", service, "remove it")
        elif not _SERVICE.match(service):
            yield Problem(path, "is not a short AWS service name", service, "write it like kms or secretsmanager")
        elif service in seen:
            yield Problem(path, "lists an endpoint twice", service, "list each endpoint once")
        seen.add(service)


_SERVICE = re.compile(r"^(?!com\.amazonaws)[a-z0-9-]+(\.[a-z0-9-]+)*$")


def identity_center_groups_are_known(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    for group in env.identity.aws_identity_center_group_ids:
        if group not in IDENTITY_CENTER_GROUPS:
            yield Problem(
                f"identity.aws_identity_center_group_ids.{group}", "is not a group with a permission set", group,
                f"use one of {', '.join(IDENTITY_CENTER_GROUPS)}",
            )


def every_cloud_has_a_budget(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    """The budget-per-cloud policy is mandatory unless the environment loosens it explicitly.

    The tenant stack spends nothing of its own (identities, policies, settings): the policy skips it.
    """
    if env.tenant is not None:
        return
    if env.policy.enforcement.get("budget-per-cloud") in ("advisory", "disabled"):
        return
    if any(ex.policy == "budget-per-cloud" and ex.expires > ctx.today for ex in env.policy.exemptions):
        return  # a justified, expiring exemption allows it too
    for cloud in env.clouds:
        key = f"{cloud}_monthly_usd"
        if getattr(env.budgets, key) is None:
            yield Problem(
                f"budgets.{key}", f"is required because {cloud} is configured (policy budget-per-cloud)", None,
                "set a monthly limit in US dollars, or set policy.enforcement.budget-per-cloud: advisory",
            )


def regions_are_in_the_us(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    """The us-only-residency policy is locked mandatory (data protection) for every environment.

    With restricted data, restricted_data_stays_in_us says so already, with that reason.
    """
    if env.highest_classification() is Classification.restricted:
        return
    if env.aws and env.aws.region not in US_AWS_REGIONS:
        yield Problem(
            "aws.region", "must be a US region (policy us-only-residency, which cannot be loosened)",
            env.aws.region, f"use one of {', '.join(sorted(US_AWS_REGIONS))}",
        )
    if env.azure and env.azure.location not in US_AZURE_LOCATIONS:
        yield Problem(
            "azure.location", "must be a US location (policy us-only-residency, which cannot be loosened)",
            env.azure.location, "use a US location such as eastus2 or centralus",
        )


def policy_settings_name_real_policies(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    """What policy-enforcement-valid and policy-exemptions-valid (both locked) would refuse."""
    if not (env.policy.enforcement or env.policy.exemptions):
        return
    from policies.catalog import policies_by_name  # imports no Pulumi package

    catalog = policies_by_name()
    for name, level in env.policy.enforcement.items():
        policy = catalog.get(name)
        path = f"policy.enforcement.{name}"
        if policy is None:
            yield Problem(path, "names no policy", name, "use a name from `infra policy list`, or remove the entry")
        elif policy.is_locked and level != "mandatory":
            yield Problem(path, f"lowers {name}, which is locked (data protection) and stays mandatory", level,
                          "remove the entry")
    for i, ex in enumerate(env.policy.exemptions):
        policy = catalog.get(ex.policy)
        if policy is None:
            yield Problem(f"policy.exemptions[{i}].policy", "names no policy", ex.policy,
                          "use a name from `infra policy list`")
        elif policy.is_locked:
            yield Problem(f"policy.exemptions[{i}].policy", "cannot be exempted (locked)", ex.policy,
                          "fix the resource or the settings instead, and remove the exemption")
        if ex.expires <= ctx.today:
            yield Problem(f"policy.exemptions[{i}].expires", "has passed", ex.expires.isoformat(),
                          "renew it with a new justification and date, or remove it")
# --- tenant ownership (one stack declares what exists once per tenant and repository) -------------


def _same_tenant(a: Environment, b: Environment) -> bool:
    same_entra = a.azure is not None and b.azure is not None and a.azure.tenant_id == b.azure.tenant_id
    return same_entra or a.identity.github_repository == b.identity.github_repository


def tenant_stack_shape(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    if env.tenant is None:
        if env.network is None:
            yield Problem("network", "is required in an environment", None,
                          "add the network section; only the tenant stack (with a tenant section) has none")
        return
    if env.azure is None:
        yield Problem("azure", "is required in the tenant stack", None,
                      "add azure.tenant_id and the subscription that holds the tenant's log workspace")
    if env.tier is not Tier.production:
        yield Problem("tier", "must be production in the tenant stack", env.tier.value,
                      "set tier: production; its GitHub environment needs reviewers like production")
    for key in ("network", "aws"):
        if getattr(env, key) is not None:
            yield Problem(key, "is not used by the tenant stack", "present",
                          "remove it; the tenant stack reaches each account through the environments it lists")
    for key in ("datasets", "vendors", "partners"):
        if getattr(env, key):
            yield Problem(key, "must be empty in the tenant stack", len(getattr(env, key)),
                          "declare data, vendors and partners in the environments")
    if env.tenant.github.settings_enabled and not env.tenant.github.reviewer_team_ids:
        yield Problem("tenant.github.reviewer_team_ids", "must name at least one team", [],
                      "add the id of the team that approves deploys; no environment deploys unreviewed")
    if not env.identity.break_glass_object_ids:
        yield Problem("identity.break_glass_object_ids", "must list at least one account in the tenant stack", [],
                      "list the break-glass accounts' object ids: every conditional access policy excludes them "
                      "and the Sentinel detection raises an incident when one signs in")
    if env.tier is Tier.production and env.tenant.conditional_access.report_only:
        yield Problem("tenant.conditional_access.report_only", "must be false in production", True,
                      "set it to false; production never ships the baseline in report-only mode")


def one_tenant_owner(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    if env.tenant is not None:
        for peer_name, peer in sorted(ctx.peers.items()):
            if peer.tenant is not None and _same_tenant(env, peer):
                yield Problem("tenant", f"is also declared by {peer_name} for the same tenant or repository", "present",
                              f"keep one tenant stack; remove the tenant section from stacks/Pulumi.{peer_name}.yaml")
        for i, name in enumerate(env.tenant.environments):
            peer = ctx.peers.get(name)
            if ctx.peers and peer is None:
                yield Problem(f"tenant.environments[{i}]", "names no environment", name,
                              f"add stacks/Pulumi.{name}.yaml or remove {name!r}")
            elif peer is not None and not _same_tenant(env, peer):
                yield Problem(f"tenant.environments[{i}]", "uses another tenant and repository", name,
                              "list only environments of this tenant's repository")
        logs = ctx.peers.get(env.tenant.log_environment)
        if env.tenant.log_environment not in env.tenant.environments:
            yield Problem("tenant.log_environment", "is not one of tenant.environments", env.tenant.log_environment,
                          "name the production environment whose workspace receives tenant-wide logs")
        elif logs is not None and logs.tier is not Tier.production:
            yield Problem("tenant.log_environment", "is not a production environment", env.tenant.log_environment,
                          "tenant-wide sign-in, mail and audit logs never land in a lower environment")
        return
    for peer_name, peer in sorted(ctx.peers.items()):
        if peer.tenant is not None and _same_tenant(env, peer) and env.identity.break_glass_object_ids:
            yield Problem("identity.break_glass_object_ids", f"are declared outside the tenant stack {peer_name}",
                          [str(i) for i in env.identity.break_glass_object_ids],
                          f"remove them here; the one list is identity.break_glass_object_ids in stacks/Pulumi.{peer_name}.yaml")
        if peer.tenant is not None and _same_tenant(env, peer) and env.name not in peer.tenant.environments:
            yield Problem("identity.github_repository", f"is in the tenant owned by {peer_name}, which does not "
                          "create this environment's CI identities", env.identity.github_repository,
                          f"add {env.name!r} to tenant.environments in stacks/Pulumi.{peer_name}.yaml")
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
    if env.tier is Tier.production and env.azure is not None and env.tenant is None and not env.m365.immutable_exports_enabled:
        yield Problem("m365.immutable_exports_enabled", "must be true in production", False,
                      "set it to true so exports and backups cannot be deleted or altered")


def production_keeps_the_data_perimeter(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    if env.tier is not Tier.production or env.aws is None or not env.data_stores.data_lake.enabled:
        return
    lake = env.data_stores.data_lake
    if not lake.network_perimeter_enabled:
        yield Problem("data_stores.data_lake.network_perimeter_enabled", "must be true in production", False,
                      "remove the line; restricted buckets accept object access only through the VPC endpoint")
    if lake.exports_object_lock_mode != "COMPLIANCE":
        yield Problem("data_stores.data_lake.exports_object_lock_mode", "must be COMPLIANCE in production",
                      lake.exports_object_lock_mode, "set it to COMPLIANCE so no one can alter or delete an export early")


def exports_lock_fits_retention(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    lake = env.data_stores.data_lake
    if not (env.aws and lake.enabled and lake.exports_object_lock_mode):
        return
    highest = env.highest_classification()
    exports = highest if highest.rank <= Classification.internal.rank else Classification.internal
    kept = lake.retention_days.get(exports)
    if kept is not None and 1 <= kept < lake.exports_object_lock_days:  # below 1: retention_is_positive says so
        yield Problem("data_stores.data_lake.exports_object_lock_days",
                      f"is longer than the exports' retention_days.{exports.value} ({kept})", lake.exports_object_lock_days,
                      f"choose at most {kept} days, or keep {exports.value} objects longer; lifecycle cannot delete "
                      "a locked export")


def production_locks_database_backups(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    stores = env.data_stores
    if env.tier is not Tier.production or env.aws is None or not stores.postgres.enabled:
        return
    if not stores.backups.enabled:
        yield Problem("data_stores.backups.enabled", "must be true in production when a database exists", False,
                      "remove the line; production database backups sit in a locked AWS Backup vault")
    elif stores.backups.vault_lock_mode != "COMPLIANCE":
        yield Problem("data_stores.backups.vault_lock_mode", "must be COMPLIANCE in production",
                      stores.backups.vault_lock_mode,
                      "set it to COMPLIANCE so no one holding the account can delete the backups early")


def backup_retention_fits_lock(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    backups = env.data_stores.backups
    if not (env.aws and backups.enabled):
        return
    if backups.min_retention_days > backups.max_retention_days:
        yield Problem("data_stores.backups.min_retention_days",
                      f"is above max_retention_days ({backups.max_retention_days})", backups.min_retention_days,
                      "choose a minimum no greater than the maximum")
    elif not backups.min_retention_days <= backups.retention_days <= backups.max_retention_days:
        yield Problem("data_stores.backups.retention_days",
                      f"must lie between min_retention_days ({backups.min_retention_days}) and max_retention_days "
                      f"({backups.max_retention_days})", backups.retention_days,
                      "choose a retention inside the vault lock's range; the lock refuses any other")


def detections_are_complete(env: Environment, ctx: RuleContext) -> Iterator[Problem]:
    m365 = env.m365
    if m365.sentinel_detections_enabled and not m365.sentinel_enabled:
        yield Problem("m365.sentinel_detections_enabled", "needs m365.sentinel_enabled", True,
                      "turn Sentinel on, or the detections off")
    # The rules read tenant-wide tables: the tenant stack declares them in its log environment's
    # workspace, watching the tenant's one break-glass list (tenant_stack_shape requires it).


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
    defender_plans_are_known,
    web_apps_have_apps,
    redshift_needs_three_zones,
    retention_is_positive_and_complete,
    vendor_resources_exist,
    vendor_restricted_reads_are_granted,
    names_are_unique,
    networks_hold_their_subnets,
    web_apps_need_their_spoke,
    interface_endpoints_are_service_names,
    identity_center_groups_are_known,
    every_cloud_has_a_budget,
    regions_are_in_the_us,
    policy_settings_name_real_policies,
    tenant_stack_shape,
    one_tenant_owner,
    production_keeps_the_security_baseline,
    detections_are_complete,
    production_exports_are_immutable,
    vendor_reviewer_is_known,
    production_keeps_the_data_perimeter,
    exports_lock_fits_retention,
    production_locks_database_backups,
    backup_retention_fits_lock,
)


def check(env: Environment, ctx: RuleContext) -> list[Problem]:
    """Every cross-field problem of a field-valid environment, in rule order."""
    return [problem for rule in RULES for problem in rule(env, ctx)]


# --- rules over a partly valid environment -----------------------------------------------


class _Skip(Exception):
    """A rule read a section that has field errors; it is checked once the section is fixed."""


class _Invalid:
    """Stands in for a top-level key with field errors: any use of it skips the rule."""

    def __getattr__(self, name: str) -> object:
        raise _Skip(name)

    def __bool__(self) -> bool:
        raise _Skip("bool")

    def __iter__(self):
        raise _Skip("iter")

    def __len__(self) -> int:
        raise _Skip("len")

    def __eq__(self, other: object) -> bool:
        raise _Skip("eq")

    def __ne__(self, other: object) -> bool:
        raise _Skip("ne")

    def __lt__(self, other: object) -> bool:
        raise _Skip("lt")

    __gt__ = __le__ = __ge__ = __lt__
    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        raise _Skip("str")

    def __format__(self, spec: str) -> str:
        raise _Skip("format")


_ADAPTERS: dict[str, object] = {}


def _field_adapter(key: str):
    from typing import Annotated

    from pydantic import TypeAdapter

    if key not in _ADAPTERS:
        info = Environment.model_fields[key]
        _ADAPTERS[key] = TypeAdapter(Annotated[info.annotation, info])
    return _ADAPTERS[key]


def check_partial(name: str, values: dict, ctx: RuleContext) -> list[Problem]:
    """Cross-field problems of an environment that also has field errors.

    Each top-level key is validated on its own; keys with errors are replaced by a stand-in,
    and a rule that reads one is skipped (its inputs are already reported as field errors).
    So one round of `infra validate` shows field and cross-field problems together.
    """
    from pydantic import ValidationError

    parts: dict[str, object] = {}
    for key, info in Environment.model_fields.items():
        if key == "name":
            continue
        if key in values:
            try:
                parts[key] = _field_adapter(key).validate_python(values[key])
            except (ValidationError, TypeError, ValueError):
                parts[key] = _Invalid()
        elif info.is_required():
            parts[key] = _Invalid()
    env = Environment.model_construct(name=name, **parts)
    found: list[Problem] = []
    for rule in RULES:
        try:
            problems = list(rule(env, ctx))
        except (_Skip, TypeError):
            continue  # TypeError: an _Invalid reached a comparison from the other side
        found += [p for p in problems if not isinstance(p.value, _Invalid)]
    return found
