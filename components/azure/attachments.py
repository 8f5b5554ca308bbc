"""What every data-holding Azure resource gets attached: a private endpoint and diagnostics.

`private_endpoint` puts a resource on the hub's private-endpoint subnet and registers it in
the matching private DNS zone; `diagnostic_setting` sends a resource's logs and metrics to
the Log Analytics workspace. `unique_name` derives the globally unique names Key Vault and
storage accounts need. Used by every Azure component that holds data; nothing runs at import time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import pulumi


def unique_name(
    prefix: str, *parts: str, salt: str, max_length: int = 24, dashes: bool = True
) -> str:
    """A deterministic, globally unique-looking name: prefix + parts + 4 hex digits of a hash.

    The hash covers `salt` (the subscription id) and every part, so the same organisation
    and environment always get the same name, and two organisations with the same short
    name do not collide. The readable part is cut to fit `max_length`.
    """
    digest = hashlib.sha256("/".join((salt, prefix, *parts)).encode()).hexdigest()[:4]
    if dashes:
        body = re.sub(r"-{2,}", "-", "-".join((prefix, *parts)).lower())
        body = body[: max_length - len(digest) - 1].rstrip("-")
        return f"{body}-{digest}"
    body = "".join(ch for ch in (prefix + "".join(parts)).lower() if ch.isalnum())
    return body[: max_length - len(digest)] + digest


def private_endpoint(
    name: str,
    *,
    target_id: pulumi.Input[str],
    target_name: str,
    group_id: str,
    subnet_id: pulumi.Input[str],
    dns_zone_id: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    location: str,
    parent: pulumi.Resource,
    zone_config_name: str | None = None,
):
    """A private endpoint for one sub-resource (`vault`, `blob`, ...) plus its DNS zone group.

    `zone_config_name` names the zone entry when the sub-resource's group id does not say
    which zone it is (an OpenAI account's group id is `account`); it defaults to `group_id`.
    """
    import pulumi_azure_native as azure_native

    endpoint_name = f"pe-{target_name}-{group_id}"
    endpoint = azure_native.network.PrivateEndpoint(
        name,
        private_endpoint_name=endpoint_name,
        resource_group_name=resource_group_name,
        location=location,
        # A reference by id only: SubnetArgs would also send its default network-policy values.
        subnet={"id": subnet_id},
        private_link_service_connections=[
            azure_native.network.PrivateLinkServiceConnectionArgs(
                name=f"{target_name}-{group_id}",
                private_link_service_id=target_id,
                group_ids=[group_id],
            )
        ],
        tags={},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    azure_native.network.PrivateDnsZoneGroup(
        f"{name}-dns",
        private_dns_zone_group_name="default",
        # the endpoint's output, not the literal, so the link shows in propertyDependencies
        private_endpoint_name=endpoint.name,
        resource_group_name=resource_group_name,
        private_dns_zone_configs=[
            azure_native.network.PrivateDnsZoneConfigArgs(
                name=zone_config_name or group_id, private_dns_zone_id=dns_zone_id
            )
        ],
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return endpoint


def diagnostic_setting(
    name: str,
    *,
    resource_uri: pulumi.Input[str],
    workspace_id: pulumi.Input[str],
    parent: pulumi.Resource,
    log_category_groups: Sequence[str] = ("allLogs",),
    metric_categories: Sequence[str] = ("AllMetrics",),
):
    """Send a resource's logs (by category group) and metrics to the workspace."""
    import pulumi_azure_native as azure_native

    return azure_native.monitor.DiagnosticSetting(
        name,
        name="to-log-analytics",
        resource_uri=resource_uri,
        workspace_id=workspace_id,
        logs=[
            azure_native.monitor.DiagnosticsLogSettingsArgs(category_group=group, enabled=True)
            for group in log_category_groups
        ]
        or None,
        metrics=[
            azure_native.monitor.DiagnosticsMetricSettingsArgs(category=category, enabled=True)
            for category in metric_categories
        ]
        or None,
        opts=pulumi.ResourceOptions(parent=parent),
    )
