"""WebApps: App Service plan and locked-down Linux apps, in wire form."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cli.capture import Capture, ProgramError, capture_program
from components.azure.web_apps import WebApps, WebAppsArgs

INTEGRATION_SUBNET = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/apps/subnets/snet-integration"
PE_SUBNET = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub/subnets/snet-private-endpoints"
SITES_ZONE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.azurewebsites.net"
WORKSPACE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log"

WEB_APP = "azure-native:web:WebApp"
TENANT = "00000000-0000-0000-0000-000000000000"


def _args(**overrides) -> WebAppsArgs:
    values = {
        "short_name": "caf",
        "environment": "prod",
        "apps": ("volunteer-portal", "data-dashboard"),
        "tenant_id": TENANT,
    }
    return WebAppsArgs(**{**values, **overrides})


def _capture(args: WebAppsArgs, **wiring) -> Capture:
    kwargs = {
        "resource_group_name": "rg-caf-prod-platform",
        "integration_subnet_id": INTEGRATION_SUBNET,
        "workspace_id": WORKSPACE,
        "private_endpoint_subnet_id": PE_SUBNET,
        "private_dns_zone_id": SITES_ZONE,
        **wiring,
    }
    return capture_program(
        lambda: WebApps("web-apps", args, **kwargs), project="t", stack="prod", config={}
    )


@pytest.fixture(scope="module")
def private_apps() -> Capture:
    return _capture(_args())


@pytest.fixture(scope="module")
def public_apps() -> Capture:
    return _capture(_args(public_network_access_enabled=True, private_endpoints_enabled=False))


def test_one_linux_app_per_configured_app_on_one_plan(private_apps):
    (plan,) = private_apps.of_type("azure-native:web:AppServicePlan")
    assert plan.inputs["sku"] == {"name": "P0v3"}
    assert plan.inputs["reserved"] is True
    apps = private_apps.of_type(WEB_APP)
    assert sorted(a.inputs["name"] for a in apps) == [
        "app-caf-prod-data-dashboard",
        "app-caf-prod-volunteer-portal",
    ]
    assert all(a.property_dependencies["serverFarmId"] == (plan.urn,) for a in apps)


def test_every_app_is_https_only_with_tls_1_2_and_no_ftp(private_apps):
    for app in private_apps.of_type(WEB_APP):
        inputs = app.inputs
        assert inputs["httpsOnly"] is True
        assert inputs["siteConfig"]["minTlsVersion"] == "1.2"
        assert inputs["siteConfig"]["scmMinTlsVersion"] == "1.2"
        assert inputs["siteConfig"]["ftpsState"] == "Disabled"
        assert inputs["siteConfig"]["remoteDebuggingEnabled"] is False


def test_every_app_has_a_system_assigned_identity(private_apps):
    for app in private_apps.of_type(WEB_APP):
        assert app.inputs["identity"] == {"type": "SystemAssigned"}


def test_every_app_routes_all_outbound_traffic_through_the_integration_subnet(private_apps):
    for app in private_apps.of_type(WEB_APP):
        assert app.inputs["virtualNetworkSubnetId"] == INTEGRATION_SUBNET
        assert app.inputs["outboundVnetRouting"] == {"allTraffic": True}
        assert app.inputs["siteConfig"]["vnetRouteAllEnabled"] is True


def test_basic_publishing_credentials_are_off_for_ftp_and_scm(private_apps):
    apps = {a.urn for a in private_apps.of_type(WEB_APP)}
    for type_ in ("azure-native:web:WebAppFtpAllowed", "azure-native:web:WebAppScmAllowed"):
        policies = private_apps.of_type(type_)
        assert {p.parent for p in policies} == apps
        assert all(p.inputs["allow"] is False for p in policies)


def test_by_default_apps_are_private_with_an_endpoint_each(private_apps):
    apps = private_apps.of_type(WEB_APP)
    for app in apps:
        assert app.inputs["publicNetworkAccess"] == "Disabled"
        assert app.inputs["siteConfig"]["publicNetworkAccess"] == "Disabled"
    endpoints = private_apps.of_type("azure-native:network:PrivateEndpoint")
    assert {e.property_dependencies["privateLinkServiceConnections"][0] for e in endpoints} == {
        a.urn for a in apps
    }
    for endpoint in endpoints:
        assert endpoint.inputs["subnet"]["id"] == PE_SUBNET
        (connection,) = endpoint.inputs["privateLinkServiceConnections"]
        assert connection["groupIds"] == ["sites"]


def test_each_endpoint_registers_in_the_sites_zone(private_apps):
    groups = private_apps.of_type("azure-native:network:PrivateDnsZoneGroup")
    assert len(groups) == 2
    for group in groups:
        assert group.inputs["privateDnsZoneConfigs"] == [
            {"name": "sites", "privateDnsZoneId": SITES_ZONE}
        ]


def test_every_app_sends_its_logs_to_the_workspace(private_apps):
    settings = private_apps.of_type("azure-native:monitor:DiagnosticSetting")
    apps = {a.urn for a in private_apps.of_type(WEB_APP)}
    assert {s.property_dependencies["resourceUri"][0] for s in settings} == apps
    for setting in settings:
        assert setting.inputs["workspaceId"] == WORKSPACE
        assert setting.inputs["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]


def test_public_apps_get_no_endpoint_but_keep_every_other_control(public_apps):
    assert public_apps.of_type("azure-native:network:PrivateEndpoint") == []
    for app in public_apps.of_type(WEB_APP):
        assert app.inputs["publicNetworkAccess"] == "Enabled"
        assert app.inputs["httpsOnly"] is True
        assert app.inputs["siteConfig"]["minTlsVersion"] == "1.2"


def test_unreachable_apps_are_rejected():
    with pytest.raises(ValidationError, match="no one can reach the apps"):
        _args(public_network_access_enabled=False, private_endpoints_enabled=False)


def test_private_endpoints_need_their_subnet_and_zone():
    with pytest.raises(ProgramError, match="private endpoints need private_endpoint_subnet_id"):
        _capture(_args(), private_dns_zone_id=None)


def test_default_args_are_private():
    args = WebAppsArgs(short_name="caf", environment="dev", tenant_id=TENANT)
    assert args.public_network_access_enabled is False
    assert args.private_endpoints_enabled is True


# --- Entra ID sign-in ---------------------------------------------------------------------

AUTH = "azure-native:web:WebAppAuthSettingsV2"
APPLICATION = "azuread:index/application:Application"


def test_every_app_rejects_anonymous_requests_with_entra_sign_in(private_apps):
    sites = {r.name: r for r in private_apps.of_type(WEB_APP)}
    registrations = {r.name: r for r in private_apps.of_type(APPLICATION)}
    auths = private_apps.of_type(AUTH)
    assert len(auths) == len(sites) == 2
    for auth in auths:
        (site_urn,) = auth.property_dependencies["name"]
        site = [s for s in sites.values() if s.urn == site_urn][0]
        assert auth.inputs["platform"] == {"enabled": True}
        assert auth.inputs["globalValidation"] == {"requireAuthentication": True,
                                                   "unauthenticatedClientAction": "RedirectToLoginPage",
                                                   "redirectToProvider": "azureactivedirectory"}
        aad = auth.inputs["identityProviders"]["azureActiveDirectory"]
        assert aad["enabled"] is True
        assert aad["registration"]["openIdIssuer"] == f"https://login.microsoftonline.com/{TENANT}/v2.0"
        registration = registrations[f"{site.name}-sign-in"]
        assert registration.urn in auth.property_dependencies["identityProviders"]
        assert registration.inputs["signInAudience"] == "AzureADMyOrg"
        host = f"https://{site.inputs['name']}.azurewebsites.net"
        assert registration.inputs["web"]["redirectUris"] == [f"{host}/.auth/login/aad/callback"]
        assert auth.inputs["httpSettings"] == {"requireHttps": True}
    # No secret anywhere: the sign-in uses ID tokens only.
    assert private_apps.of_type("azuread:index/applicationPassword:ApplicationPassword") == []


def test_sign_in_needs_the_tenant_and_is_switched_off_only_by_name():
    with pytest.raises(ValueError, match="entra_sign_in_enabled needs tenant_id"):
        WebAppsArgs(short_name="caf", environment="prod")
    open_apps = _capture(_args(entra_sign_in_enabled=False))
    assert open_apps.of_type(AUTH) == [] and open_apps.of_type(APPLICATION) == []


def test_staging_apps_are_private_like_production(staging_plan, prod_plan):
    for plan in (staging_plan, prod_plan):
        sites = plan.of_type(WEB_APP)
        assert sites
        for site in sites:
            assert site.inputs["publicNetworkAccess"] == "Disabled", site.name
        assert len(plan.of_type("azure-native:network:PrivateEndpoint")) >= len(sites)
        assert len(plan.of_type(AUTH)) == len(sites)
