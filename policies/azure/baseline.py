"""Azure security baseline: internal web apps behind Entra ID sign-in, Defender CSPM and Defender for AI."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from policies.context import Context
from policies.core import (
    Enforcement,
    Severity,
    StackView,
    Verdict,
    compliant,
    contains_unknown,
    not_applicable,
    stack_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import is_true, resources_in_use, show

WEB_APP = "azure-native:web:WebApp"
AUTH_V2 = "azure-native:web:WebAppAuthSettingsV2"
PRICING = "azure-native:security:Pricing"
AI_ACCOUNT = "azure-native:cognitiveservices:Account"
CONTACT = "azure-native:security:SecurityContact"


def _app_name(stack: StackView, auth) -> list[str]:
    """URNs of the web apps an auth setting belongs to (its `name` input depends on the site)."""
    return list(auth.targets("name"))


@stack_policy(
    name="azure-web-app-entra-sign-in",
    description="Authenticate every internal web app with Entra ID in App Service, rejecting anonymous requests",
    severity=Severity.high,
    remediation="components/azure/web_apps.py creates a WebAppAuthSettingsV2 per app (require_authentication, "
    "Entra ID provider); keep entra_sign_in_enabled true and pass azure.tenant_id.",
)
def web_app_sign_in(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    sites = [s for s in stack.of_type(WEB_APP) if "functionapp" not in str(s.get("kind") or "")]
    if not sites:
        yield not_applicable("no web apps in this stack")
        return
    by_site: dict[str, list] = {}
    for auth in stack.of_type(AUTH_V2):
        for urn in _app_name(stack, auth):
            by_site.setdefault(urn, []).append(auth)
    for site in sites:
        auths = by_site.get(site.urn, [])
        if not auths:
            yield violation(f"web app {site.name}: no App Service authentication (WebAppAuthSettingsV2) depends on "
                            "it; anyone who reaches it is served; add Entra ID sign-in", site)
            continue
        auth = auths[0]
        settings = {"platform": auth.get("platform"), "globalValidation": auth.get("globalValidation"),
                    "aad": auth.get("identityProviders", "azureActiveDirectory")}  # fmt: skip
        if contains_unknown(settings):
            yield unknown_until_apply("the authentication settings", site)
            continue
        problems = []
        platform, validation, aad = settings["platform"], settings["globalValidation"], settings["aad"]
        if not (isinstance(platform, Mapping) and is_true(platform.get("enabled"))):
            problems.append("platform.enabled is not true")
        if not (isinstance(validation, Mapping) and is_true(validation.get("requireAuthentication"))):
            problems.append("globalValidation.requireAuthentication is not true")
        elif validation.get("unauthenticatedClientAction") == "AllowAnonymous":
            problems.append("unauthenticatedClientAction is 'AllowAnonymous'")
        if not (isinstance(aad, Mapping) and is_true(aad.get("enabled"))):
            problems.append("the Entra ID (azureActiveDirectory) provider is not enabled")
        if problems:
            yield violation(f"web app {site.name}: {'; '.join(problems)}; require Entra ID sign-in", site)
        else:
            yield compliant(subject=site)


def _standard(stack: StackView) -> dict[str, object]:
    out: dict[str, object] = {}
    for p in stack.of_type(PRICING):
        name = p.get("pricingName") or p.get("name")
        if isinstance(name, str):
            out[name.lower()] = p.get("pricingTier")
    return out


@stack_policy(
    name="azure-defender-cspm-and-ai",
    description="Enable Defender CSPM in production, and Defender for AI wherever Azure OpenAI runs in production",
    severity=Severity.medium,
    remediation="Keep m365.defender_cspm_enabled and m365.defender_for_ai_enabled true; the security monitoring "
    "component then adds the CloudPosture and AI Pricing resources.",
)
def defender_cspm_and_ai(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    if "azure" not in resources_in_use(stack, ctx.clouds) or not stack.of_type(PRICING):
        yield not_applicable("no Defender for Cloud plans in this stack")
        return
    if not ctx.is_production:
        yield not_applicable("Defender CSPM and Defender for AI are required in production only")
        return
    plans = _standard(stack)
    wanted = ["CloudPosture"]
    if any(str(a.get("kind")) == "OpenAI" for a in stack.of_type(AI_ACCOUNT)):
        wanted.append("AI")
    missing = [w for w in wanted if str(plans.get(w.lower(), "")).lower() != "standard"]
    if missing:
        yield violation(f"Defender plans {', '.join(missing)} are not on at the Standard tier "
                        f"(found {show(sorted(plans))}); keep m365.defender_cspm_enabled / defender_for_ai_enabled")
        return
    contacts = stack.of_type(CONTACT)
    if not contacts:
        yield violation("Defender plans are on but no security contact receives their alerts; "
                        "set organization.security_contact")
        return
    yield compliant(subject=contacts[0])


IMMUTABILITY = "azure-native:storage:BlobContainerImmutabilityPolicy"
CONTAINER = "azure-native:storage:BlobContainer"
EXPORT_CONTAINERS = ("m365-exports",)


@stack_policy(
    name="azure-exports-immutability-locked",
    description="Protect production exports with a locked time-based immutability policy on the exports container",
    severity=Severity.medium,
    remediation="Set m365.immutable_exports_enabled: true; then lock the policy by hand (azure-native cannot): "
    "`az storage container immutability-policy lock` (see the README's security section).",
    enforcement=Enforcement.advisory,
)
def exports_locked(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    containers = [c for c in stack.of_type(CONTAINER) if c.get("containerName") in EXPORT_CONTAINERS]
    if not containers or not ctx.is_production:
        yield not_applicable("no exports container in a production stack")
        return
    # Whether there is a policy at all is the model's switch (required in production by
    # `infra validate`); this advisory check is about the lock a person must still set.
    policies = stack.of_type(IMMUTABILITY)
    if not policies:
        yield not_applicable("no immutability policy on the exports container (m365.immutable_exports_enabled)")
        return
    for p in policies:
        # `state` is an output: a plan never knows it, a state export does.
        state = p.get("state")
        if state == "Locked":
            yield compliant(subject=p)
        else:
            yield violation(f"immutability policy {p.name} is {show(state if state is not None else 'not locked yet')}; "
                            "once the period is confirmed, lock it with `az storage container immutability-policy "
                            "lock` (Pulumi cannot lock it)", p)


POLICIES = (web_app_sign_in, defender_cspm_and_ai, exports_locked)
