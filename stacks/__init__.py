"""Environments: one Pulumi stack file per environment and the model that validates it."""
