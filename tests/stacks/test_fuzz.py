"""Random malformed environment files never produce a traceback: exit 2 and file:key lines."""

from __future__ import annotations

import copy

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cli.main import app
from tests.conftest import minimal_values

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
    st.text(max_size=20), st.dates().map(str),
)
values_ = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3),
), max_leaves=8)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


ALL_PATHS = [p for p in _paths(minimal_values()) if p]


@st.composite
def malformed(draw):
    doc = copy.deepcopy(minimal_values())
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(ALL_PATHS))
        node = doc
        try:
            for key in path[:-1]:
                node = node[key]
            if draw(st.booleans()):
                node[path[-1]] = draw(values_)
            else:
                del node[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue
    if draw(st.booleans()):
        doc[draw(st.text(min_size=1, max_size=10))] = draw(values_)
    return doc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=malformed())
def test_malformed_files_exit_2_with_file_key_lines(tmp_project, doc):
    config = {f"infra:{k}": v for k, v in doc.items()}
    (tmp_project / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": config}))
    result = CliRunner().invoke(app, ["--cwd", str(tmp_project), "validate", "--env", "dev"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if result.exit_code == 0:
        return  # the mutation happened to stay valid
    assert result.exit_code == 2
    for line in result.stderr.splitlines():
        assert line.startswith("stacks/Pulumi.dev.yaml: "), line


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_arbitrary_text_files_exit_0_or_2(tmp_project, text):
    (tmp_project / "stacks" / "Pulumi.dev.yaml").write_text(text)
    result = CliRunner().invoke(app, ["--cwd", str(tmp_project), "validate", "--env", "dev"])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.stderr.startswith("stacks/Pulumi.dev.yaml: ")
