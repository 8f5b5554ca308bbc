"""Facts read from the installed provider SDKs (the ground truth), imported lazily and cached."""

from __future__ import annotations

import importlib
from functools import cache

_PACKAGES = {"aws": "pulumi_aws", "azure-native": "pulumi_azure_native"}


@cache
def supports_tags(type_token: str) -> bool:
    """Whether the SDK resource class for `type_token` has a `tags` property (is taggable).

    `aws:s3/bucket:Bucket` -> pulumi_aws.s3.Bucket; `azure-native:storage:StorageAccount` ->
    pulumi_azure_native.storage.StorageAccount. Unknown tokens are treated as not taggable.
    """
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
