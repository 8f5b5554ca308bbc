"""Azure and Microsoft 365 side of the platform. `define_azure` composes its components."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AzurePlatform:
    """Outputs of the Azure side."""


def define_azure(env, providers, aws_platform=None) -> AzurePlatform:
    return AzurePlatform()
