"""Azure web and AI workloads: App Service, Container Apps and Azure OpenAI accounts."""

from __future__ import annotations

from collections.abc import Iterator

from policies.context import Context
from policies.controls import checkov
from policies.core import (
    ResourceView,
    Severity,
    StackView,
    Verdict,
    compliant,
    is_unknown,
    not_applicable,
    resource_policy,
    stack_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import is_true, show

WEB_APP = "azure-native:web:WebApp"
CONTAINER_APP = "azure-native:app:ContainerApp"
MANAGED_ENVIRONMENT = "azure-native:app:ManagedEnvironment"
AI_ACCOUNT = "azure-native:cognitiveservices:Account"


@resource_policy(
    name="azure-web-https-only",
    description="Serve App Service and Container Apps over HTTPS only",
    severity=Severity.high,
    remediation="Set `https_only=True` on the WebApp in the web-apps component; for Container Apps leave "
    "`ingress.allow_insecure` False.",
    types=[WEB_APP, CONTAINER_APP],
    data_protection=True,
    controls=[checkov("CKV_AZURE_14")],
)
def web_https_only(r: ResourceView, ctx: Context) -> Verdict:
    if r.type == CONTAINER_APP:
        insecure = r.get("configuration", "ingress", "allowInsecure")
        if is_unknown(insecure):
            return unknown_until_apply("configuration.ingress.allowInsecure")
        # Missing is safe: plain HTTP is redirected unless allowInsecure is true.
        if is_true(insecure):
            return violation(f"container app {r.name}: configuration.ingress.allowInsecure is true; set it to false")
        return compliant()
    value = r.get("httpsOnly")
    if is_unknown(value):
        return unknown_until_apply("httpsOnly")
    # Missing is unsafe: App Service accepts HTTP by default.
    if not is_true(value):
        return violation(f"web app {r.name}: httpsOnly is {show(value)}; set it to true")
    return compliant()


@resource_policy(
    name="azure-web-min-tls-1-2",
    description="Require TLS 1.2 or later on App Service apps",
    severity=Severity.high,
    remediation="Set `site_config.min_tls_version=\"1.2\"` on the WebApp in the web-apps component.",
    types=[WEB_APP],
    data_protection=True,
    controls=[checkov("CKV_AZURE_15")],
)
def web_min_tls(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("siteConfig", "minTlsVersion")
    if is_unknown(value):
        return unknown_until_apply("siteConfig.minTlsVersion")
    # Missing is safe: new apps default to 1.2.
    if value is not None and str(value) not in ("1.2", "1.3"):
        return violation(f"web app {r.name}: siteConfig.minTlsVersion is {show(value)}; set it to '1.2'")
    return compliant()


def _environment_is_internal(stack: StackView, app: ResourceView) -> bool | None:
    envs = stack.targets(app, "managedEnvironmentId") + stack.targets(app, "environmentId")
    envs = [e for e in envs if e.type == MANAGED_ENVIRONMENT]
    if not envs:
        return False
    internal = envs[0].get("vnetConfiguration", "internal")
    if is_unknown(internal):
        return None
    return is_true(internal)


@stack_policy(
    name="azure-web-private-in-prod",
    description="Keep App Service and Container Apps unreachable from the Internet in production",
    severity=Severity.high,
    remediation="In production keep WebAppsArgs.public_network_access_enabled=False (WebApp "
    "`public_network_access=\"Disabled\"`) with private_endpoints_enabled=True; for Container Apps use an "
    "internal environment or `ingress.external=False`.",
    data_protection=True,
    controls=[checkov("CKV_AZURE_222", partial="checked in production only")],
)
def web_private_in_prod(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    apps = stack.of_type(WEB_APP, CONTAINER_APP)
    if not ctx.is_production:
        for app in apps:
            yield not_applicable(f"only production is checked; this is {ctx.tier}", app)
        return
    for app in apps:
        if app.type == WEB_APP:
            value = app.get("publicNetworkAccess")
            if is_unknown(value):
                yield unknown_until_apply("publicNetworkAccess", app)
            elif not (isinstance(value, str) and value.lower() == "disabled"):
                # Missing is unsafe: App Service is public by default.
                yield violation(f"web app {app.name}: publicNetworkAccess is {show(value)} in production; "
                                "set it to 'Disabled'", app)
            else:
                yield compliant(subject=app)
            continue
        external = app.get("configuration", "ingress", "external")
        if is_unknown(external):
            yield unknown_until_apply("configuration.ingress.external", app)
        elif not is_true(external):
            yield compliant(subject=app)
        else:
            internal = _environment_is_internal(stack, app)
            if internal is None:
                yield unknown_until_apply("the managed environment's vnetConfiguration.internal", app)
            elif internal:
                yield compliant("external ingress of an internal environment is reachable only from the VNet", app)
            else:
                yield violation(f"container app {app.name}: configuration.ingress.external is true on a public "
                                "environment in production; set it to false or use an internal environment", app)


@resource_policy(
    name="azure-openai-local-auth-disabled",
    description="Disable key-based (local) authentication on Azure OpenAI and other AI accounts",
    severity=Severity.high,
    remediation="Set `properties.disable_local_auth=True` on the cognitiveservices Account in the AI component; "
    "callers use Entra ID and the Cognitive Services OpenAI User role.",
    types=[AI_ACCOUNT],
    controls=[checkov("CKV_AZURE_236")],
)
def openai_local_auth(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("properties", "disableLocalAuth")
    if is_unknown(value):
        return unknown_until_apply("properties.disableLocalAuth")
    # Missing is unsafe: keys are enabled by default.
    if not is_true(value):
        return violation(f"AI account {r.name}: properties.disableLocalAuth is {show(value)}; set it to true")
    return compliant()


@resource_policy(
    name="azure-openai-no-public-network",
    description="Disable public network access to Azure OpenAI and other AI accounts",
    severity=Severity.high,
    remediation="Set `properties.public_network_access=\"Disabled\"` on the cognitiveservices Account in the AI "
    "component and reach it through its private endpoint.",
    types=[AI_ACCOUNT],
    data_protection=True,
    controls=[checkov("CKV_AZURE_134")],
)
def openai_no_public(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("properties", "publicNetworkAccess")
    if is_unknown(value):
        return unknown_until_apply("properties.publicNetworkAccess")
    if not (isinstance(value, str) and value.lower() == "disabled"):
        return violation(f"AI account {r.name}: properties.publicNetworkAccess is {show(value)}; set it to 'Disabled'")
    return compliant()


POLICIES = (web_https_only, web_min_tls, web_private_in_prod, openai_local_auth, openai_no_public)
