"""AWS side of the platform (issue: AWS). `define_aws` composes its components."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AwsPlatform:
    """Outputs of the AWS side that other parts of the platform use."""


def define_aws(env, providers) -> AwsPlatform:
    return AwsPlatform()
