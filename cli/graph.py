"""The platform as a picture: a Graphviz DOT document built from a capture.

- one cluster per component (nested components nest), labelled with the component's name;
- nodes filled by cloud (Azure, Entra ID, AWS), outlined and shaped by the
  `data-classification` tag: restricted data stands out with a thick red octagon;
- solid edges `A -> B` where A depends on B (`dependencies` and `propertyDependencies`,
  the property names in the tooltip); dotted edges for a parent that is not a component.

Providers and the stack itself are left out: every resource uses one, so they only add noise.
`render_dot` is pure; `render_with_graphviz` calls the `dot` binary when it is on PATH.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cli.capture import STACK_TYPE, Capture, Resource
from cli.counting import count_below
from cli.errors import InfraError

CLOUD_STYLE: Mapping[str, tuple[str, str]] = {
    "azure": ("#DCEBFA", "#0078D4"),
    "entra": ("#EBE1FA", "#6B3FA0"),
    "aws": ("#FFE9CC", "#C45500"),
}
"""cloud -> (fill, font/edge colour)."""
OTHER_STYLE = ("#EEEEEE", "#555555")
CLASSIFICATION_STYLE: Mapping[str, dict[str, str]] = {
    "restricted": {"shape": "octagon", "penwidth": "3", "color": "#B71C1C", "style": "filled,bold"},
    "internal": {"shape": "box", "penwidth": "1.5", "color": "#37474F", "style": "rounded,filled"},
    "public": {"shape": "box", "penwidth": "1.5", "color": "#2E7D32", "style": "rounded,filled,dashed"},
}
UNCLASSIFIED_STYLE = {"shape": "ellipse", "penwidth": "1", "color": "#9E9E9E", "style": "filled"}
CLASSIFICATION_TAG = "data-classification"
INSTALL_HINT = "install graphviz: `apt-get install graphviz` (Debian/Ubuntu) or `brew install graphviz` (macOS)"


class GraphvizMissing(InfraError):
    """SVG or PNG was asked for and the graphviz `dot` binary is not on PATH."""


class GraphvizFailed(InfraError):
    """`dot` ran and failed."""


def classification(resource: Resource) -> str | None:
    """The `data-classification` tag of a resource's inputs, when it has one."""
    tags = resource.inputs.get("tags") if isinstance(resource.inputs, Mapping) else None
    if isinstance(tags, Mapping):
        value = tags.get(CLASSIFICATION_TAG)
        if isinstance(value, str) and value:
            return value
    return None


@dataclass(frozen=True)
class Edge:
    """`source` depends on `target`; `properties` are the inputs that carry the dependency."""

    source: str
    target: str
    properties: tuple[str, ...]
    kind: str  # "dependency" or "parent"


@dataclass(frozen=True)
class Graph:
    """What the picture shows, before any DOT syntax."""

    environment: str
    project: str
    nodes: tuple[Resource, ...]
    components: tuple[Resource, ...]
    edges: tuple[Edge, ...]

    owners: Mapping[str, str | None]
    """resource URN -> the nearest component above it (a custom parent is passed through)."""

    def members(self, component: str | None) -> list[Resource]:
        """Resources drawn directly inside `component`'s cluster (None: outside every cluster)."""
        return [r for r in self.nodes if self.owners[r.urn] == component]

    def subcomponents(self, component: str | None) -> list[Resource]:
        return [c for c in self.components if c.parent == component]


def _shown(resource: Resource) -> bool:
    return resource.type != STACK_TYPE and not resource.type.startswith("pulumi:providers:")


def build_graph(capture: Capture) -> Graph:
    """Nodes, component clusters and edges of a capture (providers and the stack left out)."""
    shown = {r.urn: r for r in capture.resources if _shown(r)}
    components = tuple(r for r in shown.values() if not r.custom)
    nodes = tuple(r for r in shown.values() if r.custom)
    # A resource whose parent was left out (or is missing) is drawn at the top level.
    fixed = []
    for r in nodes + components:
        if r.parent is not None and r.parent not in shown:
            r = _reparent(r, None)
        fixed.append(r)
    nodes = tuple(sorted((r for r in fixed if r.custom), key=lambda r: r.urn))
    components = tuple(sorted((r for r in fixed if not r.custom), key=lambda r: r.urn))
    component_urns = {c.urn for c in components}

    by_urn = {r.urn: r for r in nodes}
    owners: dict[str, str | None] = {}
    for r in nodes:
        parent = r.parent
        while parent is not None and parent in by_urn:
            parent = by_urn[parent].parent
        owners[r.urn] = parent

    # Every custom resource below each component, for collapsing `depends_on=[component]`,
    # which the SDK expands into one dependency per resource inside it.
    parents = {c.urn: c.parent for c in components}
    below: dict[str, set[str]] = {c.urn: set() for c in components}
    for r in nodes:
        owner = owners[r.urn]
        while owner is not None and owner in below:
            below[owner].add(r.urn)
            owner = parents.get(owner)

    edges: dict[tuple[str, str], set[str]] = {}
    for r in nodes + components:
        targets: dict[str, set[str]] = {}
        for dep in r.dependencies:
            if dep in shown and dep != r.urn:
                targets.setdefault(dep, set())
        for prop, deps in r.property_dependencies.items():
            for dep in deps:
                if dep in shown and dep != r.urn:
                    targets.setdefault(dep, set()).add(prop)
        for component in sorted(below, key=lambda c: (-len(below[c]), c)):
            members = below[component]
            if len(members) > 1 and members <= targets.keys() and r.urn not in members and r.urn != component:
                props = set().union(*(targets.pop(m) for m in members))
                targets.setdefault(component, set()).update(props)
        for dep, props in targets.items():
            edges[(r.urn, dep)] = props
    result = [Edge(s, t, tuple(sorted(p)), "dependency") for (s, t), p in sorted(edges.items())]
    for r in nodes:
        if r.parent is not None and r.parent not in component_urns:
            result.append(Edge(r.urn, r.parent, (), "parent"))
    return Graph(capture.environment, capture.project, nodes, components, tuple(result), owners)


def _reparent(r: Resource, parent: str | None) -> Resource:
    from dataclasses import replace

    return replace(r, parent=parent)


# --- DOT -------------------------------------------------------------------------------


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(values: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={_quote(v)}" for k, v in values.items())


def short_type(type_: str) -> str:
    """`aws:s3/bucket:Bucket` -> `aws:s3 Bucket`; `azure-native:storage:StorageAccount` -> `azure:storage StorageAccount`."""
    parts = type_.split(":")
    if len(parts) != 3:
        return type_
    package, module, kind = parts
    package = {"azure-native": "azure", "azuread": "entra"}.get(package, package)
    return f"{package}:{module.split('/')[0]} {kind}"


def node_style(resource: Resource) -> dict[str, str]:
    """Fill and font by cloud; shape, border and pen by data classification."""
    fill, ink = CLOUD_STYLE.get(resource.cloud, OTHER_STYLE)
    label = classification(resource)
    style = dict(CLASSIFICATION_STYLE.get(label, UNCLASSIFIED_STYLE)) if label else dict(UNCLASSIFIED_STYLE)
    style.update({"fillcolor": fill, "fontcolor": ink})
    return style


class _Ids:
    def __init__(self) -> None:
        self._ids: dict[str, str] = {}

    def __call__(self, urn: str, prefix: str = "n") -> str:
        if urn not in self._ids:
            self._ids[urn] = f"{prefix}{len(self._ids)}"
        return self._ids[urn]


def render_dot(graph: Graph, *, legend: bool = True) -> str:
    """The DOT document. Stable: the same capture always gives the same text."""
    ids = _Ids()
    lines = [
        f"digraph {_quote(f'{graph.project}-{graph.environment}')} {{",
        f"  graph [{_attrs({'label': f'{graph.project} / {graph.environment}', 'labelloc': 't', 'fontsize': '20', 'fontname': 'Helvetica', 'rankdir': 'LR', 'compound': 'true', 'newrank': 'true', 'nodesep': '0.25', 'ranksep': '0.6'})}];",
        f"  node [{_attrs({'fontname': 'Helvetica', 'fontsize': '10'})}];",
        f"  edge [{_attrs({'color': '#607D8B', 'arrowsize': '0.6'})}];",
    ]

    def node_line(r: Resource, indent: str) -> str:
        attrs = {"label": f"{r.name}\n{short_type(r.type)}", "tooltip": r.urn, **node_style(r)}
        tag = classification(r)
        if tag:
            attrs["label"] += f"\n[{tag}]"
        return f"{indent}{ids(r.urn)} [{_attrs(attrs)}];"

    def cluster(component: Resource, depth: int) -> list[str]:
        indent = "  " * (depth + 1)
        cid = ids(component.urn, "c")
        out = [
            f"{indent}subgraph cluster_{cid} {{",
            f"{indent}  graph [{_attrs({'label': f'{component.name}  ({component.type})', 'style': 'rounded', 'color': '#90A4AE', 'fontcolor': '#37474F', 'fontsize': '12', 'tooltip': component.urn})}];",
            # An anchor node stands for the component itself, so an edge can point at it.
            f"{indent}  {ids(component.urn + '#anchor', 'a')} [{_attrs({'label': component.name, 'shape': 'folder', 'style': 'filled', 'fillcolor': '#FFFFFF', 'color': '#90A4AE', 'fontcolor': '#37474F', 'tooltip': component.urn})}];",
        ]
        for child in graph.subcomponents(component.urn):
            out += cluster(child, depth + 1)
        out += [node_line(r, indent + "  ") for r in graph.members(component.urn)]
        out.append(f"{indent}}}")
        return out

    for component in graph.subcomponents(None):
        lines += cluster(component, 0)
    lines += [node_line(r, "  ") for r in graph.members(None)]

    component_urns = {c.urn for c in graph.components}

    def endpoint(urn: str) -> str:
        return ids(urn + "#anchor", "a") if urn in component_urns else ids(urn)

    for e in graph.edges:
        attrs: dict[str, str] = {}
        if e.kind == "parent":
            attrs.update({"style": "dotted", "arrowhead": "none", "tooltip": "child of"})
        elif e.properties:
            attrs["tooltip"] = "uses via " + ", ".join(e.properties)
        else:
            attrs["tooltip"] = "depends on"
        lines.append(f"  {endpoint(e.source)} -> {endpoint(e.target)}" + (f" [{_attrs(attrs)}]" if attrs else "") + ";")

    if legend:
        lines += _legend()
    lines.append("}")
    return "\n".join(lines) + "\n"


CLASSIFICATION_RANK = ("restricted", "internal", "public")


def render_overview_dot(graph: Graph, *, legend: bool = True) -> str:
    """One node per top-level component, for a picture that fits a README.

    A node's fill is its resources' most common cloud, its shape the most sensitive data
    classification inside it; an edge means some resource in one uses some resource in the
    other (the tooltip says how many dependencies).
    """
    parents = {c.urn: c.parent for c in graph.components}

    def top(urn: str | None) -> str | None:
        while urn is not None and parents.get(urn) is not None:
            urn = parents[urn]
        return urn

    tops = {c.urn: c for c in graph.components if c.parent is None}
    members: dict[str, list[Resource]] = {urn: [] for urn in tops}
    where: dict[str, str | None] = {c.urn: top(c.urn) for c in graph.components}
    for r in graph.nodes:
        where[r.urn] = top(graph.owners[r.urn])
        if where[r.urn] is not None:
            members[where[r.urn]].append(r)
    loose = [r for r in graph.nodes if where[r.urn] is None]

    ids = _Ids()
    lines = [
        f"digraph {_quote(f'{graph.project}-{graph.environment}-overview')} {{",
        f"  graph [{_attrs({'label': f'{graph.project} / {graph.environment}: components', 'labelloc': 't', 'fontsize': '20', 'fontname': 'Helvetica', 'rankdir': 'LR', 'nodesep': '0.3', 'ranksep': '0.9'})}];",
        f"  node [{_attrs({'fontname': 'Helvetica', 'fontsize': '11'})}];",
        f"  edge [{_attrs({'color': '#607D8B', 'arrowsize': '0.7'})}];",
    ]
    for urn, component in tops.items():
        inside = members[urn]
        clouds = Counter(r.cloud for r in inside)
        cloud = clouds.most_common(1)[0][0] if clouds else "other"
        tags = {classification(r) for r in inside}
        label = next((c for c in CLASSIFICATION_RANK if c in tags), None)
        style = dict(CLASSIFICATION_STYLE[label]) if label else dict(UNCLASSIFIED_STYLE)
        fill, ink = CLOUD_STYLE.get(cloud, OTHER_STYLE)
        style.update({"fillcolor": fill, "fontcolor": ink})
        # the count every report uses (cli/counting.py): nested components and providers included
        count = count_below((*graph.nodes, *graph.components), urn)
        text = f"{component.name}\n{component.type}\n{count} resources" + (f"\n[{label}]" if label else "")
        lines.append(f"  {ids(urn)} [{_attrs({'label': text, 'tooltip': urn, **style})}];")
    for r in loose:
        attrs = {"label": f"{r.name}\n{short_type(r.type)}", "tooltip": r.urn, **node_style(r)}
        lines.append(f"  {ids(r.urn)} [{_attrs(attrs)}];")

    counted: Counter[tuple[str, str]] = Counter()
    for e in graph.edges:
        if e.kind != "dependency":
            continue
        source, target = where.get(e.source) or e.source, where.get(e.target) or e.target
        if source != target:
            counted[(source, target)] += 1
    for (source, target), n in sorted(counted.items()):
        attrs = {"tooltip": f"{n} dependencies", "penwidth": f"{min(1 + n / 10, 3):.1f}"}
        lines.append(f"  {ids(source)} -> {ids(target)} [{_attrs(attrs)}];")
    if legend:
        lines += _legend()
    lines.append("}")
    return "\n".join(lines) + "\n"


def _legend() -> list[str]:
    out = [
        "  subgraph cluster_legend {",
        f"    graph [{_attrs({'label': 'legend', 'style': 'dashed', 'color': '#B0BEC5', 'fontsize': '11'})}];",
    ]
    for cloud, title in (("azure", "Azure"), ("entra", "Entra ID"), ("aws", "AWS")):
        fill, ink = CLOUD_STYLE[cloud]
        out.append(f"    legend_{cloud} [{_attrs({'label': title, 'shape': 'box', 'style': 'filled', 'fillcolor': fill, 'fontcolor': ink, 'color': ink})}];")
    for name, style in (*CLASSIFICATION_STYLE.items(), ("unclassified", UNCLASSIFIED_STYLE)):
        out.append(f"    legend_{name} [{_attrs({'label': name, **style, 'fillcolor': '#FFFFFF'})}];")
    out.append("    legend_azure -> legend_aws [label=\"depends on\", fontsize=\"9\"];")
    out.append("  }")
    return out


# --- files -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphFiles:
    """What `write_graph` produced, and what it could not."""

    written: tuple[Path, ...]
    missing_graphviz: bool


def write_graph(
    capture: Capture,
    output_dir: Path,
    formats: tuple[str, ...],
    *,
    required: bool,
    level: str = "resources",
    dot_binary: str | None = None,
) -> GraphFiles:
    """Write `<env>.dot` (`<env>-components.dot` for the overview) always, then each of
    `formats` (svg, png) through graphviz.

    Without graphviz: raise GraphvizMissing when `required`, else report it in the result.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    stem = capture.environment if level == "resources" else f"{capture.environment}-components"
    dot_path = output_dir / f"{stem}.dot"
    graph = build_graph(capture)
    dot_path.write_text(render_dot(graph) if level == "resources" else render_overview_dot(graph), encoding="utf-8")
    written = [dot_path]
    rendered = [f for f in formats if f != "dot"]
    if not rendered:
        return GraphFiles(tuple(written), False)
    binary = dot_binary or shutil.which("dot")
    if binary is None:
        if required:
            raise GraphvizMissing(
                f"graphviz `dot` is not on PATH, so no {', '.join(rendered)} was made; {INSTALL_HINT}",
                lines=[
                    f"wrote {dot_path}",
                    f"graphviz `dot` is not on PATH, so no {', '.join(rendered)} was made; {INSTALL_HINT}",
                ],
            )
        return GraphFiles(tuple(written), True)
    for fmt in rendered:
        target = output_dir / f"{stem}.{fmt}"
        _run_dot(binary, fmt, dot_path, target)
        written.append(target)
    return GraphFiles(tuple(written), False)


def _run_dot(binary: str, fmt: str, source: Path, target: Path) -> None:
    args: list[Any] = [binary, f"-T{fmt}", str(source), "-o", str(target)]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise GraphvizFailed(f"graphviz `dot -T{fmt}` could not run ({err}); {INSTALL_HINT}") from None
    if done.returncode != 0:
        detail = (done.stderr or "").strip().splitlines()[-1:] or ["no message"]
        raise GraphvizFailed(f"graphviz `dot -T{fmt}` failed with exit {done.returncode}: {detail[0]}")
