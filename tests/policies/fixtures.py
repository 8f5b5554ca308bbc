"""Literal wire-form resources for policy tests, and the two ways to hand them to a policy.

A `Scenario` is a small stack for one policy. Resources named `pass_*` must be judged
compliant, `fail_*` non-compliant, `unk_*` never non-compliant (unknown values); anything
else is scaffolding (a public access block, a KMS key). A scenario whose `label` starts with
`fail_` expects a violation about the stack as a whole (e.g. no budget at all).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from policies.context import Context
from policies.core import UNKNOWN, ProviderView, ResourceView, StackView

TODAY = date(2026, 11, 22)
STACK = "dev"
U = UNKNOWN


@dataclass(frozen=True)
class R:
    """One resource: name, type token, wire-form props, and property dependencies by resource name."""

    name: str
    type: str
    props: Mapping[str, Any] = field(default_factory=dict)
    deps: Mapping[str, list[str]] = field(default_factory=dict)
    provider: str | None = None
    """Name of a provider resource in the same scenario (explicit provider)."""
    plaintext: tuple[str, ...] = ()
    custom: bool = True


@dataclass(frozen=True)
class Scenario:
    policy: str
    resources: list[R]
    label: str = "pass_stack"
    ctx: Mapping[str, Any] = field(default_factory=dict)
    default_providers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def urn(project: str, r: R) -> str:
    return f"urn:pulumi:{STACK}::{project}::{r.type}::{r.name}"


def context(s: Scenario) -> Context:
    return Context(**{"environment": STACK, "tier": "development", "today": TODAY, **s.ctx})


def _default_provider(s: Scenario, package: str) -> ProviderView:
    return ProviderView(f"urn:pulumi:{STACK}::{s.label}::pulumi:providers:{package}::default_7_0_0",
                        f"pulumi:providers:{package}", "default_7_0_0", dict(s.default_providers.get(package, {})))


def offline_stack(s: Scenario) -> StackView:
    """The scenario through the capture-side view (plaintext paths known)."""
    by_name = {r.name: r for r in s.resources}
    views = []
    for r in s.resources:
        provider = None
        package = r.type.split(":")[0]
        if r.provider:
            p = by_name[r.provider]
            provider = ProviderView(urn(s.label, p), p.type, p.name, copy.deepcopy(dict(p.props)))
        elif package in s.default_providers:
            provider = _default_provider(s, package)
        views.append(
            ResourceView(
                urn=urn(s.label, r), type=r.type, name=r.name, props=copy.deepcopy(dict(r.props)),
                dependencies=tuple(urn(s.label, by_name[n]) for ns in r.deps.values() for n in ns),
                property_dependencies={k: tuple(urn(s.label, by_name[n]) for n in ns) for k, ns in r.deps.items()},
                provider=provider, custom=r.custom, plaintext_secret_paths=r.plaintext,
            )
        )
    return StackView(views, stack=STACK, project=s.label)


# --- the engine side: real pulumi_policy argument objects ------------------------------


def _proxy(props: Mapping[str, Any]) -> Any:
    from pulumi_policy.proxy import unknown_checking_proxy

    return unknown_checking_proxy(copy.deepcopy(dict(props)))


def _opts(parent: str | None = None) -> Any:
    from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions

    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def engine_config(s: Scenario) -> dict[str, Any]:
    return {"context": {**context(s).to_config(), "today": TODAY.isoformat()}}


def _engine_provider(s: Scenario, r: R) -> Any:
    from pulumi_policy import PolicyProviderResource

    by_name = {x.name: x for x in s.resources}
    if r.provider:
        p = by_name[r.provider]
        return PolicyProviderResource(p.type, _proxy(p.props), urn(s.label, p), p.name)
    package = r.type.split(":")[0]
    if package in s.default_providers:
        d = _default_provider(s, package)
        return PolicyProviderResource(d.type, _proxy(d.props), d.urn, d.name)
    return None


def resource_args(s: Scenario, r: R) -> Any:
    from pulumi_policy import ResourceValidationArgs

    return ResourceValidationArgs(r.type, _proxy(r.props), urn(s.label, r), r.name, _opts(),
                                  _engine_provider(s, r), engine_config(s), {})


def stack_args(s: Scenario) -> Any:
    from pulumi_policy import PolicyResource, StackValidationArgs

    made = {
        r.name: PolicyResource(r.type, _proxy(r.props), urn(s.label, r), r.name, _opts(), _engine_provider(s, r),
                               None, [], {})
        for r in s.resources
    }
    for r in s.resources:
        res = made[r.name]
        for prop, names in r.deps.items():
            res.property_dependencies[prop] = [made[n] for n in names]
            res.dependencies.extend(made[n] for n in names)
    return StackValidationArgs(list(made.values()), engine_config(s), {})
