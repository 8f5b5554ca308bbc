"""Adapter (a): a capture or a state export (`cli.capture.Capture`) -> plain policy views.

The capture already holds wire-form inputs with secrets masked; this adapter only resolves
each resource's provider (explicit providers are resources of the capture; the engine's
default providers are not, so they are rebuilt from the stack config) and lists the paths
where a plain-text value sits where a secret belongs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.core import PLAINTEXT_SECRET, STACK_TYPE, ProviderView, ResourceView, StackView

_DEFAULT_PROVIDER_KEYS = {"aws": ("region", "allowedAccountIds"), "azure-native": ("location",)}


def provider_defaults_from_config(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Default-provider settings from stack config (`aws:region`, `azure-native:location`)."""
    out: dict[str, dict[str, Any]] = {}
    for package, keys in _DEFAULT_PROVIDER_KEYS.items():
        for key in keys:
            value = config.get(f"{package}:{key}")
            if isinstance(value, str) and value:
                out.setdefault(package, {})[key] = value
    return out


def _plaintext_paths(node: Any, path: str = "") -> list[str]:
    if node == PLAINTEXT_SECRET:
        return [path]
    if isinstance(node, Mapping):
        return [p for k, v in node.items() for p in _plaintext_paths(v, f"{path}.{k}" if path else str(k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _plaintext_paths(v, f"{path}[{i}]")]
    return []


def stack_from_capture(capture: Any, provider_defaults: Mapping[str, Mapping[str, Any]] | None = None) -> StackView:
    """Every resource of a `Capture` as a StackView (providers resolved, plaintext paths listed)."""
    defaults = provider_defaults or {}
    resources = [r for r in capture.resources if r.type != STACK_TYPE]
    by_urn = {r.urn: r for r in resources}
    default_views: dict[str, ProviderView] = {}

    def default_provider(package: str) -> ProviderView:
        if package not in default_views:
            urn = f"urn:pulumi:{capture.environment}::{capture.project}::pulumi:providers:{package}::default"
            default_views[package] = ProviderView(urn, f"pulumi:providers:{package}", "default",
                                                  dict(defaults.get(package, {})))
        return default_views[package]

    views = []
    for r in resources:
        provider: ProviderView | None = None
        package = r.type.split(":")[0]
        if r.provider and r.provider in by_urn:
            p = by_urn[r.provider]
            provider = ProviderView(p.urn, p.type, p.name, p.inputs)
        elif r.custom and package in _DEFAULT_PROVIDER_KEYS:
            provider = default_provider(package)
        paths = tuple(getattr(r, "plaintext_secret_paths", ()) or ()) or tuple(_plaintext_paths(r.inputs))
        views.append(
            ResourceView(
                urn=r.urn, type=r.type, name=r.name, props=r.inputs, parent=r.parent,
                dependencies=tuple(r.dependencies),
                property_dependencies={k: tuple(v) for k, v in r.property_dependencies.items()},
                provider=provider, custom=r.custom, protect=r.protect, plaintext_secret_paths=paths,
            )
        )
    return StackView(views, stack=capture.environment, project=capture.project)
