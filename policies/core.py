"""The policy model: what a policy is, what it looks at, and what it decides.

A `Policy` is metadata (stable kebab-case name, imperative description, severity, default
enforcement, remediation naming the component field to set, control references) plus ONE
pure evaluation over plain data:

- resource-level: `check(resource: ResourceView, ctx: Context) -> Verdict | Iterable[Verdict]`
  for every resource whose type the policy lists;
- stack-level: `check(stack: StackView, ctx: Context) -> Iterable[Verdict]` for decisions
  that need several resources tied together by `propertyDependencies`.

A verdict is explicit: compliant, non-compliant or not applicable. Views are built by two
thin adapters (`policies.views` for a capture or a state export, `policies.pack` for the
arguments pulumi_policy hands a validation), so the same evaluation runs offline and inside
the engine. Nothing here imports Pulumi.

Control references. `controls=` takes `policies.controls.ControlRef`s, built with one small
constructor per framework; each edition is named once, in full, in `policies.controls`:

    from policies.controls import checkov, cis_aws, cis_azure, cis_m365

    controls=[cis_aws("4.6"), checkov("CKV_AWS_7")]
    controls=[cis_azure("8.3.7", partial="checked in production only"), checkov("CKV_AZURE_189")]

An id outside the edition's control list raises at import. `partial="why"` marks a control the
policy checks but does not establish by itself. Converting an old string reference: take the id
of the same recommendation in the current edition from /work/shared/CIS-CROSSWALK.md
("CIS AWS 3.0 3.6" -> cis_aws("4.6")); a plain string is rejected with that hint.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from policies.controls import ControlRef

if TYPE_CHECKING:
    from policies.context import Context

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's sentinel for a string not known until apply. It is never a violation."""

UNKNOWN_SENTINELS = frozenset(
    {
        UNKNOWN,
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)
SECRET = "[secret]"
PLAINTEXT_SECRET = "[plaintext secret]"
STACK_TYPE = "pulumi:pulumi:Stack"
LOCK_NOTE = "locked: stays mandatory and cannot be exempted"
"""What every output format says about a locked policy (data protection, or a rule about the rules)."""
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class Severity(StrEnum):
    """How much harm a violation can do."""

    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class Enforcement(StrEnum):
    """What a violation does: mandatory blocks, advisory warns, disabled skips the policy."""

    advisory = "advisory"
    mandatory = "mandatory"
    disabled = "disabled"


class Status(StrEnum):
    """One decision of one policy about one resource."""

    passed = "pass"
    failed = "fail"
    not_applicable = "not-applicable"


def is_unknown(value: Any) -> bool:
    """True for any of the engine's unknown sentinels."""
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def contains_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v) for v in value)
    return False


# --- views ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderView:
    """The provider a resource is registered with (explicit, or the engine's default one)."""

    urn: str
    type: str
    name: str
    props: Mapping[str, Any]

    @property
    def package(self) -> str:
        return self.type.split(":")[2] if self.type.count(":") >= 2 else self.type

    @property
    def is_default(self) -> bool:
        """Default providers are named `default` or `default_<version>` by the engine."""
        return self.name == "default" or self.name.startswith("default_")


_MISSING: Any = object()


@dataclass(frozen=True, eq=False)
class ResourceView:
    """One resource as a policy sees it: type, wire-form props and how it is tied to others.

    `plaintext_secret_paths` is None when it cannot be known (inside the engine, where
    secret markers are already unwrapped); a policy must then not guess.
    """

    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    provider: ProviderView | None = None
    custom: bool = True
    protect: bool = False
    plaintext_secret_paths: tuple[str, ...] | None = None

    @property
    def package(self) -> str:
        """'aws', 'azure-native', 'azuread', 'pulumi' or a component package such as 'civic'."""
        return self.type.split(":")[0]

    @property
    def is_provider(self) -> bool:
        return self.type.startswith("pulumi:providers:")

    def get(self, *path: str | int, default: Any = None) -> Any:
        """The value at `path` in the props; UNKNOWN when any step on the way is unknown.

        While a compliance report is made, every value read is recorded as the evidence the
        decision rested on (`observing`).
        """
        value = self._lookup(path, default)
        seen = _OBSERVED.get()
        if seen is not None and value is not _MISSING and path:
            seen.setdefault(self.urn, {}).setdefault(".".join(str(p) for p in path), value)
        return value

    def _lookup(self, path: tuple[str | int, ...], default: Any) -> Any:
        node: Any = self.props
        for step in path:
            if isinstance(node, str) and node in UNKNOWN_SENTINELS:
                return UNKNOWN
            if isinstance(step, int):
                if not isinstance(node, (list, tuple)) or step >= len(node):
                    return default
                node = node[step]
            else:
                # props are plain dicts almost always: skip the (slow) abstract Mapping check for them
                if not (type(node) is dict or isinstance(node, Mapping)) or step not in node:
                    return default
                node = node[step]
        if isinstance(node, str) and node in UNKNOWN_SENTINELS:
            return UNKNOWN
        return node

    def has(self, *path: str | int) -> bool:
        return self.get(*path, default=_MISSING) is not _MISSING

    def targets(self, prop: str) -> tuple[str, ...]:
        """URNs the input `prop` depends on."""
        return tuple(self.property_dependencies.get(prop, ()))

    def depends_on(self, urn: str, prop: str | None = None) -> bool:
        if prop is not None:
            return urn in self.property_dependencies.get(prop, ())
        return urn in self.dependencies or any(urn in v for v in self.property_dependencies.values())


@dataclass(frozen=True)
class Verdict:
    """The decision of one check; `subject` is the resource it is about (None: the stack)."""

    status: Status
    message: str = ""
    subject: ResourceView | None = None


def compliant(message: str = "", subject: ResourceView | None = None) -> Verdict:
    return Verdict(Status.passed, message, subject)


def violation(message: str, subject: ResourceView | None = None) -> Verdict:
    return Verdict(Status.failed, message, subject)


def not_applicable(reason: str, subject: ResourceView | None = None) -> Verdict:
    return Verdict(Status.not_applicable, reason, subject)


def unknown_until_apply(what: str, subject: ResourceView | None = None) -> Verdict:
    """An unknown value is never a violation; it is decided again once known."""
    return Verdict(Status.not_applicable, f"{what} is unknown until apply; checked again once known", subject)


@dataclass(frozen=True)
class Result:
    """One policy's decision about one resource, or about the stack as a whole."""

    policy: str
    status: Status
    urn: str
    type: str
    name: str
    message: str
    observed: Mapping[str, Any] = field(default_factory=dict, compare=False)
    """Property path -> value the check read on this resource (only when observing)."""


_OBSERVED: ContextVar[dict[str, dict[str, Any]] | None] = ContextVar("observed", default=None)


class observing:  # noqa: N801 - used as `with observing():`
    """Record the property values policies read, so each Result carries its evidence."""

    def __enter__(self) -> observing:
        self._token = _OBSERVED.set({})
        return self

    def __exit__(self, *exc: object) -> None:
        _OBSERVED.reset(self._token)


class StackView:
    """Every resource of one stack, indexed once by URN, by type and by who depends on whom."""

    def __init__(self, resources: Iterable[ResourceView], *, stack: str, project: str):
        self.stack = stack
        self.project = project
        self.resources: tuple[ResourceView, ...] = tuple(r for r in resources if r.type != STACK_TYPE)
        self._by_urn: dict[str, ResourceView] = {}
        self._by_type: dict[str, list[ResourceView]] = defaultdict(list)
        self._dependents: dict[str, list[tuple[str, ResourceView]]] = defaultdict(list)
        for r in self.resources:
            self._by_urn[r.urn] = r
            self._by_type[r.type].append(r)
            for prop, urns in r.property_dependencies.items():
                for urn in urns:
                    self._dependents[urn].append((prop, r))

    @property
    def urn(self) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{STACK_TYPE}::{self.project}-{self.stack}"

    @property
    def name(self) -> str:
        return f"{self.project}-{self.stack}"

    def get(self, urn: str) -> ResourceView | None:
        return self._by_urn.get(urn)

    def of_type(self, *types: str) -> list[ResourceView]:
        out: list[ResourceView] = []
        for t in types:
            out.extend(self._by_type.get(t, ()))
        return out

    def types(self) -> set[str]:
        return set(self._by_type)

    def dependents(self, urn: str, *, types: Iterable[str] | None = None, prop: str | None = None) -> list[ResourceView]:
        """Resources with an input depending on `urn` (optionally only input `prop`, only `types`)."""
        wanted = set(types) if types is not None else None
        seen: dict[str, ResourceView] = {}
        for key, r in self._dependents.get(urn, ()):
            if prop is not None and key != prop:
                continue
            if wanted is not None and r.type not in wanted:
                continue
            seen.setdefault(r.urn, r)
        return list(seen.values())

    def targets(self, view: ResourceView, prop: str) -> list[ResourceView]:
        """Resources of this stack that input `prop` of `view` depends on."""
        return [t for u in view.targets(prop) if (t := self._by_urn.get(u)) is not None]

    def clouds_in_use(self) -> set[str]:
        """'aws' and/or 'azure' (azure-native or azuread resources), from what is registered."""
        found: set[str] = set()
        for t in self._by_type:
            package = t.split(":")[0]
            if package == "aws" or t == "pulumi:providers:aws":
                found.add("aws")
            elif package in ("azure-native", "azuread") or t in ("pulumi:providers:azure-native", "pulumi:providers:azuread"):
                found.add("azure")
        return found


# --- policies ---------------------------------------------------------------------------

ResourceCheck = Callable[[ResourceView, "Context"], "Verdict | Iterable[Verdict]"]
StackCheck = Callable[[StackView, "Context"], Iterable[Verdict]]
StacksCheck = Callable[[Sequence[tuple[StackView, "Context"]]], Iterable[tuple[StackView, Verdict]]]
"""Over several stacks checked together: each verdict with the stack it is about."""
TOGETHER_ONLY = "decided when stacks are checked together (infra policy check --all)"


@dataclass(frozen=True, eq=False)
class Policy:
    """One rule: metadata plus one pure evaluation (resource-level or stack-level).

    `data_protection` policies and `locked` ones (those that police exemptions and enforcement)
    are locked: an environment can neither set them below mandatory nor exempt a resource.
    `resource_types` None means every resource.
    """

    name: str
    description: str
    severity: Severity
    enforcement: Enforcement
    remediation: str
    controls: tuple[ControlRef, ...]
    group: str
    check_resource: ResourceCheck | None = None
    check_stack: StackCheck | None = None
    resource_types: frozenset[str] | None = None
    data_protection: bool = False
    locked: bool = False
    check_stacks: StacksCheck | None = None
    """Set for a cross-stack policy: the real check, over every stack checked together (`check_stack`
    then only says so for a single stack)."""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"policy name must be kebab-case, got {self.name!r}")
        if (self.check_resource is None) == (self.check_stack is None):
            raise ValueError(f"policy {self.name} needs exactly one of a resource check or a stack check")
        if not self.description or not self.remediation:
            raise ValueError(f"policy {self.name} needs a description and a remediation")
        for ref in self.controls:
            if not isinstance(ref, ControlRef):
                raise TypeError(
                    f"policy {self.name}: control {ref!r} is not a ControlRef; write it with "
                    "policies.controls.cis_aws/cis_azure/cis_m365/checkov and the current edition's id "
                    "(see policies/core.py and CIS-CROSSWALK.md)"
                )

    @property
    def kind(self) -> str:
        if self.check_resource is not None:
            return "resource"
        return "stacks" if self.check_stacks is not None else "stack"

    @property
    def is_locked(self) -> bool:
        """Data-protection policies and the rules about the rules: never below mandatory, never exempted."""
        return self.data_protection or self.locked

    @property
    def lock(self) -> str | None:
        return LOCK_NOTE if self.is_locked else None

    def applies_to(self, type_: str) -> bool:
        return self.check_resource is not None and (self.resource_types is None or type_ in self.resource_types)

    def evaluate_resource(self, view: ResourceView, ctx: Context) -> list[Result]:
        """Decisions about one resource; an empty check means compliant."""
        assert self.check_resource is not None
        seen, token = _fresh_observation()
        try:
            produced = self.check_resource(view, ctx)
            verdicts = [produced] if isinstance(produced, Verdict) else list(produced or ())
        finally:
            _end_observation(token)
        if not verdicts:
            verdicts = [compliant()]
        return [self._result(v, v.subject or view, None, seen) for v in verdicts]

    def evaluate_stack(self, stack: StackView, ctx: Context) -> list[Result]:
        assert self.check_stack is not None
        seen, token = _fresh_observation()
        try:
            verdicts = list(self.check_stack(stack, ctx))
        finally:
            _end_observation(token)
        return [self._result(v, v.subject, stack, seen) for v in verdicts]

    def evaluate_stacks(self, stacks: Sequence[tuple[StackView, Context]]) -> list[tuple[StackView, Result]]:
        """Decisions of a cross-stack policy over stacks checked together, each with its stack."""
        assert self.check_stacks is not None
        return [(stack, self._result(v, v.subject, stack)) for stack, v in self.check_stacks(stacks)]

    def evaluate(self, stack: StackView, ctx: Context) -> list[Result]:
        """Every decision of this policy over a whole stack."""
        if self.check_stack is not None:
            return self.evaluate_stack(stack, ctx)
        targets = stack.resources if self.resource_types is None else stack.of_type(*sorted(self.resource_types))
        out: list[Result] = []
        if _OBSERVED.get() is not None:
            for view in targets:
                out.extend(self.evaluate_resource(view, ctx))
            return out
        # evaluate_resource without the per-call bookkeeping of observing (thousands of calls per policy)
        check, name = self.check_resource, self.name
        assert check is not None
        for view in targets:
            produced = check(view, ctx)
            verdicts = (produced,) if isinstance(produced, Verdict) else (list(produced or ()) or (compliant(),))
            for v in verdicts:
                subject = v.subject or view
                out.append(Result(name, v.status, subject.urn, subject.type, subject.name, v.message, {}))
        return out

    def _result(self, verdict: Verdict, subject: ResourceView | None, stack: StackView | None,
                seen: dict[str, dict[str, Any]] | None = None) -> Result:
        if subject is None:
            assert stack is not None
            return Result(self.name, verdict.status, stack.urn, STACK_TYPE, stack.name, verdict.message)
        observed = dict(seen.get(subject.urn, ())) if seen else {}
        return Result(self.name, verdict.status, subject.urn, subject.type, subject.name, verdict.message, observed)

    def describe(self) -> dict[str, Any]:
        """Plain metadata, as `infra policy list --format json` prints it."""
        return {
            "name": self.name,
            "description": self.description,
            "severity": self.severity.value,
            "enforcement": self.enforcement.value,
            "kind": self.kind,
            "group": self.group,
            "remediation": self.remediation,
            "controls": [c.label + (" (partial)" if c.is_partial else "") for c in self.controls],
            "control_refs": [c.to_json() for c in self.controls],
            "data_protection": self.data_protection,
            "locked": self.is_locked,
            "lock": self.lock,
            "resource_types": sorted(self.resource_types) if self.resource_types is not None else ["*"],
        }


def _fresh_observation() -> tuple[dict[str, dict[str, Any]] | None, Any]:
    """A new record for one check while observing; (None, None) otherwise (no cost)."""
    if _OBSERVED.get() is None:
        return None, None
    seen: dict[str, dict[str, Any]] = {}
    return seen, _OBSERVED.set(seen)


def _end_observation(token: Any) -> None:
    if token is not None:
        _OBSERVED.reset(token)


def _group_of(module: str) -> str:
    parts = module.split(".")
    return "/".join(parts[1:]) if parts and parts[0] == "policies" else module


def resource_policy(
    *,
    name: str,
    description: str,
    severity: Severity,
    remediation: str,
    types: Iterable[str] | None,
    controls: Iterable[ControlRef] = (),
    enforcement: Enforcement = Enforcement.mandatory,
    data_protection: bool = False,
) -> Callable[[ResourceCheck], Policy]:
    """Decorate `check(resource, ctx)` into a resource-level Policy."""

    def wrap(fn: ResourceCheck) -> Policy:
        return Policy(
            name=name, description=description, severity=severity, enforcement=enforcement,
            remediation=remediation, controls=tuple(controls), group=_group_of(fn.__module__),
            check_resource=fn, resource_types=frozenset(types) if types is not None else None,
            data_protection=data_protection,
        )

    return wrap


def stack_policy(
    *,
    name: str,
    description: str,
    severity: Severity,
    remediation: str,
    controls: Iterable[ControlRef] = (),
    enforcement: Enforcement = Enforcement.mandatory,
    data_protection: bool = False,
    locked: bool = False,
) -> Callable[[StackCheck], Policy]:
    """Decorate `check(stack, ctx)` into a stack-level Policy."""

    def wrap(fn: StackCheck) -> Policy:
        return Policy(
            name=name, description=description, severity=severity, enforcement=enforcement,
            remediation=remediation, controls=tuple(controls), group=_group_of(fn.__module__),
            check_stack=fn, data_protection=data_protection, locked=locked,
        )

    return wrap


def cross_stack_policy(
    *,
    name: str,
    description: str,
    severity: Severity,
    remediation: str,
    controls: Iterable[ControlRef] = (),
    enforcement: Enforcement = Enforcement.mandatory,
    locked: bool = False,
) -> Callable[[StacksCheck], Policy]:
    """Decorate `check(stacks)` into a policy over several stacks checked together.

    One stack alone has nothing to compare with, so its check is not applicable; `infra policy
    check --all` runs the real check over every environment's capture (cli/combined.py).
    """

    def alone(stack: StackView, ctx: Context) -> Iterable[Verdict]:
        return [not_applicable(TOGETHER_ONLY)]

    def wrap(fn: StacksCheck) -> Policy:
        return Policy(
            name=name, description=description, severity=severity, enforcement=enforcement,
            remediation=remediation, controls=tuple(controls), group=_group_of(fn.__module__),
            check_stack=alone, check_stacks=fn, locked=locked,
        )

    return wrap
