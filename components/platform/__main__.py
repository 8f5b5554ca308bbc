"""The Pulumi program (Pulumi.yaml `main`): one environment, the whole platform."""

from components.platform import define_platform, environment_from_config

define_platform(environment_from_config())
