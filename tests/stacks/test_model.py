"""Field-level checks of the environment model."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from stacks.model import Environment


def validate(values, name="dev"):
    return Environment.model_validate({"name": name, **values})


def errors(values) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        validate(values)
    return {".".join(str(p) for p in e["loc"]): e["msg"] for e in info.value.errors()}


def test_minimal_values_are_valid_and_defaults_are_secure(values):
    env = validate(values)
    assert env.protection.deletion_protection is True
    assert env.network.aws_public_subnets_enabled is False
    assert env.network.aws_nat_gateways == "none"
    assert env.network.vpn.enabled is False
    assert env.openai.enabled is False
    assert env.clouds == ()


@pytest.mark.parametrize("cidr", ["8.8.8.0/24", "52.1.0.0/16", "100.64.0.0/10"])
def test_public_cidrs_are_refused(values, cidr):
    values["network"]["aws_vpc_cidr"] = cidr
    assert "must be a private IPv4 range" in errors(values)["network.aws_vpc_cidr"]


@pytest.mark.parametrize("cidr", ["10.2.0.1/16", "10.2.0.0/33", "not-a-cidr"])
def test_malformed_cidrs_are_refused(values, cidr):
    values["network"]["aws_vpc_cidr"] = cidr
    assert "is not a valid CIDR block" in errors(values)["network.aws_vpc_cidr"]


@pytest.mark.parametrize("email", ["nobody", "a@", "@example.org", "two@@example.org"])
def test_invalid_emails_are_refused(values, email):
    values["organization"]["owners"][0]["email"] = email
    assert "organization.owners.0.email" in errors(values)


def test_unknown_keys_are_errors(values):
    values["network"]["azure_hub"] = "10.0.0.0/16"
    assert errors(values)["network.azure_hub"].startswith("Extra inputs are not permitted")


def test_partner_cannot_receive_restricted_data(values):
    values["partners"] = [{"name": "ally", "aws_account_id": "000000000002", "exports_prefix": "ally/",
                           "classification": "restricted", "expires": "2027-01-01"}]
    assert "partners.0.classification" in errors(values)


def test_production_always_requires_confirmation(values):
    values["tier"] = "production"
    assert validate(values, "prod").confirmation_required is True
    values["tier"] = "staging"
    assert validate(values, "staging").confirmation_required is False


def test_secret_never_prints(values):
    values["vpn_shared_key"] = {"secure": "v1:ciphertext"}
    env = validate(values)
    assert "ciphertext" not in repr(env)
    assert env.model_dump(mode="json")["vpn_shared_key"] == "[secret]"
