"""Which setting names and values look like secrets: shared by the Lambda and App Service checks.

A name is secret-like when it ends in _PASSWORD, _PASSWD, _PWD, _TOKEN, _SECRET, _KEY or
_APIKEY, or names a connection string (_CONNECTION_STRING, _CONNSTR, _DSN, DATABASE_URL);
a value is secret-like when it carries credentials (`user:password@host`, `Password=...;`,
`AccountKey=...`). A reference to a secret store, or an ARN, is never a secret in plain text.
"""

from __future__ import annotations

import re
from typing import Any

from policies.core import SECRET, is_unknown

_NAME = re.compile(
    r"(^|_)(PASSWORD|PASSWD|PWD|TOKEN|SECRET|KEY|APIKEY|API_KEY|CONNECTION_STRING|CONNECTIONSTRING|CONNSTR|DSN)$"
    r"|^DATABASE_URL$",
    re.IGNORECASE,
)
_VALUE = re.compile(r"://[^/\s:@]+:[^@\s]+@|(^|;)\s*(password|pwd|accountkey|sharedaccesskey)\s*=\s*[^;\s]", re.IGNORECASE)
_NOT_SECRET_NAME = re.compile(r"PUBLIC|(^|_)(PARTITION|SORT|OBJECT|CACHE|IDEMPOTENCY)_KEY$", re.IGNORECASE)
"""Names that end like a secret but are not one (public keys, key names of data)."""
_REFERENCES = ("arn:aws:secretsmanager:", "arn:aws:ssm:", "{{resolve:", "@microsoft.keyvault(", "arn:aws-us-gov:secretsmanager:")


def is_reference(value: Any) -> bool:
    """A pointer to a secret store (Secrets Manager or SSM ARN, Key Vault reference), not the secret."""
    return isinstance(value, str) and value.strip().lower().startswith(_REFERENCES)


def secret_setting(name: str, value: Any) -> str | None:
    """Why `name=value` holds a secret in plain text, or None.

    A Pulumi secret ('[secret]' in a capture) counts too: the service stores the value in its
    configuration in plain text, readable by anyone who may read the configuration.
    """
    if value is None or is_unknown(value) or is_reference(value):
        return None
    if not isinstance(value, str):
        value = str(value)
    if not value.strip():
        return None
    if _NAME.search(name) and not _NOT_SECRET_NAME.search(name) and not value.startswith("arn:"):
        return "its name says it holds a secret" + (" (a Pulumi secret, stored in plain text by the service)"
                                                     if value == SECRET else "")
    if value != SECRET and _VALUE.search(value):
        return "its value carries credentials"
    return None
