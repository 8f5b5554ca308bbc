"""Fold a stream of engine events into a summary: what changes, how, and what went wrong.

Pure: takes `pulumi.automation.events.EngineEvent` objects (read by attribute, never imported
here) and returns plain dataclasses. Every value passes through a `Masker`, so a summary can
be printed, stored or sent anywhere.

How the engine reports things, and how they are read here:
- a preview or update announces each step with a `resourcePreEvent` (`metadata.op`, `old`,
  `new`, `keys`, `diffs`, `detailedDiff`) and, for custom resources, a `resOutputsEvent`;
- a replacement arrives as up to three steps on one URN (`create-replacement`, `replace`,
  `delete-replaced`), shown here as one `replace`;
- a refresh announces `op: refresh` before reading, then reports the outcome in the
  `resOutputsEvent`: `same`, `update` (with the refresh diff) or `delete` (gone from the cloud);
- `resOpFailedEvent` marks a failed step, and the `diagnosticEvent`s with the same URN say why;
- `summaryEvent.resourceChanges` holds the engine's own counts, which are trusted over the
  itemised list when they disagree (a change is never hidden because an event was missing).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cli.engine.masking import UNKNOWN, Masker

GROUPS = ("create", "update", "replace", "delete", "import", "read", "same")
"""Display order of operation groups."""

CHANGE_GROUPS = ("create", "update", "replace", "delete", "import")
"""Groups that change the cloud or the state."""

KNOWN_AFTER_APPLY = "(known after apply)"

_OP_GROUP = {
    "create": "create",
    "update": "update",
    "replace": "replace",
    "create-replacement": "replace",
    "delete-replaced": "replace",
    "discard-replaced": "replace",
    "import-replacement": "replace",
    "delete": "delete",
    "discard": "delete",
    "remove-pending-replace": "delete",
    "import": "import",
    "read": "read",
    "read-replacement": "read",
    "same": "same",
}
_NO_CHANGE_OPS = frozenset({"same", "read", "refresh", "read-replacement"})
_COLOR = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|<\{%[a-z]+%\}>")


@dataclass(frozen=True)
class PropertyChange:
    """One changed property: its path, the kind of change, and both values (masked)."""

    path: str
    kind: str
    replaces: bool
    old: Any = None
    new: Any = None
    input_diff: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "replaces": self.replaces,
            "old": self.old,
            "new": self.new,
        }


@dataclass(frozen=True)
class ResourceChange:
    """What happens to one resource."""

    urn: str
    type: str
    op: str
    group: str
    properties: tuple[PropertyChange, ...] = ()
    replace_keys: tuple[str, ...] = ()
    protect: bool = False
    retain_on_delete: bool = False

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "op": self.group,
            "protect": self.protect,
            "replace_keys": list(self.replace_keys),
            "properties": [p.to_json() for p in self.properties],
        }


@dataclass(frozen=True)
class PolicyViolation:
    """A policy event from the engine's policy pack run."""

    policy: str
    pack: str
    enforcement: str
    message: str
    urn: str | None

    @property
    def mandatory(self) -> bool:
        return self.enforcement == "mandatory"

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "pack": self.pack,
            "enforcement": self.enforcement,
            "urn": self.urn,
            "message": self.message,
        }


@dataclass(frozen=True)
class Diagnostic:
    """A message from the engine, a provider or the program."""

    severity: str
    message: str
    urn: str | None

    def to_json(self) -> dict[str, Any]:
        return {"severity": self.severity, "urn": self.urn, "message": self.message}


@dataclass(frozen=True)
class FailedOperation:
    """A step that failed, with the provider's reason when it gave one."""

    urn: str
    type: str
    op: str
    status: int
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"urn": self.urn, "type": self.type, "op": self.op, "status": self.status, "message": self.message}


@dataclass(frozen=True)
class EngineSummary:
    """Everything a run reported, folded and masked."""

    resources: tuple[ResourceChange, ...] = ()
    policy: tuple[PolicyViolation, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    failures: tuple[FailedOperation, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    complete: bool = False
    maybe_corrupt: bool = False
    duration_seconds: int = 0
    policy_packs: Mapping[str, str] = field(default_factory=dict)

    @property
    def changes(self) -> tuple[ResourceChange, ...]:
        """Resources that change, in display order."""
        return tuple(r for r in self.resources if r.group in CHANGE_GROUPS)

    def by_group(self, include_unchanged: bool = False) -> dict[str, list[ResourceChange]]:
        groups = GROUPS if include_unchanged else CHANGE_GROUPS
        out: dict[str, list[ResourceChange]] = {g: [] for g in groups}
        for r in self.resources:
            if r.group in out:
                out[r.group].append(r)
        return {g: rs for g, rs in out.items() if rs}

    def group_counts(self) -> dict[str, int]:
        """Changes per group: the engine's counts when it sent them, else the itemised list."""
        itemised: dict[str, int] = {}
        for r in self.resources:
            itemised[r.group] = itemised.get(r.group, 0) + 1
        if not self.counts:
            return {g: itemised[g] for g in GROUPS if itemised.get(g)}
        # the engine's own counts, exactly: what `pulumi preview`/`up` print, and never a
        # default provider (the fold drops those, and the engine does not count them)
        engine: dict[str, int] = {}
        for op, n in self.counts.items():
            group = _OP_GROUP.get(str(op))
            if group is None or str(op) in ("create-replacement", "delete-replaced", "discard-replaced"):
                continue  # a replacement is counted once, under `replace`
            engine[group] = engine.get(group, 0) + int(n)
        return {g: engine[g] for g in GROUPS if engine.get(g)}

    @property
    def change_count(self) -> int:
        return sum(n for g, n in self.group_counts().items() if g in CHANGE_GROUPS)

    @property
    def unitemised(self) -> int:
        """Changes the engine counted but described in no event (never silently dropped)."""
        return max(0, self.change_count - len(self.changes))

    @property
    def has_changes(self) -> bool:
        return self.change_count > 0

    @property
    def mandatory_violations(self) -> tuple[PolicyViolation, ...]:
        return tuple(p for p in self.policy if p.mandatory)

    @property
    def advisory_violations(self) -> tuple[PolicyViolation, ...]:
        return tuple(p for p in self.policy if not p.mandatory)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity in ("error", "info#err"))

    def to_json(self) -> dict[str, Any]:
        """`summary`: changes per operation; `changes`: one entry per changed resource, in order."""
        return {
            "complete": self.complete,
            "summary": self.group_counts(),
            "unitemised_changes": self.unitemised,
            "changes": [r.to_json() for r in self.changes],
            "policy": [p.to_json() for p in self.policy],
            "failures": [f.to_json() for f in self.failures],
            "diagnostics": [d.to_json() for d in self.diagnostics if d.severity != "info"],
            "maybe_corrupt": self.maybe_corrupt,
        }


# --- folding --------------------------------------------------------------------------


def fold(events: Iterable[Any], masker: Masker | None = None) -> EngineSummary:
    """Fold engine events (in any order) into an `EngineSummary`."""
    masker = masker or Masker()
    ordered = sorted(events, key=lambda e: getattr(e, "sequence", 0) or 0)
    records: dict[str, _Record] = {}
    policy: list[PolicyViolation] = []
    diagnostics: list[Diagnostic] = []
    failed: list[tuple[Any, int]] = []
    counts: dict[str, int] = {}
    complete = corrupt = False
    duration = 0
    packs: dict[str, str] = {}

    for event in ordered:
        if event.diagnostic_event is not None:
            d = event.diagnostic_event
            if d.ephemeral or d.severity == "debug":
                continue
            message = masker.scrub(_clean(f"{d.prefix or ''}{d.message}"))
            if message:
                diagnostics.append(Diagnostic(d.severity, message, d.urn or None))
        elif event.policy_event is not None:
            p = event.policy_event
            policy.append(
                PolicyViolation(
                    policy=p.policy_name,
                    pack=p.policy_pack_name,
                    enforcement=p.enforcement_level,
                    message=masker.scrub(_clean(p.message)),
                    urn=p.resource_urn or None,
                )
            )
        elif event.resource_pre_event is not None:
            _record(records, event.resource_pre_event.metadata, masker, outcome=False)
        elif event.res_outputs_event is not None:
            _record(records, event.res_outputs_event.metadata, masker, outcome=True)
        elif event.res_op_failed_event is not None:
            f = event.res_op_failed_event
            failed.append((f.metadata, f.status))
        elif event.summary_event is not None:
            s = event.summary_event
            complete = True
            corrupt = bool(s.maybe_corrupt)
            duration = int(s.duration_seconds or 0)
            counts = {str(getattr(k, "value", k)): int(v) for k, v in (s.resource_changes or {}).items()}
            packs = dict(s.policy_packs or {})

    failures = []
    for md, status in failed:
        reasons = [d.message for d in diagnostics if d.urn == md.urn and d.severity in ("error", "info#err")]
        failures.append(
            FailedOperation(
                urn=md.urn,
                type=md.type,
                op=_op(md),
                status=int(status or 0),
                message=" / ".join(reasons),
            )
        )

    failed_urns = {f.urn for f in failures}
    resources = sorted(
        # a failed step did not happen: it is listed under failures, not as a change
        (r.freeze() for r in records.values() if r.group is not None and r.urn not in failed_urns),
        key=lambda r: (GROUPS.index(r.group), r.urn),
    )
    return EngineSummary(
        resources=tuple(resources),
        policy=tuple(policy),
        diagnostics=tuple(diagnostics),
        failures=tuple(failures),
        counts=counts,
        complete=complete,
        maybe_corrupt=corrupt,
        duration_seconds=duration,
        policy_packs=packs,
    )


class Recorder:
    """An `on_event` callback that keeps every event and forwards it (thread-safe)."""

    def __init__(self, forward: Callable[[Any], None] | None = None):
        self._lock = threading.Lock()
        self._events: list[Any] = []
        self._forward = forward

    def __call__(self, event: Any) -> None:
        with self._lock:
            self._events.append(event)
        if self._forward is not None:
            # a display bug must never abort a deployment
            with contextlib.suppress(Exception):
                self._forward(event)

    @property
    def events(self) -> list[Any]:
        with self._lock:
            return list(self._events)

    def summary(self, masker: Masker | None = None) -> EngineSummary:
        return fold(self.events, masker)


@dataclass
class _Record:
    urn: str
    type: str
    ops: list[str] = field(default_factory=list)
    group: str | None = None
    properties: dict[str, PropertyChange] = field(default_factory=dict)
    replace_keys: list[str] = field(default_factory=list)
    protect: bool = False
    retain: bool = False

    def freeze(self) -> ResourceChange:
        assert self.group is not None
        op = "replace" if self.group == "replace" else (self.ops[-1] if self.ops else self.group)
        return ResourceChange(
            urn=self.urn,
            type=self.type,
            op=op,
            group=self.group,
            properties=tuple(sorted(self.properties.values(), key=lambda p: p.path)),
            replace_keys=tuple(self.replace_keys),
            protect=self.protect,
            retain_on_delete=self.retain,
        )


def _op(md: Any) -> str:
    return str(getattr(md.op, "value", md.op))


def is_default_provider(urn: str, type_: str) -> bool:
    """A provider the engine made from the stack config: not a resource of the program."""
    return type_.startswith("pulumi:providers:") and urn.rsplit("::", 1)[-1].startswith("default")


def _record(records: dict[str, _Record], md: Any, masker: Masker, *, outcome: bool) -> None:
    op = _op(md)
    if op == "refresh":
        return  # a refresh reports its outcome in the outputs event
    if is_default_provider(md.urn, md.type):
        return  # not a resource: neither listed nor counted
    rec = records.setdefault(md.urn, _Record(urn=md.urn, type=md.type))
    group = _OP_GROUP.get(op, "update")
    if rec.group is None or rec.group in ("same", "read") or group == "replace":
        rec.group = group
    rec.ops.append(op)
    old, new = md.old, md.new
    rec.protect = rec.protect or bool(old is not None and old.protect) or bool(new is not None and new.protect)
    rec.retain = rec.retain or bool(old is not None and old.retain_on_delete)
    for key in md.keys or ():
        if key not in rec.replace_keys:
            rec.replace_keys.append(key)
    if op not in ("update", "replace", "create-replacement"):
        return
    for change in _property_changes(md, masker, set(rec.replace_keys)):
        current = rec.properties.get(change.path)
        if current is None or (change.old, change.new) != (None, None):
            rec.properties[change.path] = change


def _property_changes(md: Any, masker: Masker, replace_keys: set[str]) -> list[PropertyChange]:
    old_in, old_out = _props(md.old, "inputs"), _props(md.old, "outputs")
    new_in, new_out = _props(md.new, "inputs"), _props(md.new, "outputs")
    detailed = md.detailed_diff or {}
    changes: list[PropertyChange] = []
    if detailed:
        for path, diff in detailed.items():
            kind = str(getattr(diff.diff_kind, "value", diff.diff_kind))
            changes.append(
                _change(md.type, path, kind, old_in, old_out, new_in, new_out, masker, replace_keys,
                        bool(getattr(diff, "input_diff", False)))
            )
        return changes
    paths = list(md.diffs or ())
    if not paths and md.old is not None and md.new is not None:
        paths = sorted(k for k in set(old_in) | set(new_in) if old_in.get(k) != new_in.get(k) and not k.startswith("__"))
    for path in paths:
        o, n = _lookup(old_in, path), _lookup(new_in, path)
        kind = "add" if o is _MISSING else "delete" if n is _MISSING else "update"
        if path.split(".")[0].split("[")[0] in replace_keys:
            kind += "-replace"
        changes.append(_change(md.type, path, kind, old_in, old_out, new_in, new_out, masker, replace_keys, True))
    return changes


def _change(type_, path, kind, old_in, old_out, new_in, new_out, masker, replace_keys, input_diff) -> PropertyChange:
    old = _lookup(old_in, path)
    if old is _MISSING:
        old = _lookup(old_out, path)
    new = _lookup(new_in, path)
    if new is _MISSING:
        new = _lookup(new_out, path)
    leaf = _leaf(path)
    root = path.split(".")[0].split("[")[0]
    return PropertyChange(
        path=path,
        kind=kind,
        replaces=kind.endswith("-replace") or root in replace_keys,
        old=_show(old, leaf, type_, masker),
        new=_show(new, leaf, type_, masker),
        input_diff=input_diff,
    )


def _show(value: Any, leaf: str, type_: str, masker: Masker) -> Any:
    if value is _MISSING:
        return None
    if value == UNKNOWN:
        return KNOWN_AFTER_APPLY
    return masker.mask(value, leaf, type_)


def _props(state: Any, attr: str) -> Mapping[str, Any]:
    if state is None:
        return {}
    value = getattr(state, attr, None)
    return value if isinstance(value, Mapping) else {}


_MISSING = object()
_TOKEN = re.compile(r'\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|\.?([^.\[\]]+)')


def _segments(path: str) -> list[str | int]:
    out: list[str | int] = []
    for quoted, index, plain in _TOKEN.findall(path):
        if quoted:
            out.append(quoted)
        elif index:
            out.append(int(index))
        elif plain:
            out.append(plain)
    return out


def _leaf(path: str) -> str:
    named = [s for s in _segments(path) if isinstance(s, str)]
    return named[-1] if named else path


def _lookup(root: Any, path: str) -> Any:
    node = root
    for seg in _segments(path):
        indexable = isinstance(seg, int) and isinstance(node, list) and 0 <= seg < len(node)
        keyed = isinstance(seg, str) and isinstance(node, Mapping) and seg in node
        if not (indexable or keyed):
            return _MISSING
        node = node[seg]
    return node


def _clean(text: str) -> str:
    return _COLOR.sub("", text or "").strip()
