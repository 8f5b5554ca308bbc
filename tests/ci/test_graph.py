"""`infra graph`: DOT content on a small captured program and on the real dev plan.

No test needs graphviz: rendering is checked with a stand-in `dot` on PATH, and the
missing-graphviz path with an empty PATH.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.capture import Capture, capture_program
from cli.graph import CLOUD_STYLE, build_graph, classification, render_dot
from cli.main import app
from tests.conftest import REPO

runner = CliRunner()
RESTRICTED = {"tags": {"data-classification": "restricted", "owner": "o@example.org"}}
INTERNAL = {"tags": {"data-classification": "internal"}}


def small_program() -> None:
    import pulumi
    from pulumi import ResourceOptions

    class Lake(pulumi.ComponentResource):
        def __init__(self, name: str, opts: ResourceOptions | None = None):
            super().__init__("civic:aws:Lake", name, None, opts)
            child = ResourceOptions(parent=self)
            key = pulumi.CustomResource("aws:kms/key:Key", f"{name}-key", dict(RESTRICTED), opts=child)
            bucket = pulumi.CustomResource("aws:s3/bucket:Bucket", f"{name}-raw", dict(RESTRICTED), opts=child)
            pulumi.CustomResource(
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                f"{name}-raw-sse", {"bucket": bucket.id, "kmsKeyId": key.id}, opts=child,
            )
            self.register_outputs({})

    class Hub(pulumi.ComponentResource):
        def __init__(self, name: str, opts: ResourceOptions | None = None):
            super().__init__("civic:azure:Hub", name, None, opts)
            vnet = pulumi.CustomResource("azure-native:network:VirtualNetwork", f"{name}-vnet", dict(INTERNAL),
                                         opts=ResourceOptions(parent=self))
            # a child of a custom resource: drawn in the component's cluster, tied to its parent
            pulumi.CustomResource("azure-native:network:Subnet", f"{name}-vnet-apps", {"addressPrefix": "10.0.0.0/24"},
                                  opts=ResourceOptions(parent=vnet))
            self.register_outputs({})

    provider = pulumi.ProviderResource("aws", "aws-explicit", {"region": "us-east-1"})
    lake = Lake("lake", ResourceOptions(providers={"aws": provider}))
    hub = Hub("hub")
    pulumi.CustomResource("azuread:index/group:Group", "staff", {"displayName": "Staff"},
                          opts=ResourceOptions(depends_on=[lake, hub]))


@pytest.fixture(scope="module")
def small() -> Capture:
    return capture_program(small_program, project="t", stack="dev", config={})


@pytest.fixture(scope="module")
def small_dot(small) -> str:
    return render_dot(build_graph(small))


def node_line(dot: str, name: str) -> str:
    lines = [line for line in dot.splitlines() if re.search(rf'label="{re.escape(name)}\\n', line)]
    assert len(lines) == 1, f"{name}: {lines}"
    return lines[0]


def node_id(dot: str, name: str) -> str:
    return node_line(dot, name).split()[0]


def anchor_id(dot: str, component: str) -> str:
    line = next(line for line in dot.splitlines() if f'label="{component}", shape="folder"' in line)
    return line.split()[0]


def cluster_body(dot: str, component: str) -> str:
    """The text of the cluster labelled with `component`, up to its closing brace."""
    lines = dot.splitlines()
    start = next(i for i, line in enumerate(lines) if f'graph [label="{component}  (' in line) - 1
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = next(i for i in range(start + 1, len(lines)) if lines[i] == " " * indent + "}")
    return "\n".join(lines[start:end + 1])


def declared_and_used(dot: str) -> tuple[set[str], set[str]]:
    declared = set(re.findall(r"^\s*(\w+) \[", dot, re.M))
    used = {n for edge in re.findall(r"^\s*(\w+) -> (\w+)", dot, re.M) for n in edge}
    return declared, used


def test_one_cluster_per_component(small_dot):
    assert sorted(re.findall(r'graph \[label="([^"]+)  \(', small_dot)) == ["hub", "lake"]
    assert "cluster_legend" in small_dot


def test_nodes_are_filled_by_cloud(small_dot):
    assert f'fillcolor="{CLOUD_STYLE["aws"][0]}"' in node_line(small_dot, "lake-key")
    assert f'fillcolor="{CLOUD_STYLE["azure"][0]}"' in node_line(small_dot, "hub-vnet")
    assert f'fillcolor="{CLOUD_STYLE["entra"][0]}"' in node_line(small_dot, "staff")
    assert len({CLOUD_STYLE[c][0] for c in ("aws", "azure", "entra")}) == 3


def test_nodes_are_shaped_by_data_classification(small_dot):
    restricted = node_line(small_dot, "lake-raw")
    assert 'shape="octagon"' in restricted and 'penwidth="3"' in restricted and 'color="#B71C1C"' in restricted
    assert "[restricted]" in restricted
    internal = node_line(small_dot, "hub-vnet")
    assert 'shape="box"' in internal and "[internal]" in internal
    assert 'shape="ellipse"' in node_line(small_dot, "staff")  # no data-classification tag


def test_resources_sit_in_their_components_cluster(small_dot):
    lake, hub = cluster_body(small_dot, "lake"), cluster_body(small_dot, "hub")
    for name in ("lake-key", "lake-raw", "lake-raw-sse"):
        assert node_id(small_dot, name) + " [" in lake
    assert node_id(small_dot, "hub-vnet-apps") + " [" in hub  # parent is a custom resource
    assert node_id(small_dot, "staff") + " [" not in lake + hub


def test_edges_from_property_dependencies_dependencies_and_parents(small_dot):
    sse, raw, key = (node_id(small_dot, n) for n in ("lake-raw-sse", "lake-raw", "lake-key"))
    assert re.search(rf'^  {sse} -> {raw} \[tooltip="uses via bucket"\];$', small_dot, re.M)
    assert re.search(rf'^  {sse} -> {key} \[tooltip="uses via kmsKeyId"\];$', small_dot, re.M)
    # depends_on=[lake, hub]: the SDK lists the resources inside; a whole component is one edge
    staff = node_id(small_dot, "staff")
    assert f"  {staff} -> {anchor_id(small_dot, 'lake')} [" in small_dot
    assert not re.search(rf"^  {staff} -> ({sse}|{raw}|{key}) ", small_dot, re.M)
    assert f"  {staff} -> {node_id(small_dot, 'hub-vnet')} [" in small_dot  # not all of hub: no collapse
    subnet, vnet = node_id(small_dot, "hub-vnet-apps"), node_id(small_dot, "hub-vnet")
    assert re.search(rf'^  {subnet} -> {vnet} \[style="dotted"', small_dot, re.M)


def test_providers_are_left_out(small, small_dot):
    assert any(r.type == "pulumi:providers:aws" for r in small.resources)
    assert "aws-explicit" not in small_dot and "pulumi:providers" not in small_dot


def test_dot_is_well_formed_and_stable(small, small_dot):
    declared, used = declared_and_used(small_dot)
    assert used <= declared
    assert small_dot.count("{") == small_dot.count("}")
    assert render_dot(build_graph(small)) == small_dot


def test_names_with_quotes_are_escaped():
    from cli.capture import Resource

    odd = Resource(urn='urn:pulumi:d::p::aws:s3/bucket:Bucket::a"b\\c', type="aws:s3/bucket:Bucket", name='a"b\\c',
                   parent=None, dependencies=(), property_dependencies={}, protect=False, retain_on_delete=False,
                   custom=True, provider=None, inputs={})
    dot = render_dot(build_graph(Capture("d", "p", (odd,))), legend=False)
    assert 'label="a\\"b\\\\c\\naws:s3 Bucket"' in dot


# --- the real dev plan -----------------------------------------------------------------


def test_real_dev_plan(dev_capture):
    dot = render_dot(build_graph(dev_capture))
    declared, used = declared_and_used(dot)
    assert used <= declared
    resources = [r for r in dev_capture.resources if r.custom and not r.type.startswith("pulumi:providers:")]
    assert resources, "the dev plan has no resources"
    tooltips = set(re.findall(r'tooltip="(urn:[^"]+)"', dot))
    assert {r.urn for r in resources} <= tooltips  # every resource is drawn
    top = [r for r in dev_capture.resources if r.is_component and r.parent is None]
    labels = re.findall(r'graph \[label="([^"]+)  \(', dot)
    assert sorted(c.name for c in top) == sorted(set(labels) & {c.name for c in top})
    for r in resources:
        line = next(line for line in dot.splitlines() if f'tooltip="{r.urn}"' in line and "shape=" in line)
        fill = CLOUD_STYLE.get(r.cloud, ("#EEEEEE",))[0]
        assert f'fillcolor="{fill}"' in line, r.urn
        if classification(r) == "restricted":
            assert 'shape="octagon"' in line, r.urn
    dependent = sum(1 for r in resources if any(d in {x.urn for x in resources} for d in r.dependencies))
    assert dot.count(" -> ") >= dependent


# --- the command -----------------------------------------------------------------------


@pytest.fixture
def fast_plan(monkeypatch, small):
    """The command on the small capture, so each run takes milliseconds."""
    monkeypatch.setattr("cli.plan.plan_environment", lambda project, env: Capture("dev", small.project, small.resources))


def fake_dot(folder: Path) -> Path:
    script = folder / "dot"
    script.write_text('#!/bin/sh\n# stand-in for graphviz: dot -Tfmt SRC -o OUT\necho "$1 $2" > "$4"\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def graph(*args: str):
    return runner.invoke(app, ["--cwd", str(REPO), "graph", "--env", "dev", *args])


def test_writes_dot_only_when_asked(tmp_path, fast_plan, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = graph("--output-dir", str(tmp_path), "--format", "dot")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["dev.dot"]
    assert (tmp_path / "dev.dot").read_text(encoding="utf-8").startswith('digraph "t-dev" {')


def test_without_graphviz_the_default_writes_dot_and_says_how_to_install(tmp_path, fast_plan, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = graph("--output-dir", str(tmp_path))
    assert result.exit_code == 0
    assert (tmp_path / "dev.dot").is_file() and not (tmp_path / "dev.svg").exists()
    assert "graphviz `dot` is not on PATH" in result.stderr
    assert "apt-get install graphviz" in result.stderr and "brew install graphviz" in result.stderr


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_without_graphviz_an_explicit_picture_fails(tmp_path, fast_plan, monkeypatch, fmt):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = graph("--output-dir", str(tmp_path), "--format", fmt)
    assert result.exit_code == 1
    assert (tmp_path / "dev.dot").is_file()
    assert f"so no {fmt} was made" in result.stderr and "apt-get install graphviz" in result.stderr


def test_with_graphviz_svg_and_png_are_rendered(tmp_path, fast_plan, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_dot(bin_dir)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    out = tmp_path / "out"
    result = graph("--output-dir", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "dev.svg").read_text().strip() == f"-Tsvg {out / 'dev.dot'}"
    assert (out / "dev.png").read_text().strip() == f"-Tpng {out / 'dev.dot'}"
    assert f"wrote {out / 'dev.svg'}" in result.stderr


def test_a_failing_graphviz_is_reported(tmp_path, fast_plan, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dot").write_text("#!/bin/sh\necho 'syntax error in line 3' >&2\nexit 1\n", encoding="utf-8")
    (bin_dir / "dot").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    result = graph("--output-dir", str(tmp_path), "--format", "svg")
    assert result.exit_code == 1
    assert "graphviz `dot -Tsvg` failed with exit 1: syntax error in line 3" in result.stderr


# --- the components overview (the README picture) --------------------------------------


def test_overview_has_one_node_per_top_level_component(small):
    from cli.graph import render_overview_dot

    dot = render_overview_dot(build_graph(small), legend=False)
    lake = next(line for line in dot.splitlines() if 'label="lake\\ncivic:aws:Lake\\n3 resources' in line)
    assert 'shape="octagon"' in lake and f'fillcolor="{CLOUD_STYLE["aws"][0]}"' in lake  # restricted inside
    hub = next(line for line in dot.splitlines() if 'label="hub\\ncivic:azure:Hub\\n2 resources' in line)
    assert f'fillcolor="{CLOUD_STYLE["azure"][0]}"' in hub and "[internal]" in hub
    staff, lake_id, hub_id = (
        next(line for line in dot.splitlines() if f'label="{n}' in line).split()[0] for n in ("staff\\n", "lake\\n", "hub\\n")
    )
    edges = set(re.findall(r"^  (\w+) -> (\w+) ", dot, re.M))
    assert edges == {(staff, lake_id), (staff, hub_id)}  # edges inside a component are not drawn
    assert "lake-raw-sse" not in dot


def test_overview_level_writes_its_own_file(tmp_path, fast_plan, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = graph("--output-dir", str(tmp_path), "--format", "dot", "--level", "components")
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["dev-components.dot"]
    assert 'digraph "t-dev-overview"' in (tmp_path / "dev-components.dot").read_text(encoding="utf-8")
