"""Adapter (b): pulumi_policy's validate arguments -> plain policy views, and back to violations.

`engine_policies()` wraps every `Policy` of the catalog in a pulumi_policy
ResourceValidationPolicy or StackValidationPolicy. Each wrapper turns the SDK's arguments
into the same plain views the offline path builds, runs the one evaluation, drops findings
that a valid exemption covers, and reports the rest. Enforcement levels arrive from the
engine (policy-pack config); the environment context arrives in each policy's config under
`context` (see `policies.config.policy_pack_config`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from policies.context import Context
from policies.core import (
    UNKNOWN,
    Policy,
    ProviderView,
    ResourceView,
    Result,
    StackView,
    Status,
    is_unknown,
)
from policies.evaluate import exemption_for

PACK_NAME = "civic-infra"
CONFIG_SCHEMA_PROPERTIES = {
    "context": {
        "type": "object",
        "description": "the environment's tier, retention targets, clouds, enforcement overrides and exemptions",
    }
}


def plain(value: Any) -> Any:
    """Unwrap pulumi_policy's unknown-checking proxies into plain data; unknowns become UNKNOWN."""
    from pulumi_policy import Secret
    from pulumi_policy.proxy import UnknownValueError

    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in value:
            try:
                item = value[key]
            except UnknownValueError:
                out[key] = UNKNOWN
                continue
            out[key] = plain(item)
        return out
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        items: list[Any] = []
        for i in range(len(value)):
            try:
                items.append(plain(value[i]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    if is_unknown(value):
        return UNKNOWN
    return value


def _provider(provider: Any) -> ProviderView | None:
    if provider is None:
        return None
    return ProviderView(provider.urn, provider.resource_type, provider.name, plain(provider.props))


def _stack_and_project(urns: Iterable[str]) -> tuple[str, str]:
    for urn in urns:
        parts = urn.split("::")
        if len(parts) >= 4 and parts[0].startswith("urn:pulumi:"):
            return parts[0][len("urn:pulumi:"):], parts[1]
    return os.environ.get("PULUMI_STACK", "unknown"), os.environ.get("PULUMI_PROJECT", "unknown")


def resource_view(args: Any) -> ResourceView:
    """A ResourceValidationArgs as a ResourceView (inputs; secret markers are not visible here)."""
    return ResourceView(
        urn=args.urn, type=args.resource_type, name=args.name, props=plain(args.props),
        parent=getattr(args.opts, "parent", None) or None, provider=_provider(args.provider),
        protect=bool(getattr(args.opts, "protect", False)), plaintext_secret_paths=None,
    )


def stack_view(args: Any) -> StackView:
    """A StackValidationArgs as a StackView, ties kept as URNs."""
    views = [
        ResourceView(
            urn=r.urn, type=r.resource_type, name=r.name, props=plain(r.props),
            parent=r.parent.urn if r.parent is not None else None,
            dependencies=tuple(d.urn for d in r.dependencies),
            property_dependencies={k: tuple(d.urn for d in v) for k, v in r.property_dependencies.items()},
            provider=_provider(r.provider), protect=bool(getattr(r.opts, "protect", False)),
            plaintext_secret_paths=None,
        )
        for r in args.resources
    ]
    stack, project = _stack_and_project(v.urn for v in views)
    return StackView(views, stack=stack, project=project)


def context_of(args: Any, urn: str | None = None) -> Context:
    config = args.get_config() or {}
    stack, _ = _stack_and_project([urn] if urn else [])
    return Context.from_config(config.get("context"), stack=stack)


def _report(policy: Policy, results: list[Result], ctx: Context, report_violation: Any, stack_urn: str | None,
            args: Any) -> None:
    reported = False
    for result in results:
        if result.status is not Status.failed or exemption_for(policy, result.urn, result.name, ctx) is not None:
            continue
        reported = True
        report_violation(result.message, None if stack_urn is None or result.urn == stack_urn else result.urn)
    if not reported and results and all(r.status is Status.not_applicable for r in results):
        args.not_applicable(results[0].message)


def _framework(policy: Policy) -> Any:
    """Every control reference of `policy` in the engine's one framework slot.

    pulumi_policy takes one PolicyComplianceFramework per policy. Its name and version are the
    first benchmark the policy cites; `reference` lists every id of that benchmark; and
    `specification` lists every reference of every benchmark, edition named in full, so none is
    dropped. `_control_tags` repeats them one per tag for tools that filter on tags.
    """
    from pulumi_policy import PolicyComplianceFramework

    if not policy.controls:
        return None
    first = policy.controls[0].benchmark
    ids = [c.id + (" (partial)" if c.is_partial else "") for c in policy.controls if c.benchmark == first]
    everything = "; ".join(c.label + (" (partial)" if c.is_partial else "") for c in policy.controls)
    return PolicyComplianceFramework(name=first.name, version=first.edition, reference=", ".join(ids),
                                     specification=everything)


def _control_tags(policy: Policy) -> list[str]:
    """One tag per control reference, e.g. 'cis-aws-v7.0.0:4.6' or 'checkov-3.3.30:CKV_AWS_7:partial'."""
    return [f"{c.benchmark.key}-{c.benchmark.edition}:{c.id}" + (":partial" if c.is_partial else "")
            for c in policy.controls]


def engine_policy(policy: Policy) -> Any:
    """One catalog Policy as a pulumi_policy policy object."""
    from pulumi_policy import (
        EnforcementLevel,
        PolicyConfigSchema,
        ResourceValidationPolicy,
        Severity,
        StackValidationPolicy,
    )

    common = dict(
        name=policy.name,
        description=policy.description,
        enforcement_level=EnforcementLevel(policy.enforcement.value),
        config_schema=PolicyConfigSchema(properties=dict(CONFIG_SCHEMA_PROPERTIES)),
        severity=Severity(policy.severity.value),
        framework=_framework(policy),
        tags=[policy.group, *(["data-protection"] if policy.data_protection else []), *_control_tags(policy)],
        remediation_steps=policy.remediation,
    )
    if policy.kind == "resource":

        def validate_resource(args: Any, report_violation: Any) -> None:
            if not policy.applies_to(args.resource_type):
                return
            ctx = context_of(args, args.urn)
            _report(policy, policy.evaluate_resource(resource_view(args), ctx), ctx, report_violation, None, args)

        return ResourceValidationPolicy(validate=validate_resource, **common)

    def validate_stack(args: Any, report_violation: Any) -> None:
        view = stack_view(args)
        ctx = context_of(args, view.urn)
        _report(policy, policy.evaluate_stack(view, ctx), ctx, report_violation, view.urn, args)

    return StackValidationPolicy(validate=validate_stack, **common)


def engine_policies(policies: Iterable[Policy] | None = None) -> list[Any]:
    """Every policy of the catalog, wrapped for pulumi_policy."""
    from policies.catalog import all_policies

    return [engine_policy(p) for p in (policies if policies is not None else all_policies())]


def run_pack() -> None:
    """Start the policy pack for the engine (`pulumi preview --policy-pack policies`); never returns."""
    from pulumi_policy import EnforcementLevel, PolicyPack

    PolicyPack(
        name=PACK_NAME,
        policies=engine_policies(),
        enforcement_level=EnforcementLevel.MANDATORY,
        description="civic-infra organisation policies: Azure, Entra ID, AWS and organisation rules",
    )
