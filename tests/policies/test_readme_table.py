"""The README's policy table is the catalog's: every policy with its control ids."""

from __future__ import annotations

from cli.render.policy import render_policy_readme_table
from policies.catalog import all_policies
from tests.conftest import REPO


def test_readme_lists_every_policy_with_its_controls():
    readme = (REPO / "README.md").read_text()
    start = readme.index("<!-- policy-table -->\n") + len("<!-- policy-table -->\n")
    end = readme.index("<!-- /policy-table -->")
    assert readme[start:end] == render_policy_readme_table(all_policies()), (
        "regenerate the table with cli.render.policy.render_policy_readme_table(all_policies())")
    assert f"The set ({len(all_policies())} policies;" in readme
    assert "| `aws-kms-key-rotation` | resource | high | mandatory (locked) | CIS AWS 4.6, Checkov CKV_AWS_7 |" in readme
