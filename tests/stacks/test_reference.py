"""The README's environment reference is the model's, and every key says what it does."""

from __future__ import annotations

from stacks.schema import environment_reference
from tests.conftest import REPO


def test_every_key_has_a_description():
    rows = [r for r in environment_reference().splitlines()[2:]]
    undocumented = [r.split("|")[1].strip() for r in rows if not r.rstrip("| ").split("|")[-1].strip()]
    assert undocumented == []


def test_readme_carries_the_current_reference():
    readme = (REPO / "README.md").read_text()
    start = readme.index("<!-- section:environment-reference -->\n") + len("<!-- section:environment-reference -->\n")
    end = readme.index("<!-- /section:environment-reference -->")
    assert readme[start:end] == environment_reference(), "run: infra schema --format markdown, paste into README"
