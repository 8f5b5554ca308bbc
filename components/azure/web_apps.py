"""Internal web apps (volunteer portal, data dashboard) on App Service in the apps spoke.

Why App Service and not Container Apps: these are a handful of small internal sites run
by a two-person IT team. App Service gives each app its own private endpoint and regional
VNet integration on a shared plan, Entra ID sign-in (Easy Auth) without code, deployment
slots and managed TLS, all on one plan the team can reason about. Container Apps would
add an environment with its own infrastructure subnet, internal load balancer and
private DNS zone to run the same few apps, which is more moving parts than the workload
needs; it becomes the better choice once the apps are containers with scale-to-zero or
event-driven needs.

Every app: HTTPS only, TLS 1.2 minimum (site and SCM), FTP(S) and basic publishing
credentials off, remote debugging off, a system-assigned managed identity for Key Vault
and storage, outbound traffic routed entirely through the apps spoke's integration subnet,
and all logs in the workspace. Public network access is off unless the environment opts
in, and then each app is reached through a private endpoint in the hub.

Entra ID sign-in (App Service authentication, "Easy Auth"): each app gets its own
single-tenant app registration, and App Service itself turns away every request without
an Entra ID session from the organisation's tenant before it reaches the app's code
(browsers are sent to sign in; nothing is served anonymously). The registration has no
secret: App Service uses the implicit ID-token flow, so there is nothing to leak or rotate.
"""

from __future__ import annotations

from uuid import UUID

import pulumi
from pydantic import Field, model_validator

from components.azure.attachments import diagnostic_setting, private_endpoint
from stacks.model import Slug, StrictModel


class WebAppsArgs(StrictModel):
    """The App Service plan and the apps on it."""

    short_name: Slug = Field(description="organisation prefix of every name")
    environment: Slug = Field(description="environment name; part of every name")
    location: str = Field("eastus2", description="Azure region of the plan and apps")
    sku: str = Field("P0v3", min_length=2, description="App Service plan SKU; P0v3 when omitted")
    apps: tuple[Slug, ...] = Field(
        ("volunteer-portal",), min_length=1, description="one Linux web app each"
    )
    linux_fx_version: str = Field("PYTHON|3.12", description="runtime stack of every app")
    public_network_access_enabled: bool = Field(
        False, description="off: apps are reachable only through their private endpoints"
    )
    private_endpoints_enabled: bool = Field(
        True, description="a private endpoint per app in the hub's private-endpoint subnet"
    )
    entra_sign_in_enabled: bool = Field(
        True, description="off: App Service lets anonymous requests through to the app (never for internal apps)"
    )
    tenant_id: UUID | None = Field(
        None, description="Entra ID tenant whose users may sign in; required with entra_sign_in_enabled"
    )

    @model_validator(mode="after")
    def _reachable(self) -> WebAppsArgs:
        if not self.public_network_access_enabled and not self.private_endpoints_enabled:
            raise ValueError(
                "with public_network_access_enabled and private_endpoints_enabled both false no one "
                "can reach the apps; set private_endpoints_enabled=True"
            )
        if self.entra_sign_in_enabled and self.tenant_id is None:
            raise ValueError(
                "entra_sign_in_enabled needs tenant_id (the tenant whose users may sign in); pass azure.tenant_id"
            )
        return self

    def app_name(self, app: str) -> str:
        return f"app-{self.short_name}-{self.environment}-{app}"


class WebApps(pulumi.ComponentResource):
    """A Linux App Service plan and one locked-down web app per configured app."""

    def __init__(
        self,
        name: str,
        args: WebAppsArgs,
        *,
        resource_group_name: pulumi.Input[str],
        integration_subnet_id: pulumi.Input[str],
        workspace_id: pulumi.Input[str],
        private_endpoint_subnet_id: pulumi.Input[str] | None = None,
        private_dns_zone_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("civic:azure:WebApps", name, None, opts)
        if args.private_endpoints_enabled and (
            private_endpoint_subnet_id is None or private_dns_zone_id is None
        ):
            raise ValueError(
                "private endpoints need private_endpoint_subnet_id and private_dns_zone_id "
                "(privatelink.azurewebsites.net); pass both or set private_endpoints_enabled=False"
            )
        self._name = name
        self.args = args
        self._rg = resource_group_name

        plan = self._create_plan()
        self.apps = {}
        for app in args.apps:
            site = self._create_app(app, plan, integration_subnet_id)
            diagnostic_setting(
                f"{name}-{app}-diagnostics",
                resource_uri=site.id,
                workspace_id=workspace_id,
                parent=site,
            )
            if args.private_endpoints_enabled:
                private_endpoint(
                    f"{name}-{app}-pe",
                    target_id=site.id,
                    target_name=args.app_name(app),
                    group_id="sites",
                    subnet_id=private_endpoint_subnet_id,
                    dns_zone_id=private_dns_zone_id,
                    resource_group_name=resource_group_name,
                    location=args.location,
                    parent=site,
                )
            if args.entra_sign_in_enabled:
                self._require_sign_in(app, site)
            self.apps[app] = site

        self.plan_id = plan.id
        self.app_ids = {app: site.id for app, site in self.apps.items()}
        self.principal_ids = {
            app: site.identity.apply(lambda i: i.principal_id if i else None)
            for app, site in self.apps.items()
        }
        self.register_outputs(
            {
                "name": plan.name,
                "resource_id": plan.id,
                "app_ids": self.app_ids,
                "principal_ids": self.principal_ids,
            }
        )

    def _create_plan(self):
        import pulumi_azure_native as azure_native

        args = self.args
        return azure_native.web.AppServicePlan(
            f"{self._name}-plan",
            name=f"asp-{args.short_name}-{args.environment}-apps",
            resource_group_name=self._rg,
            location=args.location,
            kind="linux",
            reserved=True,
            sku=azure_native.web.SkuDescriptionArgs(name=args.sku),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_app(self, app: str, plan, integration_subnet_id: pulumi.Input[str]):
        import pulumi_azure_native as azure_native

        args = self.args
        public = "Enabled" if args.public_network_access_enabled else "Disabled"
        site = azure_native.web.WebApp(
            f"{self._name}-{app}",
            name=args.app_name(app),
            resource_group_name=self._rg,
            location=args.location,
            kind="app,linux",
            reserved=True,
            server_farm_id=plan.id,
            https_only=True,
            client_affinity_enabled=False,
            public_network_access=public,
            identity=azure_native.web.ManagedServiceIdentityArgs(type="SystemAssigned"),
            virtual_network_subnet_id=integration_subnet_id,
            outbound_vnet_routing=azure_native.web.OutboundVnetRoutingArgs(all_traffic=True),
            site_config=azure_native.web.SiteConfigArgs(
                linux_fx_version=args.linux_fx_version,
                min_tls_version="1.2",
                scm_min_tls_version="1.2",
                ftps_state="Disabled",
                http20_enabled=True,
                remote_debugging_enabled=False,
                vnet_route_all_enabled=True,
                always_on=True,
                public_network_access=public,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Deployments authenticate with Entra ID, never with FTP/SCM basic credentials.
        for kind, resource in (
            ("ftp", azure_native.web.WebAppFtpAllowed),
            ("scm", azure_native.web.WebAppScmAllowed),
        ):
            resource(
                f"{self._name}-{app}-{kind}-basic-auth",
                name=site.name,
                resource_group_name=self._rg,
                allow=False,
                opts=pulumi.ResourceOptions(parent=site),
            )
        return site

    def _require_sign_in(self, app: str, site) -> None:
        import pulumi_azure_native as azure_native
        import pulumi_azuread as azuread

        args, web = self.args, azure_native.web
        host = f"https://{args.app_name(app)}.azurewebsites.net"
        registration = azuread.Application(
            f"{self._name}-{app}-sign-in",
            display_name=args.app_name(app),
            sign_in_audience="AzureADMyOrg",
            prevent_duplicate_names=True,
            web=azuread.ApplicationWebArgs(
                homepage_url=host,
                redirect_uris=[f"{host}/.auth/login/aad/callback"],
                implicit_grant=azuread.ApplicationWebImplicitGrantArgs(
                    id_token_issuance_enabled=True, access_token_issuance_enabled=False
                ),
            ),
            notes="App Service sign-in for an internal app; no secret: ID tokens only.",
            opts=pulumi.ResourceOptions(parent=site),
        )
        web.WebAppAuthSettingsV2(
            f"{self._name}-{app}-auth",
            name=site.name,
            resource_group_name=self._rg,
            platform=web.AuthPlatformArgs(enabled=True),
            global_validation=web.GlobalValidationArgs(
                require_authentication=True,
                unauthenticated_client_action="RedirectToLoginPage",
                redirect_to_provider="azureactivedirectory",
            ),
            identity_providers=web.IdentityProvidersArgs(
                azure_active_directory=web.AzureActiveDirectoryArgs(
                    enabled=True,
                    registration=web.AzureActiveDirectoryRegistrationArgs(
                        client_id=registration.client_id,
                        open_id_issuer=f"https://login.microsoftonline.com/{args.tenant_id}/v2.0",
                    ),
                    validation=web.AzureActiveDirectoryValidationArgs(
                        allowed_audiences=[registration.client_id],
                    ),
                ),
            ),
            http_settings=web.HttpSettingsArgs(require_https=True),
            opts=pulumi.ResourceOptions(parent=site),
        )
