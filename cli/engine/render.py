"""Show engine work: live progress from `on_event`, then the summary as a table, Markdown or JSON.

Progress goes to stderr (a rich live view on a terminal, one plain line per change
otherwise), so stdout carries only the requested document. Everything shown has already
been masked by the event fold; live diagnostics are scrubbed by the same `Masker`.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any, TextIO

from cli.engine.events import CHANGE_GROUPS, EngineSummary, ResourceChange, fold
from cli.engine.masking import Masker

SYMBOL = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "import": "=", "read": ">", "same": " "}
VERB = {"create": "to create", "update": "to update", "replace": "to replace", "delete": "to delete", "import": "to import"}
DONE_VERB = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted", "import": "imported"}


class Progress:
    """An `on_event` callback that shows what the engine is doing while it runs."""

    def __init__(self, title: str, *, stream: TextIO | None = None, live: bool | None = None, masker: Masker | None = None):
        self.title = title
        self.stream = stream or sys.stderr
        self.masker = masker or Masker()
        self._lock = threading.Lock()
        self._events: list[Any] = []
        self._seen: set[tuple[str, str]] = set()
        self._live_enabled = self.stream.isatty() if live is None else live
        self._live: Any = None

    def __enter__(self) -> Progress:
        if self._live_enabled:
            from rich.console import Console
            from rich.live import Live

            console = Console(file=self.stream)
            # the view is rebuilt on rich's refresh (4/s), not on every event: big stacks send thousands
            self._live = Live(get_renderable=self._view, console=console, refresh_per_second=4, transient=True)
            self._live.__enter__()
        else:
            self._write(f"{self.title} ...")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)
            self._live = None

    def note(self, text: str) -> None:
        """A status line between engine calls."""
        if self._live is None:
            self._write(text)
        else:
            self.title = text

    def __call__(self, event: Any) -> None:
        with self._lock:
            self._events.append(event)
        if self._live is None:
            self._plain(event)

    # -- plain mode --------------------------------------------------------------------

    def _plain(self, event: Any) -> None:
        md = None
        if event.resource_pre_event is not None:
            md = event.resource_pre_event.metadata
        elif event.res_outputs_event is not None:
            md = event.res_outputs_event.metadata
        if md is not None:
            op = str(getattr(md.op, "value", md.op))
            group = {"create-replacement": "replace", "delete-replaced": "replace"}.get(op, op)
            if group in CHANGE_GROUPS and (md.urn, group) not in self._seen:
                self._seen.add((md.urn, group))
                self._write(f"  {SYMBOL[group]:<2} {group:<8} {md.urn}")
        elif event.res_op_failed_event is not None:
            md = event.res_op_failed_event.metadata
            self._write(f"  !! failed   {md.urn}")
        elif event.diagnostic_event is not None and event.diagnostic_event.severity == "error":
            self._write(f"  error: {self.masker.scrub(event.diagnostic_event.message.strip())}")

    def _write(self, text: str) -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    # -- live mode ---------------------------------------------------------------------

    def _view(self) -> Any:
        from rich.markup import escape
        from rich.table import Table

        with self._lock:
            events = list(self._events)
        summary = fold(events, self.masker)
        table = Table.grid(padding=(0, 1))
        table.add_row(f"[bold]{escape(self.title)}[/]")
        counts = summary.group_counts()
        if counts:
            table.add_row("  " + ", ".join(f"{n} {g}" for g, n in counts.items()))
        for change in summary.changes[-8:]:
            table.add_row(f"  {SYMBOL[change.group]:<2} {change.group:<8} {escape(change.name)} [dim]{escape(change.type)}[/]")
        for failure in summary.failures[-3:]:
            table.add_row(f"  [red]failed[/] {escape(failure.urn.rsplit('::', 1)[-1])}: {escape(failure.message[:120])}")
        return table


class NullProgress:
    """Progress that shows nothing (tests, --all drift)."""

    def __enter__(self) -> NullProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def note(self, text: str) -> None:
        return None

    def __call__(self, event: Any) -> None:
        return None


# --- summaries ------------------------------------------------------------------------


def headline(summary: EngineSummary, *, action: str, environment: str, done: bool = False) -> str:
    counts = summary.group_counts()
    verbs = DONE_VERB if done else VERB
    parts = [f"{counts[g]} {verbs[g]}" for g in CHANGE_GROUPS if counts.get(g)]
    unchanged = counts.get("same", 0) + counts.get("read", 0)
    if unchanged:
        parts.append(f"{unchanged} unchanged")
    return f"{action} of {environment}: " + (", ".join(parts) if parts else "no changes")


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    text = json.dumps(value, default=str, sort_keys=True) if not isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 100 else text[:97] + "..."


def _property_lines(change: ResourceChange, diff: bool) -> list[str]:
    lines = []
    for p in change.properties:
        mark = {"add": "+", "delete": "-"}.get(p.kind.split("-")[0], "~")
        forces = " (forces replacement)" if p.replaces else ""
        if diff:
            lines.append(f"      {mark} {p.path}: {_value(p.old)} => {_value(p.new)}{forces}")
        else:
            lines.append(f"      {mark} {p.path}{forces}")
    return lines


def render_table(summary: EngineSummary, *, action: str, environment: str, diff: bool = False, done: bool = False) -> str:
    """The summary for people: grouped by operation, with property-level diffs."""
    lines = [headline(summary, action=action, environment=environment, done=done)]
    for group, changes in summary.by_group().items():
        lines.append("")
        lines.append(f"{group} ({len(changes)}):")
        for change in changes:
            protected = " [protected]" if change.protect else ""
            lines.append(f"  {SYMBOL[group]:<2} {change.name}  {change.type}{protected}")
            lines.append(f"       {change.urn}")
            if group in ("update", "replace"):
                lines += _property_lines(change, diff)
    if summary.unitemised:
        lines += ["", f"{summary.unitemised} more change(s) counted by the engine but not itemised in its events"]
    if summary.policy:
        lines += ["", f"policy: {len(summary.mandatory_violations)} mandatory, {len(summary.advisory_violations)} advisory"]
        for v in summary.policy:
            lines.append(f"  {v.enforcement:<9} {v.policy}: {v.urn or '(stack)'}: {v.message}")
    if summary.failures:
        lines += ["", f"failed ({len(summary.failures)}):"]
        for f in summary.failures:
            lines.append(f"  !! {f.op} {f.urn}: {f.message or 'no message from the provider'}")
    warnings = [d for d in summary.diagnostics if d.severity == "warning"]
    if warnings:
        lines += ["", f"warnings ({len(warnings)}):"]
        lines += [f"  {d.urn.rsplit('::', 1)[-1] + ': ' if d.urn else ''}{d.message}" for d in warnings[:20]]
    return "\n".join(lines) + "\n"


def render_markdown(summary: EngineSummary, *, action: str, environment: str, done: bool = False) -> str:
    """The summary as Markdown (pull requests, job summaries)."""
    lines = [f"### {headline(summary, action=action, environment=environment, done=done)}", ""]
    groups = summary.by_group()
    if groups:
        lines += ["| op | resource | type | properties |", "|---|---|---|---|"]
        for group, changes in groups.items():
            for c in changes:
                props = ", ".join(f"`{p.path}`" + (" (replace)" if p.replaces else "") for p in c.properties) or ""
                protected = " 🔒" if c.protect else ""
                lines.append(f"| {group} | `{c.name}`{protected} | `{c.type}` | {props} |")
        lines.append("")
    if summary.policy:
        lines += ["| enforcement | policy | resource | message |", "|---|---|---|---|"]
        for v in summary.policy:
            message = v.message.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {v.enforcement} | {v.policy} | `{v.urn or '(stack)'}` | {message} |")
        lines.append("")
    if summary.failures:
        lines += ["**Failed operations**", ""]
        lines += [f"- {f.op} `{f.urn}`: {f.message or 'no message'}" for f in summary.failures]
        lines.append("")
    return "\n".join(lines)


def summary_document(summary: EngineSummary, *, action: str, environment: str, **extra: Any) -> dict[str, Any]:
    """The summary as a JSON-ready document."""
    return {"action": action, "environment": environment, **extra, **summary.to_json()}


# --- errors as JSON -------------------------------------------------------------------


def error_kind(err: BaseException) -> str:
    """A stable, kebab-case name of the error's type, e.g. `stack-missing` for StackMissingError."""
    import re

    name = type(err).__name__.removesuffix("Error") or type(err).__name__
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def error_document(err: Any, *, command: str, environment: str | None) -> dict[str, Any]:
    """What a script reads when an engine command with --format json fails (never an empty stdout)."""
    lines = list(getattr(err, "lines", None) or [str(err)])
    return {
        "error": {
            "command": command,
            "environment": environment,
            "exit_code": int(getattr(err, "exit_code", 1)),
            "kind": error_kind(err),
            "message": lines[0],
            "hint": "\n".join(lines[1:]) or None,
            "lines": lines,
        }
    }


class json_errors:  # noqa: N801 - used as a context manager, reads like a statement
    """With --format json, a failing command also prints a JSON error object on stdout.

    The error still goes to stderr and still sets the exit code (the CLI boundary does both).
    """

    def __init__(self, enabled: bool, *, command: str, environment: str | None):
        self.enabled, self.command, self.environment = enabled, command, environment

    def __enter__(self) -> json_errors:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        from cli.errors import InfraError

        if self.enabled and isinstance(exc, InfraError):
            sys.stdout.write(json.dumps(error_document(exc, command=self.command, environment=self.environment), indent=2) + "\n")
            sys.stdout.flush()
