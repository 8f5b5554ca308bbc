"""Reading stack files: every problem at once, rendered as file: infra:key: what, got value; fix."""

from __future__ import annotations

import pytest

from stacks.loader import ConfigError, environment_names, load_environment
from tests.conftest import REPO, TODAY, write_stack


def load(stacks, name="dev"):
    return load_environment(stacks, name, today=TODAY, display_root=stacks.parent)


def problems(stacks, name="dev") -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(stacks, name)
    return info.value.lines


@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_sample_environments_are_valid(name):
    env = load_environment(REPO / "stacks", name, today=TODAY)
    assert env.name == name
    assert env.clouds == ("azure", "aws")


def test_environment_names_are_found_and_sorted(tmp_path, values):
    for name in ("prod", "dev", "qa-2"):
        write_stack(tmp_path, name, values)
    (tmp_path / "Pulumi.yaml").write_text("name: x\n")
    assert environment_names(tmp_path) == ["dev", "prod", "qa-2"]


def test_every_problem_is_reported_with_file_key_value_and_fix(tmp_path, values):
    values["network"]["aws_vpc_cidr"] = "52.1.0.0/16"
    values["organization"]["owners"][0]["email"] = "not-an-email"
    values["surprise"] = True
    del values["identity"]
    write_stack(tmp_path, "dev", values)
    lines = problems(tmp_path)
    assert len(lines) == 4
    assert (
        "stacks/Pulumi.dev.yaml: infra:network.aws_vpc_cidr: must be a private IPv4 range, got '52.1.0.0/16'; "
        "choose an address space inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
    ) in [line.replace(str(tmp_path.name) + "/", "stacks/") for line in lines]
    joined = "\n".join(lines)
    assert "infra:organization.owners[0].email:" in joined and "got 'not-an-email'" in joined
    assert "infra:surprise: is not a known setting, got True; remove it or correct the spelling" in joined
    assert "infra:identity: is required, got nothing; add it" in joined
    assert all(line.startswith(f"{tmp_path.name}/Pulumi.dev.yaml: ") for line in lines)


def test_cross_field_rules_report_after_fields_are_valid(tmp_path, values):
    values["network"]["aws_vpc_cidr"] = values["network"]["azure_hub_cidr"]
    values["default_cost_center"] = "unknown"
    write_stack(tmp_path, "dev", values)
    lines = problems(tmp_path)
    assert [line.split(": ")[1] for line in lines] == ["infra:network.aws_vpc_cidr", "infra:default_cost_center"]


def test_plaintext_secret_is_refused_and_never_shown(tmp_path, values):
    values["vpn_shared_key"] = "hunter2-very-secret"
    write_stack(tmp_path, "dev", values)
    lines = problems(tmp_path)
    assert len(lines) == 1
    assert "infra:vpn_shared_key: is stored in plain text" in lines[0]
    assert "pulumi config set --secret infra:vpn_shared_key" in lines[0]
    assert "hunter2" not in lines[0]


def test_secure_value_where_plain_expected(tmp_path, values):
    values["organization"]["name"] = {"secure": "v1:xyz"}
    write_stack(tmp_path, "dev", values)
    lines = problems(tmp_path)
    assert "infra:organization.name: is a secret where a plain setting is expected, got '[secret]'" in lines[0]


def test_encrypted_secret_is_accepted(tmp_path, values):
    values["vpn_shared_key"] = {"secure": "v1:c2VjcmV0"}
    write_stack(tmp_path, "dev", values)
    assert load(tmp_path).vpn_shared_key is not None


def test_yaml_syntax_error_names_the_line(tmp_path):
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  infra:tier: [unclosed\n")
    lines = problems(tmp_path)
    assert lines[0].startswith(f"{tmp_path.name}/Pulumi.dev.yaml: line ")
    assert "fix the YAML syntax" in lines[0]


def test_missing_environment_lists_known_ones(tmp_path, values):
    write_stack(tmp_path, "dev", values)
    lines = problems(tmp_path, "qa")
    assert "environment 'qa' has no stack file; known environments: dev" in lines[0]


def test_name_key_is_refused(tmp_path, values):
    values["name"] = "other"
    write_stack(tmp_path, "dev", values)
    assert "infra:name: is set from the file name" in problems(tmp_path)[0]


def test_other_namespaces_are_left_alone(tmp_path, values):
    write_stack(tmp_path, "dev", values, extra={"aws:region": "us-east-1", "pulumi:tags": {"a": "b"}})
    assert load(tmp_path).name == "dev"


def test_production_is_compared_with_staging_on_disk(tmp_path, values):
    staging = dict(values, tier="staging", protection={"log_retention_days": 180})
    prod = dict(values, tier="production", protection={"log_retention_days": 90})
    write_stack(tmp_path, "staging", staging)
    write_stack(tmp_path, "prod", prod)
    lines = problems(tmp_path, "prod")
    assert lines == [
        f"{tmp_path.name}/Pulumi.prod.yaml: infra:protection.log_retention_days: is shorter than in staging (180), "
        "got 90; make it at least as long as staging's"
    ]
