"""Keep secret values out of everything the engine layer prints, records or sends.

Three defences, applied together:
- values the engine marks secret (the signature object, with `plaintext` or `ciphertext`, or
  the literal "[secret]") become "[secret]";
- values at secret-shaped keys (password, sharedKey, connectionString, ...) become "[secret]"
  even when nobody marked them, because azure-native does not mark them;
- any plaintext seen inside a signature object, and the values of well-known secret
  environment variables (passphrase, cloud keys, tokens), are scrubbed from free text such as
  diagnostics and CLI stderr before it reaches a message.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

SECRET = "[secret]"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's sentinel for a value not known until apply."""

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

_SECRET_KEY = re.compile(
    r"(?i)^("
    r".*password.*|.*passphrase.*|.*passwd.*"
    r"|secret|.*secret(value|string|binary|text)?|clientsecret"
    r"|.*token|.*connectionstring.*|.*sharedkey|.*(private|access|primary|secondary|api|account|sas)key"
    r"|.*credentials?|value"
    r")$"
)
"""Leaf keys whose values are treated as secret. `value` is only secret under a secret type."""

_SECRET_VALUE_TYPES = (
    "azure-native:keyvault:Secret",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:ssm/parameter:Parameter",
)

SECRET_ENV_VARS = (
    "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_ACCESS_TOKEN",
    "ARM_CLIENT_SECRET",
    "ARM_OIDC_TOKEN",
    "ARM_OIDC_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "AZURE_CLIENT_SECRET",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "GITHUB_TOKEN",
)


def is_secret_key(key: str, resource_type: str = "") -> bool:
    """True when a property named `key` holds a secret whether or not it was marked."""
    if key == "value":
        return resource_type in _SECRET_VALUE_TYPES
    return bool(_SECRET_KEY.match(key))


class Masker:
    """Masks structured values and scrubs free text; remembers every plaintext it has seen."""

    def __init__(self, extra_secrets: Iterable[str] = (), environ: Mapping[str, str] | None = None):
        self._lock = threading.Lock()
        env = os.environ if environ is None else environ
        self._known: set[str] = {v for v in extra_secrets if _worth_scrubbing(v)}
        self._known |= {env[name] for name in SECRET_ENV_VARS if _worth_scrubbing(env.get(name, ""))}

    def remember(self, value: Any) -> None:
        """Add a plaintext secret so it is scrubbed from any later text."""
        text = value if isinstance(value, str) else repr(value)
        if _worth_scrubbing(text):
            with self._lock:
                self._known.add(text)
                if text.startswith('"') and text.endswith('"') and len(text) > 2:
                    self._known.add(text[1:-1])

    def mask(self, value: Any, key: str = "", resource_type: str = "") -> Any:
        """A copy of `value` with every secret replaced by "[secret]"."""
        if (
            key
            and is_secret_key(key, resource_type)
            and value not in (None, "", UNKNOWN)
            and not isinstance(value, (bool, int, float))
        ):
            self._harvest(value)
            return SECRET
        if isinstance(value, Mapping):
            if value.get(SIG_KEY) == SECRET_SIG:
                if "plaintext" in value:
                    self.remember(value["plaintext"])
                return SECRET
            return {k: self.mask(v, str(k), resource_type) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.mask(v, "", resource_type) for v in value]
        if isinstance(value, str):
            return self.scrub(value)
        return value

    def scrub(self, text: str) -> str:
        """`text` with every known secret replaced by "[secret]"."""
        with self._lock:
            known = sorted(self._known, key=len, reverse=True)
        for secret in known:
            if secret in text:
                text = text.replace(secret, SECRET)
        return text

    def _harvest(self, value: Any) -> None:
        if isinstance(value, str) and value != SECRET:
            self.remember(value)
        elif isinstance(value, Mapping):
            if "plaintext" in value:
                self.remember(value["plaintext"])
            for v in value.values():
                self._harvest(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                self._harvest(v)


def blind_state(value: Any, masker: Masker | None = None) -> Any:
    """A state export with every plaintext secret turned back into the engine's ciphertext form.

    `pulumi stack export --show-secrets` (what the Automation API runs) returns secrets as
    `{sig: secret, plaintext: ...}`; this returns `{sig: secret, ciphertext: "[secret]"}`, the
    shape of an export without plaintext, so downstream readers still know the value is secret.
    """
    if isinstance(value, Mapping):
        if value.get(SIG_KEY) == SECRET_SIG:
            if masker is not None and "plaintext" in value:
                masker.remember(value["plaintext"])
            return {SIG_KEY: SECRET_SIG, "ciphertext": SECRET}
        return {k: blind_state(v, masker) for k, v in value.items()}
    if isinstance(value, list):
        return [blind_state(v, masker) for v in value]
    return value


def redact_url(url: str) -> str:
    """A URL safe to print: no user info, no query string, no fragment."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _worth_scrubbing(value: str) -> bool:
    # Short values ("true", "1") would turn ordinary words into [secret]; nobody's secret is that short.
    return isinstance(value, str) and len(value) >= 6 and value not in (SECRET, UNKNOWN)
