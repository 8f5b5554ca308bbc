"""Facts read from the installed provider SDKs (the ground truth), without importing them.

The answers come from `policies.taggable`, a table generated from the SDKs' source by
`python -m policies.gen_taggable` and checked against the installed SDKs by a test, so a
policy check of a state export imports no provider package. A type the table does not know
(an SDK newer than the table) falls back to importing its class.
"""

from __future__ import annotations

import importlib
from functools import cache

from policies.taggable import TAGGABLE, UNTAGGABLE

_PACKAGES = {"aws": "pulumi_aws", "azure-native": "pulumi_azure_native"}


def lookup_key(type_token: str) -> str:
    """`aws:s3/bucket:Bucket` -> `aws:s3:Bucket`: the package, the SDK module and the class.

    Tokens that differ only after the module's `/` (aliases such as `aws:s3/bucketV2:BucketV2`,
    azure-native's versioned `azure-native:storage/v20230101:StorageAccount`) name the class the
    SDK import would find, so they share its entry.
    """
    parts = type_token.split(":")
    if len(parts) != 3:
        return type_token
    package, module, name = parts
    return f"{package}:{module.split('/')[0] or 'index'}:{name}"


def supports_tags(type_token: str) -> bool:
    """Whether the SDK resource class for `type_token` has a `tags` property (is taggable).

    Unknown tokens and other providers' tokens are treated as not taggable.
    """
    key = lookup_key(type_token)
    if key in TAGGABLE:
        return True
    if key in UNTAGGABLE:
        return False
    return _imported_supports_tags(type_token)


@cache
def _imported_supports_tags(type_token: str) -> bool:
    """The slow path: `aws:s3/bucket:Bucket` -> pulumi_aws.s3.Bucket, imported."""
    parts = type_token.split(":")
    if len(parts) != 3 or parts[0] not in _PACKAGES:
        return False
    package, module, cls_name = parts
    module = module.split("/")[0]
    path = _PACKAGES[package] if module in ("index", "") else f"{_PACKAGES[package]}.{module}"
    try:
        cls = getattr(importlib.import_module(path), cls_name)
    except (ImportError, AttributeError):
        return False
    return isinstance(getattr(cls, "tags", None), property)
