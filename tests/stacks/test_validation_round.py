"""One round of validation: field and cross-field problems together; secret-like values never shown."""

from __future__ import annotations

import pytest

from stacks.loader import ConfigError, load_environment
from tests.conftest import TODAY, write_stack


def problems(stacks, name="dev") -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_environment(stacks, name, today=TODAY, display_root=stacks.parent)
    return info.value.lines


def keys(lines: list[str]) -> list[str]:
    return [line.split(": ")[1] for line in lines]


def test_field_and_cross_field_problems_are_reported_in_one_round(tmp_path, values):
    values["organization"]["owners"][0]["email"] = "not-an-email"  # a field error
    values["network"]["aws_vpc_cidr"] = values["network"]["azure_hub_cidr"]  # a cross-field error
    values["default_cost_center"] = "unknown"  # another
    write_stack(tmp_path, "dev", values)
    assert keys(problems(tmp_path)) == [
        "infra:organization.owners[0].email", "infra:network.aws_vpc_cidr", "infra:default_cost_center"]


def test_a_rule_that_reads_an_invalid_section_waits_for_it(tmp_path, values):
    values["network"]["aws_vpc_cidr"] = "not-a-cidr"
    values["default_cost_center"] = "unknown"
    write_stack(tmp_path, "dev", values)
    # the overlap rule needs the network, which is broken: only its field error shows
    assert keys(problems(tmp_path)) == ["infra:network.aws_vpc_cidr", "infra:default_cost_center"]


@pytest.mark.parametrize("extra,path", [
    ({"vpn_shared_key": {"secure": "v1:abc", "plain": "hunter2-not-real"}}, "infra:vpn_shared_key.plain"),
    ({"vpn_shared_kee": "hunter2-not-real"}, "infra:vpn_shared_kee"),
    ({"vpn_sharedkey": "hunter2-not-real"}, "infra:vpn_sharedkey"),
    ({"api_token": "hunter2-not-real"}, "infra:api_token"),
    ({"db_password": "hunter2-not-real"}, "infra:db_password"),
    ({"client_secret": ["hunter2-not-real"]}, "infra:client_secret"),
    ({"azure_credentials": {"x": "hunter2-not-real"}}, "infra:azure_credentials"),
    ({"signing_key": "hunter2-not-real"}, "infra:signing_key"),
])
def test_secret_like_values_are_never_echoed(tmp_path, values, extra, path):
    values.update(extra)
    write_stack(tmp_path, "dev", values)
    lines = problems(tmp_path)
    joined = "\n".join(lines)
    assert "hunter2-not-real" not in joined
    assert any(line.split(": ")[1] == path and "got '[redacted]'" in line for line in lines), joined


def test_secret_like_keys_nested_in_a_section_are_redacted(tmp_path, values):
    values["organization"]["api_token"] = "hunter2-not-real"
    write_stack(tmp_path, "dev", values)
    line = problems(tmp_path)[0]
    assert line.startswith(f"{tmp_path.name}/Pulumi.dev.yaml: infra:organization.api_token: is not a known setting, got '[redacted]'")


def test_ordinary_unknown_keys_still_show_their_value(tmp_path, values):
    values["surprise"] = "visible"
    write_stack(tmp_path, "dev", values)
    assert "got 'visible'" in problems(tmp_path)[0]
