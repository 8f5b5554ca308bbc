"""Render a capture as a terminal tree or a pull-request summary."""

from __future__ import annotations

from datetime import date
from io import StringIO

from cli.capture import Capture, Resource


def _label(r: Resource) -> str:
    marks = " [bold yellow](protected)[/]" if r.protect else ""
    style = "bold cyan" if r.is_component else "white"
    return f"[{style}]{r.name}[/] [dim]{r.type}[/]{marks}"


Removed = list[tuple[str, int, str, date]]
"""(`vendors`/`partners`, index, name, expires) from Environment.expired_access."""

REMOVED_TITLE = "access that this plan removes (expired)"


def _removed_lines(removed: Removed) -> list[str]:
    return [f"{kind[:-1]} {name}: expired on {expires.isoformat()} (infra:{kind}[{i}])"
            for kind, i, name, expires in removed]


def render_tree(capture: Capture, width: int = 120, removed: Removed | None = None) -> str:
    """A tree grouped by component, then counts per type, then expired access left out."""
    from rich.console import Console
    from rich.table import Table
    from rich.tree import Tree

    kids: dict[str | None, list[Resource]] = {}
    for r in capture.resources:
        kids.setdefault(r.parent, []).append(r)
    partial = "" if capture.complete else " [bold red](partial: the program did not finish)[/]"
    root = Tree(f"[bold]{capture.project}[/] / [bold green]{capture.environment}[/]{partial}")

    def grow(node: Tree, parent: str | None) -> None:
        for r in sorted(kids.get(parent, []), key=lambda x: (not x.is_component, x.type, x.name)):
            grow(node.add(_label(r)), r.urn)

    grow(root, None)
    table = Table(title="resources by type", show_lines=False)
    table.add_column("type")
    table.add_column("count", justify="right")
    summary = capture.summary()
    for type_, count in summary["by_type"].items():
        table.add_row(type_, str(count))
    table.add_row("[bold]total[/]", f"[bold]{summary['total']}[/]")
    buf = StringIO()
    console = Console(file=buf, width=width, force_terminal=False, color_system=None)
    console.print(root)
    console.print(table)
    if removed:
        console.print(REMOVED_TITLE + ":", markup=False)
        for line in _removed_lines(removed):
            console.print(f"  {line}", markup=False, highlight=False)
    return buf.getvalue()


def render_markdown(capture: Capture, removed: Removed | None = None) -> str:
    """A compact summary for a pull-request comment."""
    summary = capture.summary()
    protected = sum(1 for r in capture.resources if r.protect)
    components = [r for r in capture.resources if r.is_component and r.parent is None]
    lines = [
        f"### Plan: `{capture.environment}`" + ("" if capture.complete else " (partial: the program did not finish)"),
        "",
        f"**{summary['total']}** resources in **{len(components)}** components; **{protected}** protected.",
        "",
        "| component | type | resources |",
        "|---|---|---:|",
    ]
    for comp in sorted(components, key=lambda r: r.name):
        lines.append(f"| {comp.name} | `{comp.type}` | {_count_below(capture, comp.urn)} |")
    lines += ["", "<details><summary>resources by type</summary>", "", "| type | count |", "|---|---:|"]
    lines += [f"| `{t}` | {n} |" for t, n in summary["by_type"].items()]
    lines += ["", "</details>", ""]
    if removed:
        lines += [f"**{REMOVED_TITLE[0].upper()}{REMOVED_TITLE[1:]}:**", ""]
        lines += [f"- {line}" for line in _removed_lines(removed)]
        lines += [""]
    return "\n".join(lines)


def _count_below(capture: Capture, urn: str) -> int:
    from cli.counting import count_below

    return count_below(capture.resources, urn)
