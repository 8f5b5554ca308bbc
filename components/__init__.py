"""Pulumi components of the platform, composed by `components.platform` from one Environment.

Conventions (see docs in README): pydantic args of plain data with secure defaults;
`ComponentResource` type tokens `civic:<area>:<Name>`; children named `{name}-<role>` with
`parent=self`; outputs registered last, at least `name` and `resource_id`.
"""
