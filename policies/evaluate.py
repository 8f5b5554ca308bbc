"""Run the policy set over a stack: decisions, effective enforcement and exemptions.

Both the offline check and the engine pack call `effective_enforcement` and `exemption_for`,
so a finding is blocking, advisory or exempted for the same reasons on both paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policies.context import Context, Exemption
from policies.core import Enforcement, Policy, Result, StackView, Status


def effective_enforcement(policy: Policy, overrides: Mapping[str, str]) -> Enforcement:
    """The environment's override, except that data-protection and locked policies stay mandatory.

    An attempt to lower them is reported by `policy-enforcement-valid`, not silently applied.
    """
    requested = overrides.get(policy.name)
    if requested is None:
        return policy.enforcement
    try:
        level = Enforcement(requested)
    except ValueError:
        return policy.enforcement
    if policy.is_locked and level is not Enforcement.mandatory:
        return Enforcement.mandatory
    return level


def exemption_for(policy: Policy, urn: str, name: str, ctx: Context) -> Exemption | None:
    """The first usable exemption (justified, unexpired, within 180 days) matching this finding.

    Locked policies (data protection, rules about the rules) take none; `policy-exemptions-valid`
    reports the attempt.
    """
    if policy.is_locked:
        return None
    for ex in ctx.settings.exemptions:
        if ex.policy == policy.name and ex.problem(ctx.today) is None and ex.matches(urn, name):
            return ex
    return None


@dataclass(frozen=True)
class Finding:
    """A violation, with the enforcement it is held to and whether an exemption covers it."""

    policy: str
    severity: str
    enforcement: str
    urn: str
    type: str
    name: str
    message: str
    exempted: bool
    justification: str | None = None
    exemption_expires: str | None = None
    exemption_approver: str | None = None

    @property
    def blocking(self) -> bool:
        return self.enforcement == Enforcement.mandatory.value and not self.exempted

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "severity": self.severity,
            "enforcement": self.enforcement,
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "message": self.message,
            "exempted": self.exempted,
        }


@dataclass(frozen=True)
class Evaluation:
    """Every decision of every enabled policy over one stack, and the findings among them."""

    policies: tuple[Policy, ...]
    enforcement: Mapping[str, Enforcement]
    results: tuple[Result, ...]
    findings: tuple[Finding, ...]
    resource_count: int

    @property
    def blocking(self) -> bool:
        """True when any unexempted mandatory violation exists."""
        return any(f.blocking for f in self.findings)

    def status(self, result: Result) -> str:
        """'pass', 'fail', 'exempt' or 'not-applicable', as the compliance report shows it."""
        if result.status is not Status.failed:
            return result.status.value
        exempt = any(
            f.exempted and f.policy == result.policy and f.urn == result.urn and f.message == result.message
            for f in self.findings
        )
        return "exempt" if exempt else "fail"


def evaluate(stack: StackView, ctx: Context, policies: Iterable[Policy] | None = None, *,
             observe: bool = False) -> Evaluation:
    """Evaluate `policies` (default: the whole set) over `stack` with the environment's settings.

    `observe` records, on each result, the property values its check read (evidence for reports).
    """
    if observe:
        from policies.core import observing

        with observing():
            return evaluate(stack, ctx, policies)
    if policies is None:
        from policies.catalog import all_policies

        policies = all_policies()
    chosen = tuple(policies)
    levels = {p.name: effective_enforcement(p, ctx.settings.enforcement) for p in chosen}
    results: list[Result] = []
    findings: list[Finding] = []
    for policy in chosen:
        level = levels[policy.name]
        if level is Enforcement.disabled:
            continue
        for result in policy.evaluate(stack, ctx):
            results.append(result)
            if result.status is not Status.failed:
                continue
            findings.append(_finding(policy, level, result, ctx))
    return Evaluation(
        policies=chosen, enforcement=levels, results=tuple(results), findings=tuple(findings),
        resource_count=len(stack.resources),
    )


def _finding(policy: Policy, level: Enforcement, result: Result, ctx: Context) -> Finding:
    """A failed result as a finding, with the exemption `ctx` grants it, if any."""
    ex = exemption_for(policy, result.urn, result.name, ctx)
    return Finding(
        policy=policy.name, severity=policy.severity.value, enforcement=level.value,
        urn=result.urn, type=result.type, name=result.name, message=result.message,
        exempted=ex is not None,
        justification=ex.justification if ex else None,
        exemption_expires=ex.expires.isoformat() if ex and ex.expires else None,
        exemption_approver=ex.approver if ex else None,
    )


@dataclass(frozen=True)
class CombinedEvaluation(Evaluation):
    """The cross-stack policies over several stacks checked together; `stacks` names them in order."""

    stacks: tuple[str, ...] = ()


def evaluate_together(stacks: Sequence[tuple[StackView, Context]],
                      policies: Iterable[Policy] | None = None) -> CombinedEvaluation:
    """Every cross-stack policy (default: those of the whole set) over `stacks` checked together.

    The enforcement is the strictest any of the stacks asks for, so one environment cannot lower a
    conflict with another; an exemption counts in the environment of the resource it names
    (locked policies take neither).
    """
    if policies is None:
        from policies.catalog import all_policies

        policies = all_policies()
    chosen = tuple(p for p in policies if p.check_stacks is not None)
    levels: dict[str, Enforcement] = {}
    for policy in chosen:
        asked = {effective_enforcement(policy, ctx.settings.enforcement) for _, ctx in stacks} or {policy.enforcement}
        order = (Enforcement.mandatory, Enforcement.advisory, Enforcement.disabled)
        levels[policy.name] = next(level for level in order if level in asked)
    contexts = {stack.stack: ctx for stack, ctx in stacks}
    results: list[Result] = []
    findings: list[Finding] = []
    for policy in chosen:
        level = levels[policy.name]
        if level is Enforcement.disabled:
            continue
        for stack, result in policy.evaluate_stacks(stacks):
            results.append(result)
            if result.status is not Status.failed:
                continue
            findings.append(_finding(policy, level, result, contexts[stack.stack]))
    return CombinedEvaluation(
        policies=chosen, enforcement=levels, results=tuple(results), findings=tuple(findings),
        resource_count=sum(len(stack.resources) for stack, _ in stacks), stacks=tuple(contexts),
    )
