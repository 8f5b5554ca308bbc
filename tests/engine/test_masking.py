"""Secret values never survive masking, blinding or scrubbing."""

from __future__ import annotations

import json

from cli.engine.masking import SECRET, SECRET_SIG, SIG_KEY, Masker, blind_state, redact_url


def test_marked_secrets_become_secret_in_both_engine_forms():
    m = Masker(environ={})
    value = {"a": {SIG_KEY: SECRET_SIG, "plaintext": '"s3cr3t-plain-value"'}, "b": {SIG_KEY: SECRET_SIG, "ciphertext": "v1:abc"}}
    assert m.mask(value) == {"a": SECRET, "b": SECRET}
    assert m.scrub("leaked s3cr3t-plain-value here") == "leaked [secret] here"


def test_secret_shaped_keys_are_masked_even_unmarked():
    m = Masker(environ={})
    masked = m.mask({
        "administratorLoginPassword": "hunter2-unmarked",
        "connectionString": "Server=x;Password=y",
        "primaryKey": "k-000000",
        "environment": {"API_TOKEN": "tok-000000", "PLAIN": "visible"},
        "secretName": "vpn-shared-key",
        "manageMasterUserPassword": True,
        "keyVaultId": "/subscriptions/00000000-0000-0000-0000-000000000000/kv",
    })
    assert masked == {
        "administratorLoginPassword": SECRET,
        "connectionString": SECRET,
        "primaryKey": SECRET,
        "environment": {"API_TOKEN": SECRET, "PLAIN": "visible"},
        "secretName": "vpn-shared-key",
        "manageMasterUserPassword": True,
        "keyVaultId": "/subscriptions/00000000-0000-0000-0000-000000000000/kv",
    }
    assert m.scrub("the password was hunter2-unmarked") == "the password was [secret]"


def test_value_is_secret_only_under_secret_types():
    m = Masker(environ={})
    assert m.mask("p-000000", "value", "azure-native:keyvault:Secret") == SECRET
    assert m.mask("Enabled", "value", "azure-native:web:WebApp") == "Enabled"


def test_environment_secrets_are_scrubbed_from_text():
    m = Masker(environ={"PULUMI_CONFIG_PASSPHRASE": "correct-horse-battery", "AWS_SECRET_ACCESS_KEY": "abc", "HOME": "/root"})
    assert m.scrub("passphrase correct-horse-battery rejected") == "passphrase [secret] rejected"
    assert m.scrub("abc is too short to be scrubbed safely") == "abc is too short to be scrubbed safely"


def test_blind_state_keeps_the_secret_marker_and_drops_plaintext():
    m = Masker(environ={})
    state = {"deployment": {"resources": [{"inputs": {"password": {SIG_KEY: SECRET_SIG, "plaintext": '"db-pass-000001"'}}}]}}
    blinded = blind_state(state, m)
    assert blinded["deployment"]["resources"][0]["inputs"]["password"] == {SIG_KEY: SECRET_SIG, "ciphertext": SECRET}
    assert "db-pass-000001" not in json.dumps(blinded)
    assert m.scrub("db-pass-000001") == SECRET


def test_redact_url_drops_credentials_query_and_fragment():
    assert redact_url("https://user:pw@hooks.example.org:8443/services/T0/B0/XYZ?token=abc#f") == "https://hooks.example.org:8443/services/T0/B0/XYZ"
    assert redact_url("azblob://state?storage_account=cafstate") == "azblob://state"
