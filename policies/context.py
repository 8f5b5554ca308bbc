"""What a policy may know beyond the resources: the environment's tier, retention targets,
clouds, enforcement overrides and exemptions.

Offline it is built from the validated `Environment` (`context_from_environment`); inside
the engine it travels as policy-pack config (`Context.to_config` / `Context.from_config`),
so both paths evaluate with the same facts.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

MAX_EXEMPTION_DAYS = 180
MIN_JUSTIFICATION = 10

_TIERS = ("development", "staging", "production")
CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")
"""The default data-classification vocabulary; an environment may choose its own (policy.classifications)."""
SENSITIVE_CLASSIFICATIONS = ("confidential", "restricted")
"""Levels that need a rotating customer-managed key, by default (policy.sensitive_classifications)."""
INTERNET_INGRESS_PORTS = (80, 443)


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Exemption:
    """A justified, expiring exception to one policy for resources matching `resource`."""

    policy: str
    resource: str
    justification: str
    expires: date | None
    approver: str | None = None
    """Who accepted the risk (recorded for auditors; optional)."""

    def matches(self, urn: str, name: str) -> bool:
        """A URN pattern (starting with 'urn:') matches the URN; anything else the resource name."""
        if self.resource.startswith("urn:"):
            return fnmatch.fnmatchcase(urn, self.resource)
        return fnmatch.fnmatchcase(name, self.resource)

    def problem(self, today: date) -> str | None:
        """Why this exemption exempts nothing, or None when it is usable."""
        if len(self.justification.strip()) < MIN_JUSTIFICATION:
            return f"has no justification (at least {MIN_JUSTIFICATION} characters are required)"
        if self.expires is None:
            return "has no valid expiry date"
        if self.expires < today:
            return f"expired on {self.expires.isoformat()}"
        if (self.expires - today).days > MAX_EXEMPTION_DAYS:
            return f"expires on {self.expires.isoformat()}, more than {MAX_EXEMPTION_DAYS} days away"
        return None

    def to_config(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "resource": self.resource,
            "justification": self.justification,
            "expires": self.expires.isoformat() if self.expires else None,
            "approver": self.approver,
        }

    @classmethod
    def from_config(cls, data: Mapping[str, Any]) -> Exemption:
        return cls(
            policy=str(data.get("policy") or ""),
            resource=str(data.get("resource") or ""),
            justification=str(data.get("justification") or ""),
            expires=_parse_date(data.get("expires")),
            approver=str(data["approver"]) if data.get("approver") else None,
        )


@dataclass(frozen=True)
class Settings:
    """Enforcement overrides (policy name -> level) and exemptions, as the environment asks."""

    enforcement: Mapping[str, str] = field(default_factory=dict)
    exemptions: tuple[Exemption, ...] = ()


@dataclass(frozen=True)
class Context:
    """The facts about an environment that policies decide with.

    Without an environment (a foreign program, a state file without --env) the context is
    the strictest: production tier and the model's default retention targets.
    """

    environment: str = "unknown"
    tier: str = "production"
    clouds: tuple[str, ...] | None = None
    log_retention_days: int = 90
    backup_retention_days: int = 7
    soft_delete_retention_days: int = 30
    access_max_days: int = 365
    aws_account_ids: tuple[str, ...] = ()
    defender_plans: tuple[str, ...] | None = None
    today: date = field(default_factory=date.today)
    settings: Settings = field(default_factory=Settings)
    classifications: tuple[str, ...] = CLASSIFICATIONS
    sensitive_classifications: tuple[str, ...] = SENSITIVE_CLASSIFICATIONS
    naming: Mapping[str, str] = field(default_factory=dict)
    """Resource kind (type token or its last part, e.g. 'Bucket') -> regex the resource's name must match."""
    teams: tuple[str, ...] = ()
    cost_centers: tuple[str, ...] | None = None
    """Declared cost centers; None when unknown (no environment), so the tag value is not judged."""
    internet_ingress_ports: tuple[int, ...] = INTERNET_INGRESS_PORTS
    tenant_owner: bool | None = None
    """True in the tenant stack, False in an environment stack, None when unknown (a foreign program)."""
    break_glass_object_ids: tuple[str, ...] = ()
    """The tenant's emergency accounts, excluded from every conditional access policy."""
    conditional_access_switches: tuple[str, ...] = ()
    """Switched-on optional baseline controls of the tenant stack: 'admin-us-only', 'risk-policies'."""
    tenant_environments: tuple[str, ...] = ()
    """In the tenant stack: the environments whose CI identities it creates (and tags with their names)."""
    vendor_access_packages: bool = True
    """identity.vendor_access_packages_enabled: vendor membership through access packages Entra expires."""
    vendor_access_packages_off: tuple[str, ...] = ()
    """In the tenant stack: owned environments whose identity.vendor_access_packages_enabled is off; their
    vendor groups (`<org>-<env>-vendor-<name>`) are not judged by the access package policies."""
    azure_tenant_id: str | None = None
    """The Entra tenant the stack's azuread resources live in; None without Azure or an environment."""

    @property
    def is_production(self) -> bool:
        return self.tier == "production"

    def is_sensitive(self, classification: str | None) -> bool:
        """Whether data of this classification needs a rotating customer-managed key."""
        return classification is not None and classification in self.sensitive_classifications

    @classmethod
    def for_stack(cls, stack: str, today: date | None = None) -> Context:
        """A context for a stack without an environment model: tier guessed from its name."""
        lowered = stack.lower()
        tier = "production"
        if lowered in ("dev", "development", "test", "sandbox") or lowered.startswith("dev"):
            tier = "development"
        elif lowered in ("staging", "stage", "qa") or lowered.startswith("stag"):
            tier = "staging"
        return cls(environment=stack, tier=tier, today=today or date.today())

    def to_config(self) -> dict[str, Any]:
        """The JSON-safe form passed to the engine's policy pack (without `today`)."""
        return {
            "environment": self.environment,
            "tier": self.tier,
            "clouds": list(self.clouds) if self.clouds is not None else None,
            "log_retention_days": self.log_retention_days,
            "backup_retention_days": self.backup_retention_days,
            "soft_delete_retention_days": self.soft_delete_retention_days,
            "access_max_days": self.access_max_days,
            "aws_account_ids": list(self.aws_account_ids),
            "defender_plans": list(self.defender_plans) if self.defender_plans is not None else None,
            "enforcement": dict(self.settings.enforcement),
            "exemptions": [e.to_config() for e in self.settings.exemptions],
            "classifications": list(self.classifications),
            "sensitive_classifications": list(self.sensitive_classifications),
            "naming": dict(self.naming),
            "teams": list(self.teams),
            "cost_centers": list(self.cost_centers) if self.cost_centers is not None else None,
            "internet_ingress_ports": list(self.internet_ingress_ports),
            "tenant_owner": self.tenant_owner,
            "tenant_environments": list(self.tenant_environments),
            "break_glass_object_ids": list(self.break_glass_object_ids),
            "conditional_access_switches": list(self.conditional_access_switches),
            "vendor_access_packages": self.vendor_access_packages,
            "vendor_access_packages_off": list(self.vendor_access_packages_off),
            "azure_tenant_id": self.azure_tenant_id,
        }

    @classmethod
    def from_config(cls, data: Mapping[str, Any] | None, *, stack: str = "unknown", today: date | None = None) -> Context:
        """Rebuild the context from policy-pack config; the strictest defaults fill what is missing."""
        base = cls.for_stack(stack, today)
        if not data:
            return base
        when = _parse_date(data.get("today")) or today or date.today()
        clouds = data.get("clouds")
        plans = data.get("defender_plans")
        centers = data.get("cost_centers")

        def strings(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
            value = data.get(key)
            return tuple(str(v) for v in value) if isinstance(value, list) else default

        tier = str(data.get("tier") or base.tier)
        return cls(
            environment=str(data.get("environment") or base.environment),
            tier=tier if tier in _TIERS else "production",
            clouds=tuple(str(c) for c in clouds) if isinstance(clouds, list) else None,
            log_retention_days=int(data.get("log_retention_days") or base.log_retention_days),
            backup_retention_days=int(data.get("backup_retention_days") or base.backup_retention_days),
            soft_delete_retention_days=int(data.get("soft_delete_retention_days") or base.soft_delete_retention_days),
            access_max_days=int(data.get("access_max_days") or base.access_max_days),
            aws_account_ids=tuple(str(a) for a in data.get("aws_account_ids") or ()),
            defender_plans=tuple(str(p) for p in plans) if isinstance(plans, list) else None,
            today=when,
            tenant_owner=data.get("tenant_owner") if isinstance(data.get("tenant_owner"), bool) else None,
            break_glass_object_ids=tuple(str(i) for i in data.get("break_glass_object_ids") or ()),
            conditional_access_switches=tuple(str(i) for i in data.get("conditional_access_switches") or ()),
            tenant_environments=tuple(str(i) for i in data.get("tenant_environments") or ()),
            # Missing or not a boolean: the strict default (enforced).
            vendor_access_packages=data.get("vendor_access_packages") is not False,
            vendor_access_packages_off=tuple(str(e) for e in data.get("vendor_access_packages_off") or ()),
            azure_tenant_id=str(data["azure_tenant_id"]) if data.get("azure_tenant_id") else None,
            settings=Settings(
                enforcement={str(k): str(v) for k, v in (data.get("enforcement") or {}).items()},
                exemptions=tuple(Exemption.from_config(e) for e in data.get("exemptions") or () if isinstance(e, Mapping)),
            ),
            classifications=strings("classifications", CLASSIFICATIONS),
            sensitive_classifications=strings("sensitive_classifications", SENSITIVE_CLASSIFICATIONS),
            naming={str(k): str(v) for k, v in (data.get("naming") or {}).items()},
            teams=strings("teams", ()),
            cost_centers=tuple(str(c) for c in centers) if isinstance(centers, list) else None,
            internet_ingress_ports=tuple(int(p) for p in data.get("internet_ingress_ports") or INTERNET_INGRESS_PORTS),
        )


def _ca_switches(env: Any) -> tuple[str, ...]:
    tenant = getattr(env, "tenant", None)
    if tenant is None:
        return ()
    ca = tenant.conditional_access
    return tuple(name for name, on in (("admin-us-only", ca.admin_us_only), ("risk-policies", ca.risk_policies_enabled)) if on)


def _vendor_access_packages_off(env: Any) -> tuple[str, ...]:
    """The tenant stack's owned environments that switch vendor access packages off (read from their files)."""
    if getattr(env, "tenant", None) is None:
        return ()
    from stacks.members import read_members

    # An owned environment that does not validate stops the tenant program itself; here it is
    # simply not switched off, so its groups stay judged (the strict default).
    members, _ = read_members(env)
    return tuple(sorted(n for n, m in members.items() if not m.identity.vendor_access_packages_enabled))


def context_from_environment(env: Any, today: date | None = None) -> Context:
    """The context of a validated `stacks.model.Environment`."""
    accounts = [env.aws.account_id] if env.aws is not None else []
    return Context(
        environment=env.name,
        tier=env.tier.value,
        clouds=tuple(env.clouds),
        log_retention_days=env.protection.log_retention_days,
        backup_retention_days=env.protection.backup_retention_days,
        soft_delete_retention_days=env.protection.soft_delete_retention_days,
        access_max_days=env.identity.access_max_days,
        aws_account_ids=tuple(accounts),
        defender_plans=tuple(env.m365.defender_plans) if env.azure is not None else None,
        today=today or date.today(),
        tenant_owner=getattr(env, "tenant", None) is not None,
        break_glass_object_ids=tuple(str(i) for i in env.identity.break_glass_object_ids),
        conditional_access_switches=_ca_switches(env),
        tenant_environments=tuple(env.tenant.environments) if getattr(env, "tenant", None) is not None else (),
        # The tenant stack has no vendors of its own: each owned environment's switch decides
        # (vendor_access_packages_off), so its own identity setting cannot silence every environment's.
        vendor_access_packages=(getattr(env, "tenant", None) is not None
                                or env.identity.vendor_access_packages_enabled),
        vendor_access_packages_off=_vendor_access_packages_off(env),
        azure_tenant_id=str(env.azure.tenant_id) if env.azure is not None else None,
        settings=Settings(
            enforcement=dict(env.policy.enforcement),
            exemptions=tuple(
                Exemption(e.policy, e.resource, e.justification, e.expires, e.approver) for e in env.policy.exemptions
            ),
        ),
        classifications=tuple(env.policy.classifications),
        sensitive_classifications=tuple(env.policy.sensitive_classifications),
        naming=dict(env.policy.naming),
        teams=tuple(env.policy.teams),
        cost_centers=tuple(c.name for c in env.cost_centers),
        internet_ingress_ports=tuple(env.policy.internet_ingress_ports),
    )
